"""The quarantine keeps each rejected row's text as the file writes it, and reasons quote that text.

A CSV file is read with its columns converted (fast); a file with rejected rows is read again
as text for its quarantine. These tests prove that reading every CSV table as text from the
start gives exactly the same accepted rows, quarantine, reasons and counts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import read
from features.contract import TABLE_NAMES
from features.read import read_csv_rows_as_text, read_export, read_raw_table
from features.validate import validate_tables
from stayout.errors import TableUnusableError
from tests.tiny_export import tiny_tables, with_row, write_tiny_export


def _awkward_tables() -> dict[str, pd.DataFrame]:
    """Rejected rows whose values a typed read would rewrite (2018 as 2018.0, True as true, ...)."""
    tables = with_row(tiny_tables(), "households", household_id="H9", exit_year="2018",
                      cultivated_land_mu="240", water_ok="True")
    tables = with_row(tables, "households", household_id="H10", exit_year=" 2018", water_ok="TRUE",
                      cultivated_land_mu="1e999")
    tables = with_row(tables, "monitoring_lines", year="2024", county_code="520102", line_yuan="-7400.50")
    tables = with_row(tables, "members", person_id="P9", birth_year="1975.0", migrant_months="13",
                      minority="1", in_school="0")
    tables = with_row(tables, "events", event_id="E9", est_loss_yuan="nan", severity="4")
    tables = with_row(tables, "events", event_id="E10", est_loss_yuan="inf")
    tables = with_row(tables, "income", amount_yuan="-50.00", recorded_at="2022-07-25 08:00")
    tables = with_row(tables, "income", amount_yuan="+12", period_end="2022-06-29")
    tables = with_row(tables, "assistance", measure_id="M9", amount_yuan="0.10", end_on="2022-07-01")
    tables = with_row(tables, "visits", visit_id="V9", household_id=" H404", income_pc_12m_yuan="5200.0")
    return tables


def _quarantine_file(folder, table) -> pd.DataFrame:
    return pd.read_csv(folder / f"{table}.csv", dtype=str, keep_default_na=False)


def _written_row(tables, table, row_number) -> dict[str, str]:
    return tables[table].iloc[row_number - 1].to_dict()


def test_csv_quarantine_holds_the_file_text_exactly(tmp_path):
    tables = _awkward_tables()
    read_export(write_tiny_export(tmp_path / "export", tables, "csv"), tmp_path / "q")
    for table in ("households", "monitoring_lines", "members", "events", "income", "assistance", "visits"):
        quarantine = _quarantine_file(tmp_path / "q", table)
        assert len(quarantine), table
        for row in quarantine.to_dict("records"):
            original = _written_row(tables, table, int(row["row_number"]))
            assert {column: row[column] for column in original} == original, table


@pytest.mark.parametrize(("table", "words"), [
    ("households", "cultivated_land_mu '240' is outside 0-100"),
    ("households", "cultivated_land_mu '1e999' is not a finite number"),
    ("monitoring_lines", "line_yuan '-7400.50' is negative"),
    ("members", "migrant_months '13' is outside 0-12"),
    ("events", "est_loss_yuan 'nan' is not a number"),
    ("events", "est_loss_yuan 'inf' is not a number"),
    ("events", "severity '4' is outside 1-3"),
    ("income", "amount_yuan '-50.00' is negative"),
    ("visits", "household_id ' H404' is not an accepted households key"),
])
def test_csv_reasons_quote_the_file_text(tmp_path, table, words):
    export = read_export(write_tiny_export(tmp_path / "export", _awkward_tables(), "csv"))
    reasons = " | ".join(export.validation.tables[table].quarantined["reason"])
    assert words in reasons
    assert ".0'" not in reasons and "True" not in reasons


def test_parquet_quarantine_writes_typed_values_as_a_person_would(tmp_path):
    tables = with_row(tiny_tables(), "households", household_id="H9", cultivated_land_mu="240")
    households = tables["households"]
    tables["households"] = households.assign(
        exit_year=pd.to_numeric(households["exit_year"]).astype("Int64"),
        cultivated_land_mu=households["cultivated_land_mu"].astype("float64"),
        water_ok=households["water_ok"].map({"true": True, "false": False}),
        recorded_at=pd.to_datetime(households["recorded_at"], format="mixed"),
    )
    export = read_export(write_tiny_export(tmp_path / "export", tables, "parquet"), tmp_path / "q")
    row = _quarantine_file(tmp_path / "q", "households").iloc[0]
    assert (row["exit_year"], row["cultivated_land_mu"], row["water_ok"], row["recorded_at"]) == (
        "2019", "240", "true", "2021-01-05")
    assert "cultivated_land_mu '240' is outside 0-100" in row["reason"]
    assert len(export["households"]) == 4


def _text_validation(folder):
    """Every table read as text from the start: the path the fast read must agree with."""
    raw = {}
    for name in TABLE_NAMES:
        path = folder / f"{name}.csv"
        rows = read_raw_table(path, name).num_rows
        raw[name] = read_csv_rows_as_text(path, name, np.arange(rows), rows)
    return validate_tables(raw, {name: str(folder / f"{name}.csv") for name in TABLE_NAMES})


def _assert_same_outcome(export, text_validation):
    for name, fast in export.validation.tables.items():
        slow = text_validation.tables[name]
        pd.testing.assert_frame_equal(fast.accepted, slow.accepted, obj=f"{name} accepted")
        pd.testing.assert_frame_equal(fast.quarantined, slow.quarantined, obj=f"{name} quarantined")
        assert (fast.read, fast.collapsed) == (slow.read, slow.collapsed), name


def test_fast_and_text_reads_agree_on_awkward_rows(tmp_path):
    folder = write_tiny_export(tmp_path / "export", with_row(_awkward_tables(), "income"), "csv")
    export = read_export(folder)
    _assert_same_outcome(export, _text_validation(folder))
    assert export.validation.tables["income"].collapsed == 1


def test_fast_and_text_reads_agree_on_a_generated_county(tmp_path):
    from synthetic.export import write_export
    from synthetic.simulate import SimulationConfig, simulate

    county = simulate(SimulationConfig(households=150, counties=1, start="2021-01", months=18, seed=3))
    write_export(county, tmp_path / "county", file_format="csv", dirty_rate=0.03, seed=3)
    export = read_export(tmp_path / "county")
    assert sum(len(t.quarantined) for t in export.validation.tables.values())
    _assert_same_outcome(export, _text_validation(tmp_path / "county"))


def test_a_clean_csv_file_is_read_once(tmp_path, monkeypatch):
    def second_read(*args, **kwargs):
        raise AssertionError("a clean file was read again as text")

    monkeypatch.setattr(read, "read_csv_rows_as_text", second_read)
    export = read_export(write_tiny_export(tmp_path / "export", tiny_tables(), "csv"))
    assert all(len(t.quarantined) == 0 for t in export.validation.tables.values())


def test_only_tables_with_rejected_rows_are_read_again(tmp_path, monkeypatch):
    again = []
    real = read.read_csv_rows_as_text
    monkeypatch.setattr(read, "read_csv_rows_as_text", lambda path, table, *rest: again.append(table) or real(
        path, table, *rest))
    read_export(write_tiny_export(tmp_path / "export", with_row(tiny_tables(), "visits", visit_id="V9",
                                                                  income_pc_12m_yuan="-1"), "csv"))
    assert again == ["visits"]


def test_a_file_that_changes_between_reads_is_unusable(tmp_path):
    folder = write_tiny_export(tmp_path / "export", tiny_tables(), "csv")
    with pytest.raises(TableUnusableError, match="visits.*held 3 rows, then 1"):
        read_csv_rows_as_text(folder / "visits.csv", "visits", np.array([0]), 3)


def test_order_and_period_reasons_quote_the_dates_as_the_file_writes_them(tmp_path):
    tables = with_row(tiny_tables(), "events", event_id="E9", occurred_on="2022-06-15", recorded_at="2022-6-01")
    tables = with_row(tables, "income", period_start="2022-06-02", period_end="2022-06-30",
                      recorded_at="2022-07-25 08:00")
    export = read_export(write_tiny_export(tmp_path / "export", tables, "csv"), tmp_path / "q")
    events = _quarantine_file(tmp_path / "q", "events")
    assert events.loc[0, "recorded_at"] == "2022-6-01"
    assert events.loc[0, "reason"].startswith("recorded_at '2022-6-01' is before occurred_on '2022-06-15'")
    income = _quarantine_file(tmp_path / "q", "income")
    assert income.loc[0, "reason"].startswith("period '2022-06-02' to '2022-06-30' is not one whole")
    assert len(export.validation.tables["events"].quarantined) == 1
