"""Turning simulation arrays into contract-typed pandas columns."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pyarrow as pa

from synthetic.months import SECONDS_PER_DAY

NO_DAY = -1  # sentinel for "no date" in int64 day arrays


def as_str(values: np.ndarray) -> pd.array:
    return pd.array(np.asarray(values, dtype=object), dtype="str")


def take_str(dictionary: np.ndarray, positions: np.ndarray) -> pd.array:
    """Strings looked up by position; fast for long columns with few distinct values."""
    return pd.array(np.asarray(dictionary, dtype=object), dtype="str").take(np.asarray(positions, dtype=np.int64))


def as_dates(days: np.ndarray) -> np.ndarray:
    """int days since epoch (NO_DAY for null) to datetime64[us] at midnight, NaT for null."""
    days = np.asarray(days, dtype=np.int64)
    out = (days * SECONDS_PER_DAY).astype("datetime64[s]").astype("datetime64[us]")
    out[days == NO_DAY] = np.datetime64("NaT")
    return out


def as_timestamps(seconds: np.ndarray, null: np.ndarray | None = None) -> np.ndarray:
    out = np.asarray(seconds, dtype=np.int64).astype("datetime64[s]").astype("datetime64[us]")
    if null is not None:
        out[null] = np.datetime64("NaT")
    return out


def nullable_int(values: np.ndarray, null: np.ndarray) -> pd.array:
    return pd.arrays.IntegerArray(np.where(null, 0, values).astype(np.int64), np.asarray(null, dtype=bool))


def ids(prefix: str, count: int) -> np.ndarray:
    width = max(7, len(str(count)))
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, count + 1)], dtype=object)


@contextmanager
def system_allocator() -> Iterator[None]:
    """Arrow allocates from the system allocator inside the block, as numpy does. The generator
    frees gigabytes of numpy records before it builds and writes tables; with Arrow's own pool
    (mimalloc) the strings of those tables take fresh memory beside the freed heap, about 0.5 GiB
    more at the peak of 100,000 households over 48 months. Arrow buffers are freed into the pool
    they came from, so the default pool is restored safely afterwards."""
    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)
