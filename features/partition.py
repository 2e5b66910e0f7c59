"""Record tables split by household into numbered parts, each part's rows found once.

Batch scoring builds features one part at a time (memory bounded by the part size); with the
facts of the whole export (`features.facts`) every part gives its households the values the
whole county gives them. Rows keep their order in the file within a part, so resolution rules
that prefer the later row in the file decide as they do on the whole table.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from features.facts import REFERENCE_TABLES
from features.timeline import HouseholdIndex


class Partition:
    def __init__(self, tables: dict[str, pd.DataFrame], household_ids: Sequence[str], part_size: int):
        """Parts of `part_size` consecutive households of `household_ids` (rows of other
        households belong to no part)."""
        if part_size < 1:
            raise ValueError("part_size must be at least 1")
        self.household_ids = pd.Index(pd.Series(list(household_ids), dtype="str"))
        self.part_size = int(part_size)
        self.tables = tables
        index = HouseholdIndex(self.household_ids)
        self._rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for name, frame in tables.items():
            if name in REFERENCE_TABLES or "household_id" not in frame.columns:
                continue
            position = index.codes(frame["household_id"])
            part = np.where(position >= 0, position // self.part_size, -1)
            order = np.argsort(part, kind="stable")
            bounds = np.searchsorted(part[order], np.arange(len(self) + 1), side="left")
            self._rows[name] = (order, bounds)

    def __len__(self) -> int:
        return -(-len(self.household_ids) // self.part_size)

    def ids(self, part: int) -> pd.Index:
        return self.household_ids[part * self.part_size:(part + 1) * self.part_size]

    def part_tables(self, part: int) -> dict[str, pd.DataFrame]:
        """The tables of part `part`: its households' rows, reference tables whole."""
        if not 0 <= part < len(self):
            raise IndexError(f"part {part} of {len(self)}")
        out = {}
        for name, frame in self.tables.items():
            if name not in self._rows:
                out[name] = frame
                continue
            order, bounds = self._rows[name]
            out[name] = frame.iloc[order[bounds[part]:bounds[part + 1]]].reset_index(drop=True)
        return out
