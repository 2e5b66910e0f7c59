"""A growing table of rows whose fields can be updated later (cases, assistance measures)."""
from __future__ import annotations

import numpy as np


class Book:
    def __init__(self, **dtypes) -> None:
        self.count = 0
        self._columns = {name: np.zeros(64, dtype=dtype) for name, dtype in dtypes.items()}

    def append(self, **values) -> np.ndarray:
        n = len(next(iter(values.values())))
        if self.count + n > len(next(iter(self._columns.values()))):
            capacity = max(2 * len(next(iter(self._columns.values()))), self.count + n)
            for name, old in self._columns.items():
                grown = np.zeros(capacity, dtype=old.dtype)
                grown[: self.count] = old[: self.count]
                self._columns[name] = grown
        rows = np.arange(self.count, self.count + n)
        for name, value in values.items():
            self._columns[name][rows] = value
        self.count += n
        return rows

    def __getitem__(self, name: str) -> np.ndarray:
        """A view of the filled rows of one column (writes go to the book)."""
        return self._columns[name][: self.count]

    def lookup(self, name: str, rows: np.ndarray, default) -> np.ndarray:
        """Values of one column at the given rows; `default` where the row is -1."""
        found = rows >= 0
        values = np.full(rows.shape, default, dtype=self._columns[name].dtype)
        values[found] = self[name][rows[found]]
        return values

    def columns(self) -> dict[str, np.ndarray]:
        return {name: self[name].copy() for name in self._columns}
