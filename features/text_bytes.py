"""Byte-level work on Arrow text columns, vectorized with numpy: no Python string per row.

Arrow keeps a text column as one byte buffer plus row offsets. Three checks validation makes
run faster on those buffers than through Arrow's string kernels:
- whether any value starts or ends with a space or a tab (the first and last byte of each row);
- whether an ISO date or timestamp exists in the calendar (its digits read where ISO puts them):
  Arrow's strptime rolls `2022-02-30` over into March, and formatting each parsed value back to
  compare took 10 s for 10 million values;
- where each value sits among a set of keys. Keys are grouped by byte length, each packed into
  64-bit words and hashed into a pandas integer table; a value is looked up only among the keys
  of its own length: 0.5 s for 10 million ids where Arrow's string hashing (index_in) took 1.2-1.5 s.
  A few values among a few keys (one household's rows) go to Arrow, for which they are one call.
Lookups go by groups of rows, so temporary arrays stay small whatever the column's length.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_PADDING = np.isin(np.arange(256), (ord(" "), ord("\t")))  # by byte value
_DIGIT = (np.arange(256) >= ord("0")) & (np.arange(256) <= ord("9"))
_DATE_DIGITS = (0, 1, 2, 3, 5, 6, 8, 9)  # YYYY-MM-DD
_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
MAX_PACKED_BYTES = 64   # longer keys are looked up by Arrow
FEW = 8_192             # fewer values and keys than this are looked up by Arrow: packing costs more
BLOCK_ROWS = 1 << 18
_MIX_MULTIPLIERS = (np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))
_SHIFT = np.uint64(33)


def has_padding(values: pa.ChunkedArray) -> bool:
    """Whether any value of a string column starts or ends with a space or a tab.

    A null may count too (Arrow allows bytes under a null); callers then merely trim for nothing.
    """
    edges = []
    for piece in _pieces(values):
        offsets, data = _parts(piece)
        nonempty = offsets[1:] > offsets[:-1]
        edges += [data[offsets[:-1][nonempty]], data[offsets[1:][nonempty] - 1]]
    return bool(edges) and bool(_PADDING[np.concatenate(edges)].any())


def calendar_check(values: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Which values are ISO dates or timestamps that do not exist, and which this cannot tell.

    Returns two masks: `impossible`, values laid out as `YYYY-MM-DD` (alone, or followed by a
    space or `T` and a time) whose day is past the end of its month (`2022-02-30`, `2023-02-29`)
    or whose time `HH:MM:SS` has a second past 59; and `unchecked`, the other non-null values
    (another layout, such as `2022-6-1`), which the caller must check some other way.
    """
    impossible = np.zeros(len(values), dtype=bool)
    unchecked = np.zeros(len(values), dtype=bool)
    first_row = 0
    for piece in _pieces(values):
        rows = slice(first_row, first_row + len(piece))
        impossible[rows], unchecked[rows] = _calendar_piece(piece)
        first_row += len(piece)
    return impossible, unchecked


def _calendar_piece(piece: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    offsets, data = _parts(piece)
    starts, lengths = offsets[:-1].astype(np.int64), np.diff(offsets)
    valid = _valid(piece)
    at = np.flatnonzero(valid & (lengths >= 10))  # long enough for YYYY-MM-DD: its bytes exist
    start, length = starts[at], lengths[at]

    def byte(position: int, needed: int) -> np.ndarray:  # the byte at `position` where the value is long enough
        return data[np.where(length >= needed, start + position, start)]

    iso = (byte(4, 10) == ord("-")) & (byte(7, 10) == ord("-")) & (
        (length == 10) | np.isin(byte(10, 11), (ord(" "), ord("T"))))
    for position in _DATE_DIGITS:
        iso &= _DIGIT[byte(position, 10)]
    year = _number(byte, (0, 1, 2, 3))
    month, day = _number(byte, (5, 6)), _number(byte, (8, 9))
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    known_month = (month >= 1) & (month <= 12)
    month_days = _DAYS_IN_MONTH[np.where(known_month, month, 0)] + (leap & (month == 2))
    with_seconds = (length >= 19) & (byte(13, 19) == ord(":")) & (byte(16, 19) == ord(":")) & \
        _DIGIT[byte(17, 19)] & _DIGIT[byte(18, 19)]
    past_59 = with_seconds & (_number(byte, (17, 18), 19) >= 60)
    impossible = np.zeros(len(piece), dtype=bool)
    impossible[at] = iso & ((known_month & (day > month_days)) | past_59)
    unchecked = valid.copy()
    unchecked[at[iso]] = False
    return impossible, unchecked


def _number(byte: Callable[[int, int], np.ndarray], positions: tuple[int, ...], needed: int = 10) -> np.ndarray:
    """The decimal number the digits at `positions` write (meaningful only where they are digits)."""
    number = np.zeros(1, dtype=np.int64)
    for position in positions:
        number = number * 10 + (byte(position, needed).astype(np.int64) - ord("0"))
    return number


def positions_among(values: pa.ChunkedArray, keys: pa.Array) -> np.ndarray:
    """Each value's position in `keys` (distinct strings), -1 where it is absent or null."""
    if not len(keys):
        return np.full(len(values), -1, dtype=np.int64)
    if not (_is_plain_text(values.type) and _is_plain_text(keys.type)) or len(values) + len(keys) < FEW:
        return _arrow_positions(values, keys)
    tables = _packed_keys_by_width(keys)
    found = np.full(len(values), -1, dtype=np.int32 if len(keys) < 2**31 else np.int64)  # lengths no key has: absent
    for group in _groups(values):
        pending: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        for first_row, piece in group:
            for width, rows, same_width in _by_width(piece, tables):
                if tables[width] is None:
                    found[first_row + rows] = _arrow_positions(pa.chunked_array([same_width]), keys)
                else:
                    pending.setdefault(width, []).append((first_row + rows, _packed(same_width, width)))
        for width, parts in pending.items():  # one hash-table probe per group and length
            rows = np.concatenate([rows for rows, _ in parts])
            found[rows] = tables[width].lookup(np.concatenate([words for _, words in parts]))
    return found


@dataclass
class _PackedKeys:
    """The keys of one byte length: their positions among all keys and a table of their hashes."""

    rows: np.ndarray   # positions in the full key array
    words: np.ndarray  # (keys, words) uint64
    hashes: pd.Index

    def lookup(self, words: np.ndarray) -> np.ndarray:
        at = self.hashes.get_indexer(_hash_words(words))
        if words.shape[1] > 1:  # one word is mixed one-to-one; several can share a hash by chance
            hit = np.flatnonzero(at >= 0)
            at[hit[(self.words[at[hit]] != words[hit]).any(axis=1)]] = -1
        return np.append(self.rows, -1)[at]


def _packed_keys_by_width(keys: pa.Array) -> dict[int, _PackedKeys | None]:
    """One packed table per key length; None for a length Arrow must handle (too long, or a hash clash)."""
    tables: dict[int, _PackedKeys | None] = {}
    for width, rows, same_width in _by_width(keys, None):
        if not 0 < width <= MAX_PACKED_BYTES:
            tables[width] = None
            continue
        words = _packed(same_width, width)
        hashes = pd.Index(_hash_words(words))
        tables[width] = _PackedKeys(rows, words, hashes) if hashes.is_unique else None
    return tables


def _by_width(array: pa.Array, widths: dict | None) -> Iterator[tuple[int, np.ndarray, pa.Array]]:
    """The non-null values of `array` by byte length (only the lengths in `widths` if given):
    each length with the rows that have it and those values alone (a copy only when mixed)."""
    offsets, _ = _parts(array)
    lengths = np.diff(offsets)
    valid = _valid(array)
    for width in (np.unique(lengths[valid]).tolist() if widths is None else widths):
        fits = valid & (lengths == width)
        if fits.all():
            yield width, np.arange(len(array)), array
        elif fits.any():
            yield width, np.flatnonzero(fits), array.filter(pa.array(fits))


def _arrow_positions(values: pa.ChunkedArray, keys: pa.Array) -> np.ndarray:
    found = pc.index_in(values, value_set=keys if keys.type == values.type else keys.cast(values.type))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _pieces(values: pa.ChunkedArray) -> Iterator[pa.Array]:
    """The chunks, long ones cut into slices of BLOCK_ROWS rows (no copy)."""
    for chunk in values.chunks:
        for start in range(0, len(chunk), BLOCK_ROWS):
            yield chunk.slice(start, BLOCK_ROWS)


def _groups(values: pa.ChunkedArray) -> Iterator[list[tuple[int, pa.Array]]]:
    """The pieces in groups of about BLOCK_ROWS rows, each piece with its first row number."""
    group, size, first_row = [], 0, 0
    for piece in _pieces(values):
        group.append((first_row, piece))
        size += len(piece)
        first_row += len(piece)
        if size >= BLOCK_ROWS:
            yield group
            group, size = [], 0
    if group:
        yield group


def _is_plain_text(arrow_type: pa.DataType) -> bool:
    return pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)


def _parts(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The row offsets (n + 1, into the data buffer) and the data bytes of a text array, not copied."""
    offset_type = np.dtype(np.int64 if pa.types.is_large_string(array.type) else np.int32)
    _, offsets_buffer, data_buffer = array.buffers()
    if offsets_buffer is None:
        return np.zeros(len(array) + 1, dtype=offset_type), np.zeros(0, np.uint8)
    offsets = np.frombuffer(offsets_buffer, dtype=offset_type, count=len(array) + 1,
                            offset=array.offset * offset_type.itemsize)
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer is not None else np.zeros(0, np.uint8)
    return offsets, data


def _valid(array: pa.Array) -> np.ndarray:
    if array.null_count == 0:
        return np.ones(len(array), dtype=bool)
    return np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)


def _word_count(width: int) -> int:
    return -(-width // 8)


def _packed(array: pa.Array, width: int) -> np.ndarray:
    """Values all `width` bytes long (no nulls) as rows of little-endian 64-bit words, zero-padded."""
    offsets, data = _parts(array)
    rows = data[offsets[0]:offsets[-1]].reshape(-1, width)  # back to back in the data buffer
    if width % 8:
        padded = np.zeros((len(rows), _word_count(width) * 8), dtype=np.uint8)
        padded[:, :width] = rows
        rows = padded
    return np.ascontiguousarray(rows).view("<u8")


def _hash_words(words: np.ndarray) -> np.ndarray:
    """One 64-bit hash per row of words: MurmurHash3's finalizer after each word (one-to-one on one word)."""
    hashes = np.zeros(len(words), dtype=np.uint64)
    shifted = np.empty_like(hashes)
    for column in range(words.shape[1]):
        hashes ^= words[:, column]
        for multiplier in _MIX_MULTIPLIERS:
            np.right_shift(hashes, _SHIFT, out=shifted)
            hashes ^= shifted
            hashes *= multiplier
        np.right_shift(hashes, _SHIFT, out=shifted)
        hashes ^= shifted
    return hashes
