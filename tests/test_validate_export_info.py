"""export.json: the moment the export was taken, the data's end, and rows recorded after it."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from features.contract import TABLE_NAMES
from features.read import read_export, read_exported_at
from features.validate import validate_tables
from stayout.errors import InputError, TableUnusableError
from tests.tiny_export import tiny_tables, with_row, write_tiny_export

EXPORTED_AT = pd.Timestamp("2024-01-01 00:00:00")
LATEST_RECORDED_AT = pd.Timestamp("2022-12-20")  # the tiny export's latest recorded_at (a monitoring line)


def _write_export_info(folder, text: str):
    (folder / "export.json").write_text(text, encoding="utf-8")
    return folder


def test_without_export_json_the_data_ends_with_the_latest_accepted_recorded_at(tmp_path):
    export = read_export(write_tiny_export(tmp_path / "export"))
    assert export.exported_at is None
    assert export.data_end == LATEST_RECORDED_AT


def test_a_quarantined_row_does_not_move_the_data_end(tmp_path):
    tables = with_row(tiny_tables(), "visits", visit_id="V9", income_pc_12m_yuan="-5", recorded_at="2031-01-01")
    export = read_export(write_tiny_export(tmp_path / "export", tables))
    assert len(export.validation.tables["visits"].quarantined) == 1
    assert export.data_end == LATEST_RECORDED_AT


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_export_json_gives_exported_at_and_the_data_end(tmp_path, file_format):
    folder = write_tiny_export(tmp_path / "export", file_format=file_format)
    export = read_export(_write_export_info(folder, json.dumps({"exported_at": "2024-01-01 00:00:00"})))
    assert export.exported_at == EXPORTED_AT
    assert isinstance(export.exported_at, pd.Timestamp)
    assert export.data_end == EXPORTED_AT
    assert all(len(t.quarantined) == 0 for t in export.validation.tables.values())


def test_a_date_alone_is_midnight(tmp_path):
    folder = _write_export_info(write_tiny_export(tmp_path / "export"), '{"exported_at": "2024-01-01"}')
    assert read_exported_at(folder) == EXPORTED_AT


@pytest.mark.parametrize("table", TABLE_NAMES)
def test_a_row_recorded_after_the_export_was_taken_is_quarantined_in_every_table(table):
    tables = with_row(tiny_tables(), table, recorded_at="2024-01-01 00:00:01")
    result = validate_tables(tables, exported_at=EXPORTED_AT).tables[table]
    assert len(result.quarantined) == 1 and result.reconciles
    row = result.quarantined.iloc[0]
    assert row["row_number"] == len(tiny_tables()[table]) + 1
    assert row["column"] == "recorded_at"
    assert row["reason"] == ("recorded after the export was taken: recorded_at '2024-01-01 00:00:01' is after "
                             "exported_at 2024-01-01 00:00:00 in export.json; correct recorded_at, or "
                             "exported_at if the export was taken later")


def test_a_row_recorded_at_the_moment_of_the_export_is_accepted():
    tables = with_row(tiny_tables(), "visits", visit_id="V9", recorded_at="2024-01-01 00:00:00")
    result = validate_tables(tables, exported_at=EXPORTED_AT).tables["visits"]
    assert len(result.quarantined) == 0 and len(result.accepted) == 2


def test_without_exported_at_no_row_is_too_late():
    tables = with_row(tiny_tables(), "visits", visit_id="V9", recorded_at="2031-01-01")
    assert len(validate_tables(tables).tables["visits"].quarantined) == 0


def test_rows_of_a_household_recorded_after_the_export_are_quarantined_too(tmp_path):
    tables = with_row(tiny_tables(), "households", household_id="H9", recorded_at="2025-03-01")
    tables = with_row(tables, "visits", visit_id="V9", household_id="H9", recorded_at="2023-03-01")
    folder = _write_export_info(write_tiny_export(tmp_path / "export", tables), '{"exported_at": "2024-01-01"}')
    export = read_export(folder, tmp_path / "q")
    households = pd.read_csv(tmp_path / "q" / "households.csv", dtype=str)
    assert households.loc[0, "recorded_at"] == "2025-03-01"
    assert "recorded_at '2025-03-01' is after exported_at" in households.loc[0, "reason"]
    assert "not an accepted households key" in export.validation.tables["visits"].quarantined.iloc[0]["reason"]


@pytest.mark.parametrize(("text", "words"), [
    ("{not json", "not UTF-8 JSON"),
    ('["2024-01-01"]', "does not give exported_at as text"),
    ("{}", "does not give exported_at as text"),
    ('{"exported_at": 20240101}', "does not give exported_at as text"),
    ('{"exported_at": null}', "does not give exported_at as text"),
    ('{"exported_at": ""}', "exported_at is empty"),
    ('{"exported_at": "soon"}', "exported_at 'soon' is not a valid timestamp"),
    ('{"exported_at": "2024-02-30 00:00:00"}', "exported_at '2024-02-30 00:00:00' does not exist in the calendar"),
])
def test_a_malformed_export_json_makes_the_export_unusable(tmp_path, text, words):
    folder = _write_export_info(write_tiny_export(tmp_path / "export"), text)
    with pytest.raises(TableUnusableError) as raised:
        read_export(folder)
    message = str(raised.value)
    assert str(folder / "export.json") in message and words in message
    assert 'write it as {"exported_at": "2024-01-01 00:00:00"}' in message


def test_an_export_json_that_is_not_utf8_is_unusable(tmp_path):
    folder = write_tiny_export(tmp_path / "export")
    (folder / "export.json").write_bytes(b'{"exported_at": "\xff"}')
    with pytest.raises(TableUnusableError, match="export.json.*not UTF-8 JSON"):
        read_export(folder)


def test_an_export_without_accepted_rows_or_export_json_has_no_end(tmp_path):
    tables = {name: frame.iloc[0:0] for name, frame in tiny_tables().items()}
    export = read_export(write_tiny_export(tmp_path / "export", tables))
    with pytest.raises(InputError, match="add export.json"):
        export.data_end


def test_exported_at_may_be_given_as_text():
    tables = with_row(tiny_tables(), "visits", visit_id="V9", recorded_at="2024-01-02")
    result = validate_tables(tables, exported_at="2024-01-01 00:00:00").tables["visits"]
    assert "after exported_at 2024-01-01 00:00:00" in result.quarantined.iloc[0]["reason"]
