"""Assistance measures: which a new case gets, how long they run, and what they change."""
from __future__ import annotations

import numpy as np

from synthetic.book import Book
from synthetic.months import MonthGrid, month_of_day
from synthetic.codes import MEA
from synthetic.frames import NO_DAY
from synthetic.income import SupportEffects
from synthetic.state import Households

OPEN_ENDED = 1_000_000
# measure: (months it runs, amount range in yuan or None)
MEASURE_TERMS = {
    "industrial": (12, (2_000, 6_000)),
    "employment": (6, None),
    "public_welfare_job": (12, (7_200, 12_000)),
    "microcredit": (36, (20_000, 50_000)),
    "medical_aid": (12, None),
    "education_aid": (12, (1_000, 3_000)),
    "dibao": (OPEN_ENDED, None),
    "temporary_relief": (0, (1_000, 5_000)),
    "housing_renovation": (6, (20_000, 40_000)),
    "insurance": (12, (100, 300)),
    "other": (1, (500, 2_000)),
}
RENEWED = ("public_welfare_job", "medical_aid", "employment", "education_aid")


def new_measure_book() -> Book:
    return Book(household=np.int64, measure=np.int8, start_day=np.int64, end_day=np.int64, amount=float,
                start_month=np.int64, end_month=np.int64)


def start_measures(rng, book: Book, grid: MonthGrid, households: np.ndarray, measure: str,
                   start_day: np.ndarray, amount: np.ndarray | None = None) -> np.ndarray:
    months, amount_range = MEASURE_TERMS[measure]
    n = households.size
    if amount is None:
        amount = rng.uniform(*amount_range, n) if amount_range else np.full(n, np.nan)
    start_month = month_of_day(grid, start_day)
    if months == OPEN_ENDED:
        end_month, end_day = np.full(n, OPEN_ENDED), np.full(n, NO_DAY)
    else:
        end_day = start_day if months == 0 else start_day + int(30.44 * months) - 1
        end_month = month_of_day(grid, end_day)
    return book.append(household=households, measure=np.full(n, MEA[measure]), start_day=start_day,
                       end_day=end_day, amount=np.round(amount, -1), start_month=start_month, end_month=end_month)


def active_rows(book: Book, t: int) -> np.ndarray:
    return (book["start_month"] <= t) & (book["end_month"] >= t)


def support_effects(book: Book, households: int, t: int) -> SupportEffects:
    active = active_rows(book, t)

    def having(measure: str) -> np.ndarray:
        flag = np.zeros(households, dtype=bool)
        flag[book["household"][active & (book["measure"] == MEA[measure])]] = True
        return flag

    def yearly(measure: str) -> np.ndarray:
        rows = active & (book["measure"] == MEA[measure])
        return np.bincount(book["household"][rows], weights=book["amount"][rows], minlength=households)

    return SupportEffects(
        dibao=having("dibao"), public_welfare_job=yearly("public_welfare_job"), employment=having("employment"),
        industrial=having("industrial"), microcredit=having("microcredit"), education_aid=yearly("education_aid"),
        medical_aid=having("medical_aid"), insurance=having("insurance"),
        housing_renovation=having("housing_renovation"),
    )


def supported(book: Book, households: int, t: int) -> np.ndarray:
    flag = np.zeros(households, dtype=bool)
    flag[book["household"][active_rows(book, t)]] = True
    return flag


def end_measures(book: Book, grid: MonthGrid, rows: np.ndarray, end_month: np.ndarray, rng) -> None:
    """Bring forward the end of running measures (never before their start)."""
    later = end_month < book["end_month"][rows]
    rows, end_month = rows[later], end_month[later]
    end_day = np.maximum(grid.first_days(end_month) + rng.integers(0, 28, rows.size), book["start_day"][rows])
    book["end_day"][rows] = end_day
    book["end_month"][rows] = month_of_day(grid, end_day)


def historical_industrial(rng, book: Book, hh: Households, grid: MonthGrid, warmup_months: int) -> None:
    """More than 85% of formerly poor households had an industrial measure; the recent ones are on record."""
    chosen = np.flatnonzero(hh.ex_poor & (rng.random(hh.size) < 0.85))
    first_months = max(1, min(12, warmup_months))
    month = rng.integers(0, first_months, chosen.size)
    day = grid.first_days(month) + rng.integers(0, 28, chosen.size)
    start_measures(rng, book, grid, chosen, "industrial", day)
