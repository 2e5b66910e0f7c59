"""Income and spending spread to months and resolved point-in-time, for many as-of dates at once.

Rows are spread to months and sorted once, in the order of the documented resolution rule
(department over survey over self_report, then the latest `recorded_at`, then the later row in
the file). For each as-of date the winner of a household, month and item is then the first row
of its group among the rows known before that date: one vectorized pass, no re-sorting.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import DATA_SOURCE_PRECEDENCE
from features.resolve import spread_to_months
from features.timeline import HouseholdIndex, first_of_runs, last_of_runs, month_number


@dataclass(frozen=True)
class MonthlyAmounts:
    household: np.ndarray     # household code
    month: np.ndarray         # months since 1970-01
    item: np.ndarray          # category code of the source or spending category
    amount: np.ndarray        # yuan for that month
    recorded: np.ndarray      # recorded_at as datetime64[us]
    group_start: np.ndarray   # position of each row's (household, month, item) group start
    items: tuple[str, ...]

    @classmethod
    def prepare(cls, rows: pd.DataFrame, item_column: str, index: HouseholdIndex) -> "MonthlyAmounts":
        items = tuple(rows[item_column].cat.categories)
        spread = spread_to_months(rows)
        household = index.codes(spread["household_id"])
        month = month_number(spread["month"])
        item = spread[item_column].cat.codes.to_numpy().astype(np.int64)
        rank = pd.Categorical(spread["data_source"].astype("str"), categories=list(DATA_SOURCE_PRECEDENCE)).codes
        recorded = spread["recorded_at"].to_numpy().astype("datetime64[us]")
        order = np.lexsort((-spread["file_order"].to_numpy(), -recorded.view(np.int64), rank, item, month, household))
        household, month, item = household[order], month[order], item[order]
        key_changes = first_of_runs(household) | first_of_runs(month) | first_of_runs(item)
        group_start = np.maximum.accumulate(np.where(key_changes, np.arange(len(order)), 0))
        return cls(household, month, item, spread["amount_yuan"].to_numpy()[order], recorded[order],
                   group_start, items)

    def winners(self, as_of: pd.Timestamp, first_month: int, last_month: int) -> np.ndarray:
        """Positions of the winning row per household, month and item, among rows known before `as_of`."""
        known = (self.recorded < np.datetime64(pd.Timestamp(as_of), "us")) & (self.month >= first_month) & (
            self.month <= last_month) & (self.household >= 0)
        positions = np.flatnonzero(known)
        return positions[first_of_runs(self.group_start[positions])]

    def totals(self, as_of: pd.Timestamp, first_month: int, months: int, n_households: int,
               items: tuple[str, ...] | None = None) -> np.ndarray:
        """Household x month totals (months `first_month` .. +months-1) of the resolved amounts of `items`."""
        return self._grid(as_of, first_month, months, n_households, items, count=False)

    def record_counts(self, as_of: pd.Timestamp, first_month: int, months: int, n_households: int) -> np.ndarray:
        """Household x month number of resolved items with a row known before `as_of`."""
        return self._grid(as_of, first_month, months, n_households, None, count=True)

    def _grid(self, as_of, first_month, months, n_households, items, count: bool) -> np.ndarray:
        winners = self.winners(as_of, first_month, first_month + months - 1)
        if items is not None:
            wanted = np.isin(self.item[winners], [self.items.index(i) for i in items])
            winners = winners[wanted]
        cell = self.household[winners] * months + (self.month[winners] - first_month)
        weights = None if count else self.amount[winners]
        flat = np.bincount(cell, weights=weights, minlength=n_households * months)
        return flat.reshape(n_households, months).astype(float)

    def last_month_recorded(self, as_of: pd.Timestamp, n_households: int) -> np.ndarray:
        """Per household, the latest month with any row known before `as_of` (-inf where none)."""
        positions = np.flatnonzero((self.recorded < np.datetime64(pd.Timestamp(as_of), "us")) & (self.household >= 0))
        households = self.household[positions]
        last_of_household = last_of_runs(households)  # rows are sorted by household, then month
        latest = np.full(n_households, -np.inf)
        latest[households[last_of_household]] = self.month[positions[last_of_household]]
        return latest

    def first_month_known(self, as_of: pd.Timestamp) -> int | None:
        known = self.recorded < np.datetime64(pd.Timestamp(as_of), "us")
        return int(self.month[known].min()) if known.any() else None
