"""Drift of the model's inputs and score against the reference kept with the model.

At training, `Reference.fit` keeps, for each input and for the calibrated score, the cut points
of 10 reference-quantile bins (ties merged, so a mostly-zero count has fewer bins), each bin's
share, the share missing and, for inputs with few distinct values, the levels seen. `compare`
bins a current cohort the same way:

- PSI = sum over bins (missing is a bin of its own) of (current - reference) * ln(current /
  reference), shares floored at 1e-4 so an empty bin stays finite; 0.10 is "watch", 0.25 "act";
- under 500 rows on either side the PSI is not judged ("too_few");
- values of a discrete input (a few whole numbers) never seen in the reference are listed
  (`new_levels`); for a yes/no input any other value is broken data ("act"), for a count it is
  only listed.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

BINS = 10
WATCH, ACT = 0.10, 0.25
MIN_ROWS = 500
FLOOR = 1e-4
DISCRETE_LEVELS = 12     # an input with at most this many distinct values also has its levels checked
SCORE = "score"


@dataclass(frozen=True)
class ColumnReference:
    cuts: tuple[float, ...]          # interior cut points: bin i holds cuts[i-1] < x <= cuts[i]
    shares: tuple[float, ...]        # per bin, then the missing share last
    missing: float
    levels: tuple[float, ...] | None  # the distinct values, for discrete inputs (a few whole numbers)
    yes_no: bool = False             # a yes/no input: any other value is broken data


@dataclass(frozen=True)
class Reference:
    rows: int
    columns: dict[str, ColumnReference] = field(default_factory=dict)

    @classmethod
    def fit(cls, frame: pd.DataFrame, yes_no: Iterable[str] = ()) -> "Reference":
        """The reference of every column of `frame` (numeric or boolean); `yes_no` names the
        columns that can only be 0 or 1."""
        flags = set(yes_no)
        return cls(len(frame), {name: _fit_column(_values(frame[name]), name in flags) for name in frame.columns})

    def compare(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One row per reference column found in `frame`: psi, status, missing shares, new levels."""
        rows = []
        for name, reference in self.columns.items():
            if name not in frame.columns:
                continue
            values = _values(frame[name])
            current = _shares(values, reference.cuts)
            psi = population_stability(np.asarray(reference.shares), current)
            new = sorted(set(np.unique(values[~np.isnan(values)]).tolist()) - set(reference.levels)) \
                if reference.levels is not None else []
            enough = self.rows >= MIN_ROWS and len(values) >= MIN_ROWS
            broken = bool(new) and reference.yes_no
            status = ("too_few" if not enough else "act" if psi >= ACT or broken else
                      "watch" if psi >= WATCH else "ok")
            rows.append({"column": name, "psi": round(float(psi), 4), "status": status,
                         "reference_rows": self.rows, "current_rows": len(values),
                         "reference_missing": round(reference.missing, 4),
                         "current_missing": round(float(np.isnan(values).mean()) if len(values) else 0.0, 4),
                         "bins": len(reference.cuts) + 1, "new_levels": new[:10]})
        return pd.DataFrame(rows, columns=["column", "psi", "status", "reference_rows", "current_rows",
                                           "reference_missing", "current_missing", "bins", "new_levels"])


@dataclass(frozen=True)
class References:
    """The training cohort's reference, pooled over its dates and per calendar month of its dates:
    many inputs follow the year (months since the autumn assessment or the last visit), so a
    cohort is compared with the training dates of its own calendar month where they are enough."""

    pooled: Reference
    by_month: dict[int, Reference] = field(default_factory=dict)

    @classmethod
    def fit(cls, frame: pd.DataFrame, months: np.ndarray, yes_no: Iterable[str] = ()) -> "References":
        months, yes_no = np.asarray(months), tuple(yes_no)
        by_month = {int(month): Reference.fit(frame[months == month], yes_no) for month in np.unique(months)
                    if (months == month).sum() >= MIN_ROWS}
        return cls(Reference.fit(frame, yes_no), by_month)

    def for_month(self, month: int) -> tuple[Reference, str]:
        """The reference to compare a cohort of calendar month `month` with, and what it is."""
        if month in self.by_month:
            return self.by_month[month], f"training dates in calendar month {month}"
        return self.pooled, (f"all training dates (none in calendar month {month}"
                             f"{'' if not self.by_month else '; months kept: ' + ', '.join(map(str, sorted(self.by_month)))})")


def population_stability(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of two share vectors over the same bins."""
    reference, current = np.maximum(reference, FLOOR), np.maximum(current, FLOOR)
    return float(np.sum((current - reference) * np.log(current / reference)))


def _values(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").astype("float64").to_numpy()


def _fit_column(values: np.ndarray, yes_no: bool = False) -> ColumnReference:
    present = values[~np.isnan(values)]
    cuts = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1])) if len(present) else np.zeros(0)
    distinct = np.unique(present)
    discrete = yes_no or (len(distinct) <= DISCRETE_LEVELS and bool(np.all(distinct == np.round(distinct))))
    return ColumnReference(tuple(cuts.tolist()), tuple(_shares(values, tuple(cuts.tolist())).tolist()),
                           float(np.isnan(values).mean()) if len(values) else 0.0,
                           tuple(distinct.tolist()) if discrete else None, yes_no)


def _shares(values: np.ndarray, cuts: tuple[float, ...]) -> np.ndarray:
    """Shares of the bins cut at `cuts` (right-closed), then the missing share."""
    missing = np.isnan(values)
    counts = np.bincount(np.searchsorted(np.asarray(cuts), values[~missing], side="left"), minlength=len(cuts) + 1)
    total = max(len(values), 1)
    return np.append(counts / total, missing.sum() / total)
