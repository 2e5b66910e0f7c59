"""`stayout validate` as a clerk runs it: the reconciliation, the quarantine files, the exit codes."""
from __future__ import annotations

import subprocess
import sys

import pandas as pd

from stayout.cli import main
from tests.tiny_export import tiny_tables, with_row, write_tiny_export


def test_validate_prints_reconciliation_and_writes_quarantine_under_home(tmp_path, capsys, stayout_home):
    tables = with_row(with_row(tiny_tables(), "income", amount_yuan="-3"), "events")
    data_dir = write_tiny_export(tmp_path / "county-520102", tables)
    assert main(["validate", str(data_dir)]) == 0
    out = capsys.readouterr().out
    assert "read = accepted + collapsed + quarantined" in out
    lines = {line.split()[0]: line.split()[1:5] for line in out.splitlines()[2:14]}
    assert lines["income"] == ["6", "5", "0", "1"]
    assert lines["events"] == ["3", "2", "1", "0"]
    assert "Data end: 2022-12-20 00:00:00, the latest recorded_at (no export.json" in out  # the 2023 line
    quarantine = stayout_home / "quarantine" / "county-520102" / "income.csv"
    rejected = pd.read_csv(quarantine, dtype=str)
    assert rejected.loc[0, "column"] == "amount_yuan" and rejected.loc[0, "row_number"] == "6"


def test_validate_with_explicit_quarantine_folder(tmp_path, capsys):
    data_dir = write_tiny_export(tmp_path / "x", with_row(tiny_tables(), "cases", case_id="C2", category="urgent"))
    assert main(["validate", str(data_dir), "--quarantine", str(tmp_path / "q")]) == 0
    assert (tmp_path / "q" / "cases.csv").exists()
    assert "1 quarantined" in capsys.readouterr().out


def test_unusable_table_exits_non_zero_with_one_line(tmp_path):
    tables = tiny_tables()
    tables["members"] = tables["members"].drop(columns=["birth_year"])
    data_dir = write_tiny_export(tmp_path / "x", tables)
    completed = subprocess.run([sys.executable, "-m", "stayout.cli", "-q", "validate", str(data_dir)],
                               capture_output=True, text=True)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "members.csv" in lines[0] and "birth_year" in lines[0] and "add the column" in lines[0]


def test_missing_table_file_is_named(tmp_path, capsys):
    data_dir = write_tiny_export(tmp_path / "x")
    (data_dir / "visits.csv").unlink()
    assert main(["validate", str(data_dir)]) == 2
    assert "visits" in capsys.readouterr().err


def test_rows_recorded_after_export_json_are_counted_as_quarantined(tmp_path, capsys):
    tables = with_row(tiny_tables(), "visits", visit_id="V9", recorded_at="2024-03-01")
    data_dir = write_tiny_export(tmp_path / "x", tables)
    (data_dir / "export.json").write_text('{"exported_at": "2024-01-01 00:00:00"}', encoding="utf-8")
    assert main(["validate", str(data_dir), "--quarantine", str(tmp_path / "q")]) == 0
    lines = {line.split()[0]: line.split()[1:5] for line in capsys.readouterr().out.splitlines()[2:14]}
    assert lines["visits"] == ["2", "1", "0", "1"]
    rejected = pd.read_csv(tmp_path / "q" / "visits.csv", dtype=str)
    assert rejected.loc[0, "reason"].startswith("recorded after the export was taken: recorded_at '2024-03-01'")


def test_malformed_export_json_exits_non_zero_with_one_line(tmp_path):
    data_dir = write_tiny_export(tmp_path / "x")
    (data_dir / "export.json").write_text('{"exported_at": "2024-13-01"}', encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "stayout.cli", "-q", "validate", str(data_dir)],
                               capture_output=True, text=True)
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "export.json" in lines[0] and "'2024-13-01' is not a valid timestamp" in lines[0]
