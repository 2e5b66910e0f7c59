"""Dates and timestamps must exist in the calendar: never rolled over into the next month."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from features.read import read_export
from features.validate import validate_tables
from tests.tiny_export import tiny_tables, with_row, write_tiny_export

IMPOSSIBLE_DATES = ["2022-02-30", "2021-04-31", "2023-02-29", "1900-02-29", "2022-2-30"]
IMPOSSIBLE_TIMESTAMPS = ["2022-02-30 10:00:00", "2021-04-31T09:30", "2023-02-29 08:00:00.5",
                         "2022-06-01 23:59:60", "2022-04-31T10:00:00+08:00", "2022-2-29 10:00:00"]
# a date column (events.occurred_on) and a timestamp column (self_reports.received_at), each in a
# row that is valid apart from that value
DATE_ROW = ("events", "occurred_on", {"event_id": "E9"})
TIMESTAMP_ROW = ("self_reports", "received_at", {"report_id": "R9"})


def _quarantined_row(result, table):
    quarantined = result.tables[table].quarantined
    assert len(quarantined) == 1, quarantined.to_dict("records")
    assert result.tables[table].reconciles
    assert len(result.tables[table].accepted) == len(tiny_tables()[table])
    return quarantined.iloc[0]


def _export_result(tmp_path, tables, file_format):
    return read_export(write_tiny_export(tmp_path / "export", tables, file_format)).validation


def _assert_calendar_reason(row, column, value, kind):
    assert row["column"] == column
    assert f"{column} '{value}' does not exist in the calendar" in row["reason"]
    assert f"write the {kind} that was meant" in row["reason"]


@pytest.mark.parametrize("value", IMPOSSIBLE_DATES)
@pytest.mark.parametrize("path", ["text", "csv", "parquet"])
def test_impossible_date_is_quarantined_never_rolled_over(tmp_path, value, path):
    table, column, ids = DATE_ROW
    tables = with_row(tiny_tables(), table, **ids, **{column: value, "recorded_at": "2022-06-28"})
    result = validate_tables(tables) if path == "text" else _export_result(tmp_path, tables, path)
    row = _quarantined_row(result, table)
    _assert_calendar_reason(row, column, value, "date")
    assert row[column] == value
    assert not result.tables[table].accepted[column].dt.month.eq(3).any()


@pytest.mark.parametrize("value", IMPOSSIBLE_TIMESTAMPS)
@pytest.mark.parametrize("path", ["text", "csv", "parquet"])
def test_impossible_timestamp_is_quarantined_never_rolled_over(tmp_path, value, path):
    table, column, ids = TIMESTAMP_ROW
    tables = with_row(tiny_tables(), table, **ids, **{column: value, "recorded_at": "2022-07-06"})
    result = validate_tables(tables) if path == "text" else _export_result(tmp_path, tables, path)
    row = _quarantined_row(result, table)
    _assert_calendar_reason(row, column, value, "timestamp")
    assert row[column] == value


def test_impossible_recorded_at_is_quarantined_in_the_fast_csv_read(tmp_path):
    tables = with_row(tiny_tables(), "income", recorded_at="2022-09-31")
    income = _export_result(tmp_path, tables, "csv").tables["income"]
    assert income.collapsed == 0 and len(income.quarantined) == 1
    _assert_calendar_reason(income.quarantined.iloc[0], "recorded_at", "2022-09-31", "timestamp")


@pytest.mark.parametrize("value, expected", [
    ("2024-02-29", "2024-02-29"), ("2000-02-29", "2000-02-29"), ("2022-2-28", "2022-02-28"),
    ("2022-04-30", "2022-04-30"), ("2022-12-31", "2022-12-31"),
])
def test_real_dates_at_the_end_of_a_month_are_accepted(value, expected):
    table, column, ids = DATE_ROW
    result = validate_tables(with_row(tiny_tables(), table, **ids, **{column: value, "recorded_at": "2024-06-28"}))
    accepted = result.tables[table].accepted
    assert len(result.tables[table].quarantined) == 0
    assert accepted[column].iloc[-1] == pd.Timestamp(expected)


@pytest.mark.parametrize("value, expected", [
    ("2024-02-29 23:59:59", "2024-02-29 23:59:59"), ("2022-06-30T10:00", "2022-06-30 10:00:00"),
    ("2022-06-30 10:00:00.25", "2022-06-30 10:00:00.25"), ("2022-06-30T02:00:00Z", "2022-06-30 10:00:00"),
])
def test_real_timestamps_are_accepted(value, expected):
    table, column, ids = TIMESTAMP_ROW
    result = validate_tables(with_row(tiny_tables(), table, **ids, **{column: value, "recorded_at": "2024-03-05"}))
    assert len(result.tables[table].quarantined) == 0
    assert result.tables[table].accepted[column].iloc[-1] == pd.Timestamp(expected)


def test_timestamps_with_and_without_a_zone_in_one_column_are_each_read():
    tables = with_row(tiny_tables(), "self_reports", report_id="R9", received_at="2022-07-05T10:18:00Z")
    tables = with_row(tables, "self_reports", report_id="R10", received_at="2022-07-05 18:20:00.5")
    tables = with_row(tables, "self_reports", report_id="R11", received_at="2022-07-05T18:20:00 +08:00")
    result = validate_tables(tables).tables["self_reports"]
    assert len(result.quarantined) == 0
    assert list(result.accepted["received_at"].iloc[1:]) == [
        pd.Timestamp("2022-07-05 18:18:00"), pd.Timestamp("2022-07-05 18:20:00.5"), pd.Timestamp("2022-07-05 18:20:00")]


def test_a_malformed_date_keeps_the_plain_message():
    table, column, ids = DATE_ROW
    row = _quarantined_row(validate_tables(with_row(tiny_tables(), table, **ids, **{column: "2022-13-01"})), table)
    assert "'2022-13-01' is not a valid date; write it as 2023-06-01" in row["reason"]


def test_typed_parquet_dates_are_read_as_stored(tmp_path):
    tables = with_row(tiny_tables(), *DATE_ROW[:1], **DATE_ROW[2], occurred_on="2024-02-29", recorded_at="2024-03-01")
    events = tables["events"]
    tables["events"] = events.assign(occurred_on=pd.to_datetime(events["occurred_on"]).dt.date,
                                     recorded_at=pd.to_datetime(events["recorded_at"]))
    accepted = _export_result(tmp_path, tables, "parquet").tables["events"].accepted
    assert accepted["occurred_on"].iloc[-1] == pd.Timestamp("2024-02-29")
    assert accepted["occurred_on"].dtype == "datetime64[us]"


def test_a_column_of_impossible_dates_is_quarantined_row_by_row():
    days = [f"2022-02-{day:02d}" for day in range(1, 32)]
    events = pd.concat([tiny_tables()["events"].iloc[[1]]] * len(days), ignore_index=True)
    events["event_id"] = [f"E{day}" for day in range(len(days))]
    events["occurred_on"] = days
    events["recorded_at"] = "2022-03-05"
    tables = tiny_tables()
    tables["events"] = events
    result = validate_tables(tables).tables["events"]
    assert list(result.quarantined["occurred_on"]) == days[28:]
    assert np.array_equal(result.accepted["occurred_on"].dt.day.to_numpy(), np.arange(1, 29))
    assert pa.array(result.accepted["occurred_on"]).type == pa.timestamp("us")
