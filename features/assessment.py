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
from features.history import latest_versions
from features.monthly import MonthlyAmounts

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


def latest_assessments(income: MonthlyAmounts, members, lines, county, index, as_of, as_of_month: int) -> Assessments:
    """The assessments known at `as_of` (rows recorded before it) of every household code."""
    first = as_of_month - LOOKBACK_MONTHS
    n = len(index)
    winners = income.winners(as_of, first, as_of_month - 1)
    monthly = income.grid(winners, first, LOOKBACK_MONTHS, n)
    assessed = income.assessed(as_of, first, LOOKBACK_MONTHS, n)
    ends = _run_ends(assessed)
    income_to = _cumulative(monthly)
    present = members_at_month_ends(latest_versions(members, "person_id", as_of), index, first, LOOKBACK_MONTHS)
    line = line_at_month_ends(latest_versions(lines, ["county_code", "year"], as_of), county, first,
                              LOOKBACK_MONTHS, carry_forward=True)
    rows = np.arange(n)[:, None]
    valid = ends >= 0
    column = np.where(valid, ends, 0)
    total = np.where(valid, np.round(income_to[rows, column + 1] - income_to[rows, column + 1 - RUN_MONTHS], 2),
                     np.nan)  # to the fen: a quarter spread over its months adds up again exactly
    size = np.where(valid, present[rows, column], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_capita = np.where(size > 0, total / size, np.nan)
        ratio = per_capita / np.where(valid, line[rows, column], np.nan)
    latest = column[:, 0]
    sources = {}
    for name, items in SOURCE_GROUPS.items():
        part_to = _cumulative(income.grid(winners, first, LOOKBACK_MONTHS, n, items))
        sources[name] = np.where(valid[:, 0], part_to[rows[:, 0], latest + 1]
                                 - part_to[rows[:, 0], latest + 1 - RUN_MONTHS], np.nan)
    return Assessments(np.where(valid, ends + first, np.nan), total, per_capita, ratio, sources,
                       assessed[:, -24:].sum(axis=1).astype(float))


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
