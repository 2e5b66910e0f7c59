"""Calendar helpers: months as integers, as-of dates, household codes shared by every table."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from features.text_bytes import positions_among


def month_number(dates: pd.Series | pd.DatetimeIndex | np.ndarray) -> np.ndarray:
    """Months since 1970-01 (January 1970 is 0); NaT becomes a very small number."""
    return np.asarray(dates, dtype="datetime64[us]").astype("datetime64[M]").astype(np.int64)


def moment(when: pd.Timestamp) -> np.datetime64:
    """A moment as numpy compares it with a date column (datetime64[us])."""
    return np.datetime64(pd.Timestamp(when), "us")


def month_of(as_of: pd.Timestamp) -> int:
    return int(np.datetime64(pd.Timestamp(as_of).to_datetime64(), "M").astype(np.int64))


def month_start(month: int | np.ndarray) -> pd.Timestamp | pd.DatetimeIndex:
    return pd.to_datetime(np.asarray(month, dtype="int64").astype("datetime64[M]"))


def months_from(later: np.datetime64, earlier: np.ndarray) -> np.ndarray:
    """Whole and fractional months from each of `earlier` (datetime64) to `later` (30.4375 days a month)."""
    seconds = (later - earlier).astype("timedelta64[us]").astype(np.int64) / 1e6
    return seconds / (30.4375 * 86400)


def as_of_dates(single: list[str] | None = None, monthly: tuple[str, str] | None = None) -> list[pd.Timestamp]:
    """The as-of dates asked for: given dates, or the first day of each month from one month to another."""
    dates = [pd.Timestamp(d).normalize() for d in (single or [])]
    if monthly:
        start, end = (pd.Period(m, "M") for m in monthly)
        dates += [p.start_time for p in pd.period_range(start, end, freq="M")]
    if not dates:
        raise ValueError("give at least one as-of date")
    return sorted(set(dates))


@dataclass(frozen=True)
class HouseholdIndex:
    """Every household id of an export, coded 0..n-1 once, so tables join by integer."""

    ids: pd.Index

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame]) -> "HouseholdIndex":
        return cls(pd.Index(pd.unique(tables["households"]["household_id"].astype("str"))))

    def __len__(self) -> int:
        return len(self.ids)

    def codes(self, household_ids: pd.Series) -> np.ndarray:
        """Codes of `household_ids` (-1 for an id the households table lacks), looked up on the
        ids' bytes (`features.text_bytes`), without a Python object per row."""
        if not len(household_ids):
            return np.zeros(0, dtype=np.int64)
        text = household_ids if household_ids.dtype == "str" else household_ids.astype("str")
        values = pa.array(text, pa.large_string())
        values = values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
        return positions_among(values, self._keys).astype(np.int64)

    @cached_property
    def _keys(self) -> pa.Array:
        return pa.array(self.ids.astype("str"), pa.large_string())


def first_of_runs(values: np.ndarray) -> np.ndarray:
    """True where a run of equal neighbouring values starts (sorted data: the first of each group)."""
    starts = np.ones(len(values), dtype=bool)
    starts[1:] = values[1:] != values[:-1]
    return starts


def last_of_runs(values: np.ndarray) -> np.ndarray:
    """True where a run of equal neighbouring values ends (sorted data: the last of each group)."""
    ends = np.ones(len(values), dtype=bool)
    ends[:-1] = values[1:] != values[:-1]
    return ends
