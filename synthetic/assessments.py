"""Income assessments as a county records them: survey income rows covering a window of months.

An assessment finds each source's income over its window (true income with the visit's error,
synthetic.assessment_error) and is entered as one form: one survey row per source found and
period, all with the form's recorded_at. The window's periods are single months in some counties
and calendar quarters (months at a ragged end stay single) in others. The yearly figure is spread
evenly over the periods, as an export of yearly figures does. A household found with no income
from any source gets one row of amount 0, source `other`, per period, so that its months count as
assessed.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from synthetic.assessment_error import (FARM_BUSINESS_SOURCES, IS_TRANSFER, ROUND_TO_THOUSAND_SHARE,
                                        WAGE_SOURCES, SurveyErrors, assessed_by_source, lean_upward, rounded)
from synthetic.codes import DS, INCOME_SOURCES, SRC
from synthetic.income_history import IncomeHistory
from synthetic.months import MonthGrid, window_periods
from synthetic.records import Recorder

ASSESSMENT_KINDS = ("autumn", "spring", "identification", "quarterly")
AUTUMN, SPRING, IDENTIFICATION, QUARTERLY = range(len(ASSESSMENT_KINDS))
QUARTERLY_ROWS_COUNTY_SHARE = 0.5    # counties whose systems hold quarters rather than months [E]


@dataclass
class Assessment:
    kind: int
    households: np.ndarray
    first_month: int                 # month index of the window's first month
    months: int
    true: np.ndarray                 # (sources, households) true income over the window
    assessed: np.ndarray             # (sources, households) as the assessment found it
    members: np.ndarray              # present at the end of the window's last month
    lifted: np.ndarray               # written up to just above the line

    @property
    def assessed_pc(self) -> np.ndarray:
        return self.assessed.sum(axis=0) / np.maximum(self.members, 1)

    def subset(self, keep: np.ndarray) -> "Assessment":
        return replace(self, households=self.households[keep], true=self.true[:, keep],
                       assessed=self.assessed[:, keep], members=self.members[keep], lifted=self.lifted[keep])


def county_share(rng: np.random.Generator, counties: int, share: float) -> np.ndarray:
    """A random set of round(share * counties) counties, as a boolean per county."""
    chosen = np.zeros(counties, dtype=bool)
    chosen[rng.permutation(counties)[: int(round(share * counties))]] = True
    return chosen


class Assessor:
    """Evaluates assessments from the income history and writes them as survey income rows."""

    def __init__(self, rng: np.random.Generator, household_county: np.ndarray, counties: int) -> None:
        self.rng = rng
        self.household_county = household_county
        self.history = IncomeHistory(len(INCOME_SOURCES), household_county.size)
        self.errors = SurveyErrors(rng, household_county.size)
        self.quarterly_rows = county_share(rng, counties, QUARTERLY_ROWS_COUNTY_SHARE)

    def evaluate(self, kind: int, households: np.ndarray, first_month: int, months: int, typical_pc: np.ndarray,
                 line: np.ndarray | None = None, thousands_share: float = ROUND_TO_THOUSAND_SHARE) -> Assessment:
        """Assess the window for the households; figures near `line` lean upward when it is given."""
        true = self.history.window_sums(households, first_month, months)
        members = self.history.members_at(households, first_month + months - 1)
        yearly_pc = true.sum(axis=0) * 12 / months / np.maximum(members, 1)
        gap = np.where(yearly_pc > 1.0, np.log(np.maximum(yearly_pc, 1.0) / typical_pc[households]), 0.0)
        assessed = assessed_by_source(self.rng, true, self.errors.persistent[households], gap)
        lifted = np.zeros(households.size, dtype=bool)
        if line is not None:
            assessed, lifted = lean_upward(self.rng, assessed, members, line[households])
        assessed = rounded(self.rng, assessed, thousands_share)
        return Assessment(kind, households, first_month, months, true, assessed, members, lifted)

    def write(self, rec: Recorder, grid: MonthGrid, a: Assessment, day: np.ndarray, recorded: np.ndarray,
              carried: bool = False) -> None:
        """Survey income rows of the assessments (entered at `recorded`, seconds; `day` is the visit
        or collection), and their truth."""
        quarterly = self.quarterly_rows[self.household_county[a.households]]
        for in_quarters in (False, True):
            chosen = np.flatnonzero(quarterly == in_quarters)
            if chosen.size:
                periods = window_periods(grid, a.first_month, a.months, in_quarters)
                _add_rows(rec, grid, a, chosen, periods, day, recorded, carried)
        _add_truth(rec, a, day, recorded, carried)


def _add_rows(rec: Recorder, grid: MonthGrid, a: Assessment, chosen: np.ndarray, periods: list[tuple[int, int]],
              day: np.ndarray, recorded: np.ndarray, carried: bool) -> None:
    found = a.assessed[:, chosen] > 0
    source, column = np.nonzero(found)
    nothing = np.flatnonzero(~found.any(axis=0))
    source = np.r_[source, np.full(nothing.size, SRC["other"])]
    column = chosen[np.r_[column, nothing]]
    window_amount = a.assessed[source, column]
    first_days = np.array([grid.first_day(first) for first, _ in periods])
    last_days = np.array([grid.last_day(last) for _, last in periods])
    shares = np.array([(last - first + 1) / a.months for first, last in periods])
    per_period, count = len(periods), column.size
    rec.add("income", household=np.tile(a.households[column], per_period),
            start=np.repeat(first_days, count), end=np.repeat(last_days, count),
            code=np.tile(source, per_period).astype(np.int8), source=np.full(per_period * count, DS["survey"], np.int8),
            amount=np.round(np.repeat(shares, count) * np.tile(window_amount, per_period), 2),
            recorded=np.tile(recorded[column], per_period), fact_day=np.tile(day[column], per_period),
            carried=np.full(per_period * count, carried))


def _add_truth(rec: Recorder, a: Assessment, day: np.ndarray, recorded: np.ndarray, carried: bool) -> None:
    n = a.households.size
    parts = {"farm_business": FARM_BUSINESS_SOURCES, "transfers": np.flatnonzero(IS_TRANSFER), "wages": WAGE_SOURCES}
    rec.add("assessments", household=a.households, kind=np.full(n, a.kind, np.int8),
            first_month=np.full(n, a.first_month), months=np.full(n, a.months), day=day, recorded=recorded,
            members=a.members, income_true=a.true.sum(axis=0), income_assessed=a.assessed.sum(axis=0),
            lifted=a.lifted, carried=np.full(n, carried), fact_day=day,
            **{f"{name}_true": a.true[sources].sum(axis=0) for name, sources in parts.items()},
            **{f"{name}_assessed": a.assessed[sources].sum(axis=0) for name, sources in parts.items()})
