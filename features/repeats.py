"""Exact repeats: rows equal in every parsed column to an earlier row, found by hashing whole rows.

Each row is hashed from its columns' numbers (category codes, key positions, integer or float
bits), then sorted; only rows whose hash occurs twice are compared value by value.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

BLOCK_ROWS = 1 << 20  # rows hashed per step, so no column-sized temporary is made per column


def repeated_rows(parsed: pd.DataFrame, candidates: np.ndarray, hashes: np.ndarray) -> np.ndarray:
    """Rows among `candidates` equal in every column to an earlier candidate row; `hashes` from `row_hashes`."""
    repeat = np.zeros(len(parsed), dtype=bool)
    positions = None if candidates.all() else np.flatnonzero(candidates)
    if (len(parsed) if positions is None else len(positions)) < 2:
        return repeat
    if positions is not None:
        hashes = hashes[positions]
    ordered = np.sort(hashes)
    shared = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if not len(shared):  # no two candidate rows hash alike: nothing repeats
        return repeat
    maybe = np.flatnonzero(np.isin(hashes, shared))
    if positions is not None:
        maybe = positions[maybe]
    exact = parsed.iloc[maybe].duplicated(keep="first").to_numpy()
    repeat[maybe[exact]] = True
    return repeat


def row_hashes(frame: pd.DataFrame, key_codes: dict[str, np.ndarray]) -> np.ndarray:
    """A 64-bit hash of each row's parsed values (equal rows hash equal; collisions are re-checked).

    `key_codes` stands in for reference columns: each id's position among the accepted keys.

    Built a block of rows at a time, so no column-sized temporary is made per column.
    """
    columns = [key_codes[name] if name in key_codes else _column_numbers(frame[name]) for name in frame.columns]
    hashes = np.empty(len(frame), dtype=np.uint64)
    for first in range(0, len(frame), BLOCK_ROWS):
        block = hashes[first:first + BLOCK_ROWS]
        block.fill(0xCBF29CE484222325)
        for numbers in columns:
            block ^= _bits(numbers[first:first + BLOCK_ROWS])
            block *= np.uint64(0x100000001B3)
            block ^= block >> np.uint64(29)
    return hashes


def _column_numbers(values: pd.Series) -> np.ndarray:
    """The column as numbers that are equal exactly where the values are: codes, integers or floats."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy()
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.to_numpy().view(np.int64)
    if values.dtype == np.float64:
        return values.to_numpy()
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    return pd.factorize(values)[0]


def _bits(numbers: np.ndarray) -> np.ndarray:
    if numbers.dtype.kind == "f":
        return np.nan_to_num(numbers, nan=-1.5e300).view(np.uint64)
    return numbers.astype(np.int64).view(np.uint64)
