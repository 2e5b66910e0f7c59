"""When a county assesses household income (domain.md, "How records really arrive"):
- the autumn check (October-December, in the county's check month): formerly poor and monitored
  households, income of the previous October-September [S];
- the spring screen (May) of every household, income of May-April, entered only for the
  households it flags or that are monitored [S, inference];
- identification: the income of the 12 months before the discovery [S];
- a quarterly collection for monitored households in some counties, for the quarter just ended [S].
"""
from __future__ import annotations

import numpy as np

from synthetic.assessments import AUTUMN, IDENTIFICATION, QUARTERLY, SPRING, Assessor, county_share
from synthetic.book import Book
from synthetic.frames import NO_DAY
from synthetic.months import MonthGrid, month_of_day, office_time
from synthetic.records import Recorder
from synthetic.state import Households

AUTUMN_WINDOW_FIRST_CALENDAR_MONTH = 10       # October of the year before the check
QUARTERLY_COLLECTION_COUNTY_SHARE = 1 / 3     # "some counties add a quarterly collection" [S]; share [E]
QUARTER_FIRST_MONTHS = (1, 4, 7, 10)
COLLECTION_DAYS = (0, 21)                     # in the first weeks after the quarter [E]
COLLECTION_ENTRY_LAG_DAYS = (3, 25)
# The spring screen looks for households that may fall under the line. It flags a household when
# its assessed income per person, less the out-of-pocket medical costs of the last 12 months it
# is told of, is under 1.5 times the line (the buffer the civil-affairs low-income comparison
# uses too), or when a major shock (serious illness, disability, accident, severe disaster, job
# loss, failed business, death of a working member) struck in the last 3 months, before its
# costs are known [E]. Structural difficulties (housing, water, schooling) are the checklist's.
SCREEN_INCOME_MULTIPLE = 1.5
SCREEN_SHOCK_MONTHS = 3
# the household check follows a lead within 2 working days [S]; the case's income is entered
# around its identification [S]
CHECK_DAYS_AFTER_DISCOVERY = 2
IDENTIFICATION_ENTRY_DAYS = (-5, 11)


class AssessmentRounds:
    def __init__(self, rng: np.random.Generator, household_county: np.ndarray, counties: int) -> None:
        self.rng = rng
        self.assessor = Assessor(rng, household_county, counties)
        self.quarterly_collection = county_share(rng, counties, QUARTERLY_COLLECTION_COUNTY_SHARE)
        self.pending_cases = np.zeros(0, dtype=np.int64)
        self.cases_seen = 0

    def autumn(self, rec: Recorder, grid: MonthGrid, t: int, households: np.ndarray, day: np.ndarray,
               recorded: np.ndarray, typical_pc: np.ndarray, line: np.ndarray, carried: bool) -> np.ndarray | None:
        """Assess the autumn check's visits; the assessed income per person, or None when the
        window was not simulated."""
        first = t - 12 - (grid.calendar_month(t) - AUTUMN_WINDOW_FIRST_CALENDAR_MONTH)
        if not self.assessor.history.holds(first, 12):
            return None
        found = self.assessor.evaluate(AUTUMN, households, first, 12, typical_pc, line)
        self.assessor.write(rec, grid, found, day, recorded, carried)
        return found.assessed_pc

    def spring(self, rec: Recorder, grid: MonthGrid, t: int, hh: Households, households: np.ndarray,
               day: np.ndarray, recorded: np.ndarray, monitored: np.ndarray, typical_pc: np.ndarray,
               line: np.ndarray, oop_12m: np.ndarray) -> np.ndarray:
        """Screen the spring visits; the assessed income per person of the flagged and monitored
        households (whose income is entered), NaN for the others."""
        income_pc = np.full(households.size, np.nan)
        if not self.assessor.history.holds(t - 12, 12):
            return income_pc
        found = self.assessor.evaluate(SPRING, households, t - 12, 12, typical_pc, line)
        left_pc = found.assessed_pc - oop_12m[households] / np.maximum(found.members, 1)
        shock = (t - hh.last_major_shock[households]) <= SCREEN_SHOCK_MONTHS
        entered = (left_pc < SCREEN_INCOME_MULTIPLE * line[households]) | shock | monitored
        self.assessor.write(rec, grid, found.subset(entered), day[entered], recorded[entered])
        income_pc[entered] = found.assessed_pc[entered]
        return income_pc

    def identification(self, rec: Recorder, grid: MonthGrid, t: int, cases: Book, typical_pc: np.ndarray,
                       first_data_day: int) -> None:
        """Assess new cases once the 12 months before their discovery month are over."""
        new = np.arange(self.cases_seen, cases.count)
        self.cases_seen = cases.count
        self.pending_cases = np.r_[self.pending_cases, new[cases["discovered_day"][new] >= first_data_day]]
        discovery_month = month_of_day(grid, cases["discovered_day"][self.pending_cases])
        ready = discovery_month - 1 <= t
        rows, months = self.pending_cases[ready], discovery_month[ready]
        self.pending_cases = self.pending_cases[~ready]
        for month in np.unique(months):
            picked = rows[months == month]
            if not self.assessor.history.holds(int(month) - 12, 12):
                continue
            found = self.assessor.evaluate(IDENTIFICATION, cases["household"][picked], int(month) - 12, 12, typical_pc)
            discovered, identified = cases["discovered_day"][picked], cases["identified_day"][picked]
            entry = np.maximum(discovered + CHECK_DAYS_AFTER_DISCOVERY,
                               identified + self.rng.integers(*IDENTIFICATION_ENTRY_DAYS, picked.size))
            self.assessor.write(rec, grid, found, discovered, office_time(self.rng, entry))

    def quarterly(self, rec: Recorder, grid: MonthGrid, t: int, hh: Households, cases: Book,
                  typical_pc: np.ndarray) -> None:
        """In the counties that collect quarterly: the quarter just ended, for monitored households."""
        if grid.calendar_month(t) not in QUARTER_FIRST_MONTHS or not self.assessor.history.holds(t - 3, 3):
            return
        identified = cases.lookup("identified_day", hh.case_row, NO_DAY)
        monitored = (hh.case_row >= 0) & (identified <= grid.last_day(t - 1)) & hh.active
        households = np.flatnonzero(monitored & self.quarterly_collection[hh.county])
        found = self.assessor.evaluate(QUARTERLY, households, t - 3, 3, typical_pc, thousands_share=0.0)
        day = grid.first_day(t) + self.rng.integers(*COLLECTION_DAYS, households.size)
        recorded = office_time(self.rng, day + self.rng.integers(*COLLECTION_ENTRY_LAG_DAYS, households.size))
        self.assessor.write(rec, grid, found, day, recorded)


def typical_income(income_pc_12m: np.ndarray, members: np.ndarray, hh: Households) -> np.ndarray:
    """Per household: the median true 12-month income per person of its kind (formerly poor or
    ordinary), the mean the visits' errors pull toward."""
    out = np.ones(hh.size)
    for ex_poor in (True, False):
        mine = hh.ex_poor == ex_poor
        there = mine & hh.active & (members > 0)
        if there.any():
            out[mine] = max(float(np.median(income_pc_12m[there])), 1.0)
    return out
