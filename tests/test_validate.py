"""Validation of hand-written exports: every rule, every reconciliation, every message."""
from __future__ import annotations

import pandas as pd
import pytest

from features.read import read_export
from features.validate import validate_tables
from stayout.errors import TableUnusableError
from tests.tiny_export import tiny_tables, with_row, write_tiny_export


def _validate(tables):
    return validate_tables(tables)


def _quarantined(result, table):
    return result.tables[table].quarantined


def test_clean_export_is_accepted_whole():
    result = _validate(tiny_tables())
    for name, table in result.tables.items():
        assert len(table.quarantined) == 0, (name, table.quarantined.to_dict("records"))
        assert table.reconciles
        assert table.collapsed == 0
    assert len(result.tables["households"].accepted) == 4


def test_accepted_rows_have_canonical_dtypes():
    accepted = _validate(tiny_tables()).accepted()
    households = accepted["households"]
    assert isinstance(households["household_type"].dtype, pd.CategoricalDtype)
    assert list(households["household_type"].cat.categories) == ["ex_poor", "ordinary"]
    assert households["water_ok"].dtype == bool
    assert str(households["exit_year"].dtype) == "Int64"
    assert households["recorded_at"].dtype == "datetime64[us]"
    assert accepted["members"]["birth_year"].dtype == "int64"
    assert accepted["income"]["amount_yuan"].dtype == "float64"
    assert households.loc[3, "recorded_at"] == pd.Timestamp("2022-09-01 10:00:00")


def test_chinese_labels_are_mapped_to_codes():
    tables = tiny_tables()
    tables["households"].loc[1, "household_type"] = "一般农户"
    tables["income"].loc[0, "data_source"] = "部门比对"
    tables["cases"].loc[0, "category"] = "脱贫不稳定户"
    accepted = _validate(tables).accepted()
    assert accepted["households"].loc[1, "household_type"] == "ordinary"
    assert accepted["income"].loc[0, "data_source"] == "department"
    assert accepted["cases"].loc[0, "category"] == "unstable"


@pytest.mark.parametrize(
    ("table", "changes", "column", "words"),
    [
        ("income", {"amount_yuan": "-50"}, "amount_yuan", "negative"),
        ("income", {"amount_yuan": "12O0"}, "amount_yuan", "not a number"),
        ("income", {"amount_yuan": "1e999"}, "amount_yuan", "not a finite number"),
        ("income", {"source": "salary"}, "source", "not a known code"),
        ("income", {"recorded_at": "2022-06-15"}, "period_end;recorded_at", "cannot be known before"),
        ("income", {"period_end": "2022-06-20"}, "period_start;period_end", "whole calendar month"),
        ("income", {"household_id": "H999"}, "household_id", "not an accepted households key"),
        ("members", {"person_id": "P9", "health": "disabled"}, "disability_grade;health", "give the grade"),
        ("members", {"person_id": "P9", "migrant_months": "13"}, "migrant_months", "outside 0-12"),
        ("members", {"person_id": "P9", "birth_year": "1975.5"}, "birth_year", "whole number"),
        ("members", {"person_id": "P9", "birth_year": "1e30"}, "birth_year", "outside 1880-2100"),
        ("members", {"person_id": "P9", "left_on": "1960-01-01"}, "joined_on;left_on", "before joined_on"),
        ("households", {"household_id": "H9", "household_type": "ordinary"}, "exit_year;household_type",
         "not ex_poor"),
        ("households", {"household_id": "H9", "water_ok": "yes"}, "water_ok", "true or false"),
        ("households", {"household_id": "H9", "dissolved_on": "2023-01-01"}, "dissolved_on;recorded_at",
         "after recorded_at"),
        ("events", {"event_id": "E9", "person_id": "P404"}, "person_id", "not an accepted members key"),
        ("events", {"event_id": "E9", "severity": "4"}, "severity", "outside 1-3"),
        ("events", {"event_id": "E9", "occurred_on": "2022-05-10 13:00"}, "occurred_on", "time of day"),
        ("alerts", {"alert_id": "A9", "resolved_at": ""}, "outcome;resolved_at", "resolved_at is empty"),
        ("cases", {"case_id": "C9", "risk_codes": "illness;debt"}, "risk_codes", "unknown code"),
        ("cases", {"case_id": "C9", "risk_codes": "illness;housing;water;education;disaster;other"},
         "risk_codes", "more than 5"),
        ("cases", {"case_id": "C9", "identified_on": "2022-06-01"}, "discovered_on;identified_on",
         "before discovered_on"),
        ("assistance", {"measure_id": "M9", "start_on": ""}, "start_on", "is empty"),
        ("areas", {"village_code": "520103001001"}, "village_code;township_code", "does not start with"),
        ("monitoring_lines", {"year": "2024", "county_code": "999999"}, "county_code", "not an accepted areas"),
    ],
)
def test_each_rule_quarantines_the_row_with_column_and_fix(table, changes, column, words):
    result = _validate(with_row(tiny_tables(), table, **changes))
    quarantined = _quarantined(result, table)
    assert len(quarantined) == 1, quarantined.to_dict("records")
    row = quarantined.iloc[0]
    assert row["row_number"] == len(tiny_tables()[table]) + 1
    assert row["column"] == column
    assert words in row["reason"]
    assert result.tables[table].reconciles
    assert len(result.tables[table].accepted) == len(tiny_tables()[table])


def test_several_reasons_are_joined_on_one_line():
    result = _validate(with_row(tiny_tables(), "income", amount_yuan="-5", source="salary"))
    row = _quarantined(result, "income").iloc[0]
    assert row["column"] == "source;amount_yuan"
    assert "negative" in row["reason"] and "not a known code" in row["reason"]


def test_exact_repeats_collapse_and_reconcile():
    result = _validate(with_row(tiny_tables(), "income"))
    income = result.tables["income"]
    assert income.collapsed == 1 and len(income.quarantined) == 0
    assert income.read == len(income.accepted) + income.collapsed + len(income.quarantined)


def test_duplicate_id_with_different_content_keeps_the_first():
    result = _validate(with_row(tiny_tables(), "events", severity="1"))
    events = result.tables["events"]
    assert len(events.accepted) == 2
    assert events.accepted.loc[0, "severity"] == 3
    row = events.quarantined.iloc[0]
    assert row["row_number"] == 3 and "duplicate id with different content" in row["reason"]
    assert "repeats row 1" in row["reason"]


def test_household_versions_are_kept_but_a_same_time_conflict_is_not():
    tables = with_row(tiny_tables(), "households", house_grade="D")
    result = _validate(tables)
    households = result.tables["households"]
    assert len(households.accepted) == 4
    assert "same key and recorded_at" in households.quarantined.iloc[0]["reason"]


def test_source_conflicts_and_versions_of_income_are_never_quarantined():
    tables = with_row(tiny_tables(), "income", data_source="self_report", amount_yuan="9999")
    tables = with_row(tables, "income", amount_yuan="4300", recorded_at="2022-09-01")
    income = _validate(tables).tables["income"]
    assert len(income.quarantined) == 0 and len(income.accepted) == 7


def test_rows_of_a_quarantined_household_are_quarantined_too():
    tables = tiny_tables()
    tables["households"].loc[1, "house_grade"] = "E"
    result = _validate(tables)
    assert list(_quarantined(result, "households")["household_id"]) == ["H002"]
    member = _quarantined(result, "members")
    assert list(member["person_id"]) == ["P0021"]
    assert "not an accepted households key" in member.iloc[0]["reason"]
    assert list(_quarantined(result, "income")["household_id"]) == ["H002"]


def test_extra_columns_are_ignored_with_a_warning():
    tables = tiny_tables()
    tables["visits"]["cadre_note"] = "ok"
    result = _validate(tables)
    assert "cadre_note" in result.tables["visits"].warnings[0]
    assert "cadre_note" not in result.tables["visits"].accepted.columns


def test_missing_nullable_column_is_read_as_empty():
    tables = tiny_tables()
    tables["events"] = tables["events"].drop(columns=["est_loss_yuan"])
    events = _validate(tables).tables["events"]
    assert len(events.accepted) == 2 and events.accepted["est_loss_yuan"].isna().all()


def test_missing_required_column_makes_the_table_unusable():
    tables = tiny_tables()
    tables["income"] = tables["income"].drop(columns=["amount_yuan"])
    with pytest.raises(TableUnusableError, match="income.*amount_yuan.*add the column"):
        _validate(tables)


def test_inputs_are_not_modified():
    tables = tiny_tables()
    before = {name: frame.copy() for name, frame in tables.items()}
    _validate(with_row(tables, "income", amount_yuan="-1"))
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, before[name])


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_read_export_writes_quarantine_files(tmp_path, file_format):
    tables = with_row(tiny_tables(), "income", amount_yuan="-50")
    data_dir = write_tiny_export(tmp_path / "county-520102", tables, file_format)
    export = read_export(data_dir, tmp_path / "q")
    assert len(export["income"]) == 5
    quarantine = pd.read_csv(tmp_path / "q" / "income.csv", dtype=str)
    assert list(quarantine.columns) == [*tables["income"].columns, "row_number", "column", "reason"]
    assert quarantine.loc[0, "row_number"] == "6"
    assert not (tmp_path / "q" / "households.csv").exists()


def test_csv_and_parquet_exports_give_the_same_accepted_rows(tmp_path):
    csv = read_export(write_tiny_export(tmp_path / "a", file_format="csv"))
    parquet = read_export(write_tiny_export(tmp_path / "b", file_format="parquet"))
    for name in csv.tables:
        pd.testing.assert_frame_equal(csv[name], parquet[name])


def test_unreadable_file_is_an_unusable_table(tmp_path):
    data_dir = write_tiny_export(tmp_path / "x")
    (data_dir / "visits.csv").write_bytes(b"\xff\xfe\x00broken")
    with pytest.raises(TableUnusableError, match="visits"):
        read_export(data_dir)


def test_values_with_surrounding_spaces_are_trimmed():
    tables = tiny_tables()
    tables["income"].loc[0, "household_id"] = " H001"
    tables["income"].loc[1, "source"] = "wage_migrant\t"
    income = _validate(tables).tables["income"]
    assert len(income.quarantined) == 0
    assert income.accepted.loc[0, "household_id"] == "H001"
    assert income.accepted.loc[1, "source"] == "wage_migrant"
