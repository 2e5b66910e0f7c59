"""Row rules of the contract that involve more than one column (validation rules 5, 6, 8, 9)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from features.contract import AREA_PREFIXES, Table
from features.parse import Problem, quoted

QUARTER_START_MONTHS = (1, 4, 7, 10)
MICROS_PER_DAY = 86_400_000_000
DAY_OFFSET = 500_000  # keeps day numbers positive back to the year 600, so pairs pack into one integer
BLOCK_ROWS = 1 << 20


def row_rule_problems(table: Table, parsed: pd.DataFrame,
                      raw: dict[str, pa.ChunkedArray] | None = None) -> list[Problem]:
    """Problems with the order and agreement of values inside each row; messages quote the values
    as `raw` (the columns as read) holds them, or as parsed where a column is not given."""
    source = _Quoting(parsed, raw or {})
    problems: list[Problem] = []
    if table.known_after:
        problems += _not_before(parsed, source, table.known_after, "recorded_at",
                                "a record cannot be known before the {a} it records; correct {b} or {a}")
    for earlier, later in table.ordered:
        problems += _not_before(parsed, source, earlier, later, "{b} is before {a}; correct the dates")
    for column in table.not_after_recorded:
        problems += _not_before(parsed, source, column, "recorded_at",
                                "{a} is after recorded_at, which cannot be; correct {a} or recorded_at")
    if table.period:
        problems += _period_problems(parsed, source)
    problems += _agreement_problems(table, parsed)
    return problems


class _Quoting:
    """Quotes flagged values of a column as read (the raw column), else as parsed."""

    def __init__(self, parsed: pd.DataFrame, raw: dict[str, pa.ChunkedArray]) -> None:
        self.parsed, self.raw = parsed, raw

    def __call__(self, name: str, mask: np.ndarray) -> pd.Series:
        values = self.raw.get(name)
        return quoted(values if values is not None else pa.array(self.parsed[name].to_numpy()), mask)


def _not_before(parsed: pd.DataFrame, source: _Quoting, earlier: str, later: str, template: str) -> list[Problem]:
    first, second = parsed[earlier].to_numpy(), parsed[later].to_numpy()
    bad = second < first   # dates: false where either is missing (NaT)
    if not bad.any():
        return []

    def compose(quote) -> pd.Series:  # quote(column) -> 'value' per flagged row, as the file writes it
        return (f"{later} " + quote(later) + f" is before {earlier} " + quote(earlier) + ": "
                + template.format(a=earlier, b=later))

    return [Problem(bad, f"{earlier};{later}", compose(lambda name: source(name, bad)), compose=compose)]


def _period_problems(parsed: pd.DataFrame, source: _Quoting) -> list[Problem]:
    start, end = parsed["period_start"], parsed["period_end"]
    present = (start.notna() & end.notna()).to_numpy()
    start_micros, end_micros = start.to_numpy().view(np.int64), end.to_numpy().view(np.int64)
    bad = np.zeros(len(parsed), dtype=bool)
    for first in range(0, len(parsed), BLOCK_ROWS):  # a block at a time: no column-sized temporaries
        rows = slice(first, first + BLOCK_ROWS)
        bad[rows] = present[rows] & ~_whole_periods(start_micros[rows], end_micros[rows], present[rows])
    if not bad.any():
        return []
    def compose(quote) -> pd.Series:
        return ("period " + quote("period_start") + " to " + quote("period_end")
                + " is not one whole calendar month or quarter; split it into months"
                  " (first to last day) or give a calendar quarter")

    return [Problem(bad, "period_start;period_end", compose(lambda name: source(name, bad)), compose=compose)]


def _whole_periods(start_micros: np.ndarray, end_micros: np.ndarray, present: np.ndarray) -> np.ndarray:
    """Whether each (start, end) pair covers a whole month or quarter, checked once per distinct pair."""
    start_day = start_micros // MICROS_PER_DAY + DAY_OFFSET
    end_day = end_micros // MICROS_PER_DAY + DAY_OFFSET
    pair_codes, pairs = pd.factorize(np.where(present, start_day * 1_000_000 + end_day, -1))
    pair_starts = (pairs // 1_000_000 - DAY_OFFSET).astype("datetime64[D]")
    pair_ends = (pairs % 1_000_000 - DAY_OFFSET).astype("datetime64[D]")
    return _whole_month_or_quarter(pair_starts, pair_ends)[pair_codes]


def _whole_month_or_quarter(start_days: np.ndarray, end_days: np.ndarray) -> np.ndarray:
    """Checked on the distinct (start, end) pairs only: a table repeats few periods."""
    start_month = start_days.astype("datetime64[M]")
    starts_month = start_month.astype("datetime64[D]") == start_days
    month_end = (start_month + 1).astype("datetime64[D]") - 1
    quarter_end = (start_month + 3).astype("datetime64[D]") - 1
    month_of_year = start_month.astype(np.int64) % 12 + 1
    is_month = starts_month & (end_days == month_end)
    is_quarter = starts_month & np.isin(month_of_year, QUARTER_START_MONTHS) & (end_days == quarter_end)
    return is_month | is_quarter


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
