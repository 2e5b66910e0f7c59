"""Income and spending spread to months and resolved point-in-time, for many as-of dates at once.

Rows are spread to months and sorted once, in the order of the documented resolution rule
(department over survey over self_report, then the latest `recorded_at`, then the later row in
the file). For each as-of date the winner of a household, month and item is then the first row
of its group among the rows known before that date: one vectorized pass, no re-sorting.

Each spread row also remembers its data source, so that the months a survey assessed (contract
version 2: a month is assessed when a survey row covers it) and what departments alone report
can be read off the same arrays.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import DATA_SOURCE_PRECEDENCE
from features.timeline import HouseholdIndex, first_of_runs, month_number

SURVEY = DATA_SOURCE_PRECEDENCE.index("survey")
DEPARTMENT = DATA_SOURCE_PRECEDENCE.index("department")


@dataclass(frozen=True)
class MonthlyAmounts:
    household: np.ndarray     # household code
    month: np.ndarray         # months since 1970-01
    item: np.ndarray          # category code of the source or spending category
    amount: np.ndarray        # yuan for that month
    recorded: np.ndarray      # recorded_at as datetime64[us]
    source_rank: np.ndarray   # position of the row's data_source in DATA_SOURCE_PRECEDENCE
    group_start: np.ndarray   # position of each row's (household, month, item) group start
    items: tuple[str, ...]

    @classmethod
    def prepare(cls, rows: pd.DataFrame, item_column: str, index: HouseholdIndex,
                codes: np.ndarray | None = None) -> "MonthlyAmounts":
        """Spread every row evenly over the months it covers (as `features.resolve.spread_to_months`
        does), working on the row's codes so that ids are looked up once per row, not per month.
        `codes`: the rows' household codes, if at hand."""
        item_codes = rows[item_column].array
        items = tuple(item_codes.categories)
        first_month = month_number(rows["period_start"])
        covered = (month_number(rows["period_end"]) - first_month + 1).astype(np.int64)
        file_order = np.repeat(np.arange(len(rows)), covered)
        offsets = np.arange(len(file_order)) - np.repeat(np.cumsum(covered) - covered, covered)
        household = (index.codes(rows["household_id"]) if codes is None else codes)[file_order]
        month = first_month[file_order] + offsets
        item = item_codes.codes.astype(np.int64)[file_order]
        rank = _source_ranks(rows["data_source"])[file_order]
        recorded = rows["recorded_at"].to_numpy().astype("datetime64[us]")[file_order]
        amount = (rows["amount_yuan"].to_numpy(dtype=float) / covered)[file_order]
        order = np.lexsort((-file_order, -recorded.view(np.int64), _group_key(household, month, item, rank)))
        household, month, item = household[order], month[order], item[order]
        key_changes = first_of_runs(household) | first_of_runs(month) | first_of_runs(item)
        group_start = np.maximum.accumulate(np.where(key_changes, np.arange(len(order)), 0))
        return cls(household, month, item, amount[order], recorded[order], rank[order], group_start, items)

    def known(self, as_of: pd.Timestamp, first_month: int, last_month: int) -> np.ndarray:
        """Positions of the rows known before `as_of` for months `first_month`..`last_month`."""
        mask = (self.recorded < np.datetime64(pd.Timestamp(as_of), "us")) & (self.month >= first_month) & (
            self.month <= last_month) & (self.household >= 0)
        return np.flatnonzero(mask)

    def winners(self, as_of: pd.Timestamp, first_month: int, last_month: int) -> np.ndarray:
        """Positions of the winning row per household, month and item, among rows known before `as_of`."""
        positions = self.known(as_of, first_month, last_month)
        return positions[first_of_runs(self.group_start[positions])]

    def grid(self, positions: np.ndarray, first_month: int, months: int, n_households: int,
             items: tuple[str, ...] | None = None, weights: bool = True) -> np.ndarray:
        """Household x month sums (months `first_month`..+months-1) of the rows at `positions`:
        their amounts, or their count with `weights=False`; only `items` when given."""
        if items is not None:
            positions = positions[np.isin(self.item[positions], [self.items.index(i) for i in items])]
        cell = self.household[positions] * months + (self.month[positions] - first_month)
        flat = np.bincount(cell, weights=self.amount[positions] if weights else None,
                           minlength=n_households * months)
        return flat.reshape(n_households, months).astype(float)

    def totals(self, as_of: pd.Timestamp, first_month: int, months: int, n_households: int,
               items: tuple[str, ...] | None = None) -> np.ndarray:
        """Household x month totals of the resolved amounts of `items` (all items when None)."""
        winners = self.winners(as_of, first_month, first_month + months - 1)
        return self.grid(winners, first_month, months, n_households, items)

    def assessed(self, as_of: pd.Timestamp, first_month: int, months: int, n_households: int) -> np.ndarray:
        """Household x month: covered by at least one survey row known before `as_of` (an assessed month)."""
        positions = self.known(as_of, first_month, first_month + months - 1)
        survey = positions[self.source_rank[positions] == SURVEY]
        return self.grid(survey, first_month, months, n_households, weights=False) > 0

    def month_range(self) -> tuple[int, int] | None:
        """The first and last month any row covers (None without rows)."""
        if not len(self.month):
            return None
        return int(self.month.min()), int(self.month.max())


def _source_ranks(sources: pd.Series) -> np.ndarray:
    """Each row's data source as its place in DATA_SOURCE_PRECEDENCE (-1: none or another)."""
    if not isinstance(sources.dtype, pd.CategoricalDtype):
        sources = sources.astype("str").astype(pd.CategoricalDtype(list(DATA_SOURCE_PRECEDENCE)))
    categories = sources.dtype.categories
    place = np.array([DATA_SOURCE_PRECEDENCE.index(c) if c in DATA_SOURCE_PRECEDENCE else -1 for c in categories]
                     + [-1], dtype=np.int8)
    return place[sources.array.codes]


def _group_key(household: np.ndarray, month: np.ndarray, item: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """One int64 ordering rows by household, month, item and data-source rank (a sort on one key
    instead of four)."""
    month_offset = month - (month.min() if len(month) else 0)
    months, items, ranks = int(month_offset.max(initial=0)) + 1, int(item.max(initial=0)) + 1, len(DATA_SOURCE_PRECEDENCE)
    return ((household.astype(np.int64) * months + month_offset) * items + item) * ranks + rank
