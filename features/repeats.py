"""Exact repeats: rows equal in every parsed column to an earlier row, found by hashing whole rows.

Each row is hashed from its columns' numbers (category codes, key positions, integer or float
bits), then sorted; only rows whose hash occurs twice are compared value by value.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

BLOCK_ROWS = 1 << 20  # rows hashed per step, so no column-sized temporary is made per column
FEW_ROWS = 4096
NAN_STAND_IN = -1.5e300  # hashes every NaN alike (a real value equal to it only costs a re-check)


def repeated_rows(parsed: pd.DataFrame, candidates: np.ndarray, key_codes: dict[str, np.ndarray],
                  hashes: np.ndarray | None = None) -> np.ndarray:
    """Rows among `candidates` equal in every column to an earlier candidate row.

    `hashes`, if given, is `row_hashes(parsed, key_codes)` computed ahead; it is sorted in place
    (a sorted copy of 10 million hashes would be a fresh 80 MB), and computed again in the rare
    table where two candidate rows share a hash.
    """
    repeat = np.zeros(len(parsed), dtype=bool)
    positions = None if candidates.all() else np.flatnonzero(candidates)
    if (len(parsed) if positions is None else len(positions)) < 2:
        return repeat
    hashes = row_hashes(parsed, key_codes) if hashes is None else hashes
    ordered = hashes if positions is None else hashes[positions]
    ordered.sort()
    shared = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    if not len(shared):  # no two candidate rows hash alike: nothing repeats
        return repeat
    if positions is None:
        hashes = row_hashes(parsed, key_codes)
    maybe = np.flatnonzero(np.isin(hashes if positions is None else hashes[positions], shared))
    if positions is not None:
        maybe = positions[maybe]
    exact = parsed.iloc[maybe].duplicated(keep="first").to_numpy()
    repeat[maybe[exact]] = True
    return repeat


def row_hashes(frame: pd.DataFrame, key_codes: dict[str, np.ndarray]) -> np.ndarray:
    """A 64-bit hash of each row's parsed values (equal rows hash equal; collisions are re-checked).

    `key_codes` stands in for reference columns: each id's position among the accepted keys.
    Built a block of rows at a time, with one scratch block, so no column-sized temporary is made.
    """
    columns = [key_codes[name] if name in key_codes else column_numbers(frame[name]) for name in frame.columns]
    hashes = np.empty(len(frame), dtype=np.uint64)
    scratch = np.empty(min(len(frame), BLOCK_ROWS), dtype=np.uint64)
    for first in range(0, len(frame), BLOCK_ROWS):
        block = hashes[first:first + BLOCK_ROWS]
        shifted = scratch[:len(block)]
        block.fill(0xCBF29CE484222325)
        for numbers in columns:
            np.bitwise_xor(block, bits(numbers[first:first + BLOCK_ROWS]), out=block)
            block *= np.uint64(0x100000001B3)
            np.right_shift(block, np.uint64(29), out=shifted)
            block ^= shifted
    return hashes


def column_numbers(values: pd.Series) -> np.ndarray:
    """The column as numbers that are equal exactly where the values are: codes, integers or floats."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.cat.codes.to_numpy()
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.to_numpy().view(np.int64)
    if values.dtype == np.float64:
        return values.to_numpy()
    if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(values.dtype):
        return values.to_numpy(dtype="float64", na_value=np.nan)
    return factorized(values)[0]


def factorized(values: pd.Series, positions: np.ndarray | None = None,
               sort: bool = False) -> tuple[np.ndarray, np.ndarray | pd.Index]:
    """`pd.factorize` of the values (at `positions` if given): on a few values through numpy's
    hash table, which starts quicker than the Arrow one pandas' text columns use."""
    if len(values) < FEW_ROWS:
        plain = values.to_numpy()
        return pd.factorize(plain if positions is None else plain[positions], sort=sort)
    return (values if positions is None else values.iloc[positions]).factorize(sort=sort)


def bits(numbers: np.ndarray) -> np.ndarray:
    """Unsigned integers equal exactly where `numbers` are (every NaN alike), without a copy if possible."""
    if numbers.dtype.kind == "f":
        missing = np.isnan(numbers)
        if missing.any():
            numbers = np.where(missing, NAN_STAND_IN, numbers)
        return numbers.view(np.uint64)
    return numbers.view(np.dtype(f"u{numbers.dtype.itemsize}"))
