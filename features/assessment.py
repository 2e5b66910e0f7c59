"""The latest assessed 12-month incomes of each household, as known at an as-of date D.

Among the months assessed by survey rows known at D (a survey row covers the month), a run of
12 consecutive assessed months ending before D's month is an assessment of the household's
income. The latest such run is the "latest assessed 12-month income" of domain.md: its verified
income from the rows known at D (all data sources) over the members present at the run's last
month end, against the line of that month's calendar year. Earlier assessments are the latest
runs ending at least 12 months before the one after them, so no two overlap. Months nobody
assessed are never read as zero income: a household without a run has no assessed income.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.household_months import line_at_month_ends, members_at_month_ends
from features.monthly import SURVEY, MonthlyAmounts
from features.timeline import first_of_runs

LOOKBACK_MONTHS = 48       # four yearly assessments back
RUN_MONTHS = 12
ASSESSMENTS = 4
TRANSFER_SOURCES = ("public_welfare_job", "pension", "dibao", "subsidy", "remittance")
SOURCE_GROUPS = {
    "wage_local": ("wage_local",),
    "wage_migrant": ("wage_migrant",),
    "farm_business": ("agriculture", "business"),
    "transfers": TRANSFER_SOURCES,
}


@dataclass(frozen=True)
class Assessments:
    """Per household code, the latest `ASSESSMENTS` assessments, newest first (NaN where none)."""

    end_month: np.ndarray          # households x ASSESSMENTS: last month of the run (months since 1970-01)
    household_income: np.ndarray   # verified income over the run
    income_pc: np.ndarray          # per member present at the run's last month end
    line_ratio: np.ndarray         # per-capita income over the line of that month's year
    source_income: dict[str, np.ndarray]   # latest run only: income of each source group
    assessed_months: np.ndarray    # per household: months assessed in the last 24 before D's month


@dataclass(frozen=True)
class KnownIncome:
    """The income rows known at D for the months `first`..`first + months - 1`: every known
    position and the winners of each household, month and source (one pass over the rows)."""

    first: int
    months: int
    known: np.ndarray
    winners: np.ndarray

    @classmethod
    def at(cls, income: MonthlyAmounts, as_of, as_of_month: int, months: int) -> "KnownIncome":
        first = as_of_month - months
        known = income.known(as_of, first, as_of_month - 1)
        return cls(first, months, known, known[first_of_runs(income.group_start[known])])


def latest_assessments(income: MonthlyAmounts, rows: KnownIncome, latest_members, latest_lines, county,
                       index, member_codes: np.ndarray | None = None) -> Assessments:
    """The assessments of every household code in the rows known at D (`rows`, LOOKBACK_MONTHS
    long), with the latest member and line rows known at D (and the members' household codes,
    if at hand)."""
    first, n = rows.first, len(index)
    monthly = income.grid(rows.winners, first, LOOKBACK_MONTHS, n)
    survey = rows.known[income.source_rank[rows.known] == SURVEY]
    assessed = income.grid(survey, first, LOOKBACK_MONTHS, n, weights=False) > 0
    ends = _run_ends(assessed)
    income_to = _cumulative(monthly)
    present = members_at_month_ends(latest_members, index, first, LOOKBACK_MONTHS, member_codes)
    line = line_at_month_ends(latest_lines, county, first, LOOKBACK_MONTHS, carry_forward=True)
    households = np.arange(n)[:, None]
    valid = ends >= 0
    column = np.where(valid, ends, 0)
    total = np.where(valid, np.round(income_to[households, column + 1] - income_to[households, column + 1 - RUN_MONTHS],
                                     2), np.nan)  # to the fen: a quarter spread over its months adds up again exactly
    size = np.where(valid, present[households, column], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_capita = np.where(size > 0, total / size, np.nan)
        ratio = per_capita / np.where(valid, line[households, column], np.nan)
    return Assessments(np.where(valid, ends + first, np.nan), total, per_capita, ratio,
                       _latest_run_sources(income, rows.winners, first, column[:, 0], valid[:, 0], n),
                       assessed[:, -24:].sum(axis=1).astype(float))


def _latest_run_sources(income: MonthlyAmounts, winners: np.ndarray, first: int, end: np.ndarray,
                        valid: np.ndarray, n: int) -> dict[str, np.ndarray]:
    """Income of each source group over each household's latest run, in one pass over the winners."""
    group_of_item = np.full(len(income.items), len(SOURCE_GROUPS))
    for position, items in enumerate(SOURCE_GROUPS.values()):
        group_of_item[[income.items.index(item) for item in items]] = position
    household, month = income.household[winners], income.month[winners] - first
    in_run = valid[household] & (month <= end[household]) & (month > end[household] - RUN_MONTHS)
    cell = household[in_run] * (len(SOURCE_GROUPS) + 1) + group_of_item[income.item[winners[in_run]]]
    sums = np.bincount(cell, weights=income.amount[winners[in_run]], minlength=n * (len(SOURCE_GROUPS) + 1))
    sums = sums.reshape(n, len(SOURCE_GROUPS) + 1)
    return {name: np.where(valid, sums[:, position], np.nan) for position, name in enumerate(SOURCE_GROUPS)}


def _cumulative(monthly: np.ndarray) -> np.ndarray:
    return np.concatenate([np.zeros((monthly.shape[0], 1)), np.cumsum(monthly, axis=1)], axis=1)


def _run_ends(assessed: np.ndarray) -> np.ndarray:
    """Column of the last month of each household's latest `ASSESSMENTS` non-overlapping runs (-1: none)."""
    counts = _cumulative(assessed.astype(float))
    complete = np.zeros_like(assessed)
    complete[:, RUN_MONTHS - 1:] = (counts[:, RUN_MONTHS:] - counts[:, :-RUN_MONTHS]) == RUN_MONTHS
    columns = np.arange(assessed.shape[1])
    bound = np.full(assessed.shape[0], assessed.shape[1] - 1)
    ends = np.full((assessed.shape[0], ASSESSMENTS), -1, dtype=np.int64)
    for k in range(ASSESSMENTS):
        candidates = np.where(complete & (columns <= bound[:, None]), columns, -1).max(axis=1)
        ends[:, k] = candidates
        bound = np.where(candidates >= 0, candidates - RUN_MONTHS, -1)
    return ends
