"""Monitoring cases: identification (category, risk codes) and risk elimination."""
from __future__ import annotations

import numpy as np

from synthetic.book import Book
from synthetic.months import MonthGrid, month_of_day, office_time, random_days_in_month
from synthetic.codes import CAT, DIF, DIFFICULTIES, EDU, HLT
from synthetic.frames import NO_DAY
from synthetic.lifecourse import education_now, in_school
from synthetic.risk import SHOCK, RiskView
from synthetic.state import Households, People

RECENT_MONTHS = 12
SUDDEN_WITHIN_MONTHS = 6
ELIMINATION_REVIEW = 0.9            # chance a month that a qualifying case is eliminated
STABLE_MONTHS_TO_ELIMINATE = 6
MAX_RISK_CODES = 5


def new_case_book() -> Book:
    return Book(household=np.int64, category=np.int8, risk_codes=object, discovered_day=np.int64,
                channel=np.int8, identified_day=np.int64, eliminated_day=np.int64, recorded=np.int64,
                identified_month=np.int64)


def household_flags(hh: Households, people: People, grid: MonthGrid, t: int, view: RiskView) -> np.ndarray:
    """(households, difficulties) which difficulties a household has now, in the difficulty order."""
    year = grid.year(t)
    recent = (t - hh.last_difficulty) <= RECENT_MONTHS
    serious = np.bincount(people.household, weights=people.present & (people.health == HLT["serious"]), minlength=hh.size)
    severe_disability = np.bincount(people.household, minlength=hh.size, weights=people.present
                                    & (people.health == HLT["disabled"]) & (people.disability_grade <= 2))
    level = education_now(people, year)
    costly_school = np.bincount(people.household, minlength=hh.size, weights=people.present
                                & in_school(people, year, t) & np.isin(level, [EDU["senior"], EDU["vocational"], EDU["tertiary"]]))
    flags = recent.copy()
    flags[:, DIF["illness"]] |= (serious > 0) | (view.oop_12m > 0.15 * view.income_pc_12m * np.maximum(view.members, 1))
    flags[:, DIF["disability"]] |= severe_disability > 0
    flags[:, DIF["education"]] |= costly_school > 0
    flags[:, DIF["housing"]] |= hh.house_grade >= 2
    flags[:, DIF["water"]] |= ~hh.water_ok
    flags[:, DIF["other"]] = ~flags.any(axis=1) | flags[:, DIF["other"]]
    return flags


def risk_code_strings(flags: np.ndarray) -> np.ndarray:
    names = np.asarray(DIFFICULTIES, dtype=object)
    return np.array([";".join(names[np.flatnonzero(row)][:MAX_RISK_CODES]) for row in flags], dtype=object)


def categories(hh: Households, households: np.ndarray, view: RiskView, t: int) -> np.ndarray:
    sudden = ((t - hh.last_major_shock[households]) <= SUDDEN_WITHIN_MONTHS) | (view.state[households] == SHOCK)
    slow = np.where(hh.ex_poor[households], CAT["unstable"], CAT["edge"])
    return np.where(sudden, CAT["sudden"], slow).astype(np.int8)


def open_cases(rng, book: Book, hh: Households, grid: MonthGrid, households: np.ndarray, discovered_day: np.ndarray,
               channel: np.ndarray, category: np.ndarray, flags: np.ndarray) -> np.ndarray:
    delay = np.clip(np.round(rng.gamma(3.0, 5.0, households.size)), 3, 45).astype(np.int64)
    identified = discovered_day + delay
    rows = book.append(household=households, category=category, risk_codes=risk_code_strings(flags),
                       discovered_day=discovered_day, channel=channel, identified_day=identified,
                       eliminated_day=np.full(households.size, NO_DAY),
                       recorded=office_time(rng, identified + rng.integers(0, 10, households.size)),
                       identified_month=month_of_day(grid, identified))
    hh.case_row[households] = rows
    return rows


def eliminate(rng, book: Book, hh: Households, grid: MonthGrid, t: int, labour_units: np.ndarray) -> np.ndarray:
    """Open cases whose risk is gone: stable for 6+ months, someone able to work. Returns households."""
    open_rows = hh.case_row
    has_case = open_rows >= 0
    identified_month = book.lookup("identified_month", open_rows, t)
    qualifies = (has_case & hh.active & (identified_month <= t - STABLE_MONTHS_TO_ELIMINATE)
                 & (hh.stable_months >= STABLE_MONTHS_TO_ELIMINATE) & (labour_units > 0))
    chosen = np.flatnonzero(qualifies & (rng.random(hh.size) < ELIMINATION_REVIEW))
    rows = open_rows[chosen]
    day = random_days_in_month(rng, grid, t, chosen.size)
    book["eliminated_day"][rows] = np.maximum(day, book["identified_day"][rows])
    hh.case_row[chosen] = -1
    return chosen
