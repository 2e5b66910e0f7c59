"""Months of the simulation and the dates inside them.

Month index 0 is the first warm-up month. Dates are held as int64 days since 1970-01-01 and
timestamps as int64 seconds, and become datetime64 only when tables are assembled.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SECONDS_PER_DAY = 86_400


@dataclass(frozen=True)
class MonthGrid:
    origin: np.datetime64          # first warm-up month, datetime64[M]
    total_months: int              # warm-up + data months
    first_data_month: int          # index of the export's first month

    @classmethod
    def build(cls, start: str, months: int, warmup_months: int) -> "MonthGrid":
        origin = np.datetime64(start, "M") - np.timedelta64(warmup_months, "M")
        return cls(origin=origin, total_months=warmup_months + months, first_data_month=warmup_months)

    def month(self, index: int) -> np.datetime64:
        return self.origin + np.timedelta64(index, "M")

    def first_day(self, index: int) -> int:
        return int(self.month(index).astype("datetime64[D]").astype(np.int64))

    def first_days(self, indexes: np.ndarray) -> np.ndarray:
        months = self.origin + np.asarray(indexes, dtype=np.int64).astype("timedelta64[M]")
        return months.astype("datetime64[D]").astype(np.int64)

    def last_day(self, index: int) -> int:
        return self.first_day(index + 1) - 1

    def days_in(self, index: int) -> int:
        return self.first_day(index + 1) - self.first_day(index)

    def year(self, index: int) -> int:
        return int(str(self.month(index))[:4])

    def calendar_month(self, index: int) -> int:
        """1-12."""
        return int(str(self.month(index))[5:7])

    def years_from(self, index: int, anchor_year: int) -> float:
        """Years between the middle of this month and the middle of `anchor_year`."""
        return self.year(index) + (self.calendar_month(index) - 0.5) / 12 - (anchor_year + 0.5)

    @property
    def export_cut_day(self) -> int:
        """First day after the data: records known from this day on are not in the export."""
        return self.first_day(self.total_months)

    def is_data_month(self, index: int) -> bool:
        return index >= self.first_data_month

    def quarter_start_month(self, index: int) -> int:
        return index - (self.calendar_month(index) - 1) % 3


def random_days_in_month(rng: np.random.Generator, grid: MonthGrid, index: int, count: int) -> np.ndarray:
    return grid.first_day(index) + rng.integers(0, grid.days_in(index), count)


def office_time(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Timestamps (seconds) on the given days during office hours, 08:00-19:00."""
    days = np.asarray(days, dtype=np.int64)
    return days * SECONDS_PER_DAY + rng.integers(8 * 3600, 19 * 3600, days.shape[0])


def lag_days(rng: np.random.Generator, low: int, high: int, count: int) -> np.ndarray:
    """Reporting lag in whole days, roughly triangular between low and high."""
    mode = low + (high - low) / 3
    return np.floor(rng.triangular(low, mode, high + 1, count)).astype(np.int64)


def month_of_day(grid: MonthGrid, days: np.ndarray) -> np.ndarray:
    """Month index of each day (int days since epoch)."""
    months = np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    return (months - grid.origin).astype(np.int64)


def window_periods(grid: MonthGrid, first_month: int, months: int, quarterly: bool) -> list[tuple[int, int]]:
    """(first, last) month indexes of the periods that cover `months` months from `first_month`:
    whole calendar quarters where they fit when `quarterly` (the window's ragged ends stay single
    months), else single months."""
    periods = []
    month, end = first_month, first_month + months
    while month < end:
        if quarterly and grid.quarter_start_month(month) == month and month + 3 <= end:
            periods.append((month, month + 2))
            month += 3
        else:
            periods.append((month, month))
            month += 1
    return periods
