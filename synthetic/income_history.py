"""The true income of the last months, by source, kept so that a visit can assess a past window."""
from __future__ import annotations

import numpy as np

# An autumn visit in December assesses October to September, 3-14 months back; the window before a
# discovery reaches 12 months back. Sixteen months cover both.
HISTORY_MONTHS = 16


class IncomeHistory:
    """Ring buffers over months: true income by source and the members present at the month's end."""

    def __init__(self, sources: int, households: int) -> None:
        self.amounts = np.zeros((HISTORY_MONTHS, sources, households))
        self.members = np.zeros((HISTORY_MONTHS, households), dtype=np.int16)
        self.latest_month = -1

    def push(self, month_index: int, amounts: np.ndarray, members: np.ndarray) -> None:
        slot = month_index % HISTORY_MONTHS
        self.amounts[slot] = amounts
        self.members[slot] = members
        self.latest_month = month_index

    def holds(self, first_month: int, months: int) -> bool:
        """Whether every month of the window was simulated and is still in the buffer."""
        return first_month >= max(0, self.latest_month - HISTORY_MONTHS + 1) and \
            first_month + months - 1 <= self.latest_month

    def window_sums(self, households: np.ndarray, first_month: int, months: int) -> np.ndarray:
        """(sources, households) true income over the window's months."""
        if not self.holds(first_month, months):
            raise ValueError(f"months {first_month}-{first_month + months - 1} are not in the income history")
        total = np.zeros((self.amounts.shape[1], households.size))
        for month in range(first_month, first_month + months):
            total += self.amounts[month % HISTORY_MONTHS][:, households]
        return total

    def members_at(self, households: np.ndarray, month_index: int) -> np.ndarray:
        return self.members[month_index % HISTORY_MONTHS][households].astype(np.int64)
