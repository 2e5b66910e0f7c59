"""Row rules of the contract that involve more than one column (validation rules 5, 6, 8, 9)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from features.contract import AREA_PREFIXES, Table
from features.parse import Problem

QUARTER_START_MONTHS = (1, 4, 7, 10)


def row_rule_problems(table: Table, parsed: pd.DataFrame) -> list[Problem]:
    """Problems with the order and agreement of values inside each row."""
    problems: list[Problem] = []
    if table.known_after:
        problems += _not_before(parsed, table.known_after, "recorded_at",
                                "a record cannot be known before the {a} it records; correct {b} or {a}")
    for earlier, later in table.ordered:
        problems += _not_before(parsed, earlier, later, "{b} is before {a}; correct the dates")
    for column in table.not_after_recorded:
        problems += _not_before(parsed, column, "recorded_at",
                                "{a} is after recorded_at, which cannot be; correct {a} or recorded_at")
    if table.period:
        problems += _period_problems(parsed)
    problems += _agreement_problems(table, parsed)
    return problems


def _not_before(parsed: pd.DataFrame, earlier: str, later: str, template: str) -> list[Problem]:
    first, second = parsed[earlier], parsed[later]
    bad = (first.notna() & second.notna() & (second < first)).to_numpy()
    if not bad.any():
        return []
    message = (f"{later} " + second[bad].astype("str") + f" is before {earlier} " + first[bad].astype("str")
               + ": " + template.format(a=earlier, b=later))
    return [Problem(bad, f"{earlier};{later}", message)]


def _period_problems(parsed: pd.DataFrame) -> list[Problem]:
    start, end = parsed["period_start"], parsed["period_end"]
    present = (start.notna() & end.notna()).to_numpy()
    month_end = start + pd.offsets.MonthEnd(0)
    quarter_end = start + pd.offsets.MonthEnd(3)
    starts_month = (start.dt.day == 1).to_numpy()
    is_month = starts_month & (end == month_end).to_numpy()
    is_quarter = starts_month & start.dt.month.isin(QUARTER_START_MONTHS).to_numpy() & (end == quarter_end).to_numpy()
    bad = present & ~(is_month | is_quarter)
    if not bad.any():
        return []
    message = ("period " + start[bad].dt.strftime("%Y-%m-%d") + " to " + end[bad].dt.strftime("%Y-%m-%d")
               + " is not one whole calendar month or quarter; split it into months"
                 " (first to last day) or give a calendar quarter")
    return [Problem(bad, "period_start;period_end", message)]


def _agreement_problems(table: Table, parsed: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    columns = set(parsed.columns)
    if {"exit_year", "household_type"} <= columns:
        bad = (parsed["exit_year"].notna() & (parsed["household_type"] != "ex_poor")).to_numpy()
        problems += _flag(bad, "exit_year;household_type",
                          "exit_year is set for a household that is not ex_poor; clear exit_year or correct household_type")
    if {"disability_grade", "health"} <= columns:
        disabled = (parsed["health"] == "disabled").to_numpy(dtype=bool, na_value=False)
        has_grade = parsed["disability_grade"].notna().to_numpy()
        problems += _flag(disabled & ~has_grade & parsed["health"].notna().to_numpy(), "disability_grade;health",
                          "health is disabled but disability_grade is empty; give the grade 1-4")
        problems += _flag(~disabled & has_grade & parsed["health"].notna().to_numpy(), "disability_grade;health",
                          "disability_grade is set but health is not disabled; clear the grade or correct health")
    if {"outcome", "resolved_at"} <= columns:
        has_outcome = parsed["outcome"].notna().to_numpy()
        has_resolved = parsed["resolved_at"].notna().to_numpy()
        problems += _flag(has_outcome & ~has_resolved, "outcome;resolved_at",
                          "outcome is set but resolved_at is empty; give the date the outcome was decided")
        problems += _flag(~has_outcome & has_resolved, "outcome;resolved_at",
                          "resolved_at is set but outcome is empty; give the outcome or clear resolved_at")
    if table.name == "areas":
        for longer, shorter in AREA_PREFIXES:
            ok = _starts_with(parsed[longer], parsed[shorter], table.column(shorter).digits or 0)
            present = (parsed[longer].notna() & parsed[shorter].notna()).to_numpy()
            problems += _flag(present & ~ok, f"{longer};{shorter}",
                              f"{longer} does not start with its {shorter}; correct one of the two codes")
    return problems


def _starts_with(longer: pd.Series, shorter: pd.Series, width: int) -> np.ndarray:
    return (longer.str.slice(0, width) == shorter).fillna(False).to_numpy(dtype=bool)


def _flag(bad: np.ndarray, column: str, message: str) -> list[Problem]:
    return [Problem(bad, column, message)] if bad.any() else []
