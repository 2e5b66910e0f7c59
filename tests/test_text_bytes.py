"""Byte-level id lookups and padding checks agree with Arrow's string kernels on awkward text."""
from __future__ import annotations

import random
import re
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from features import text_bytes
from features.text_bytes import calendar_check, has_padding, positions_among

ALPHABET = "AB01 \t户\x00é"


def _arrow_positions(values: pa.ChunkedArray, keys: pa.Array) -> np.ndarray:
    found = pc.index_in(values, value_set=keys.cast(values.type))
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False)


def _random_case(rng: random.Random) -> tuple[pa.ChunkedArray, pa.Array]:
    """Keys and values of many byte lengths (multi-byte characters, NUL bytes, over 64 bytes)."""
    def text() -> str:
        return "".join(rng.choice(ALPHABET) for _ in range(rng.choice([0, 1, 3, 7, 8, 9, 16, 17, 24, 70])))

    keys = list(dict.fromkeys(text() for _ in range(rng.randint(1, 40))))
    pool = keys + [text() for _ in range(10)] + [k[:8] + "X" * (len(k) - 8) for k in keys if len(k) > 8]
    values = [rng.choice(pool) if rng.random() > 0.1 else None for _ in range(rng.randint(0, 200))]
    value_type = rng.choice([pa.string(), pa.large_string()])
    chunks, start = [], 0
    while start < len(values):  # sliced chunks: offsets that do not start at zero
        stop = start + rng.randint(1, 60)
        chunks.append(pa.array(values[max(0, start - 2):stop], value_type).slice(start - max(0, start - 2)))
        start = stop
    return pa.chunked_array(chunks, value_type), pa.array(keys, rng.choice([pa.string(), pa.large_string()]))


@pytest.mark.parametrize("few", [0, text_bytes.FEW])   # packed, and handed to Arrow
def test_hand_written_ids_are_found_where_arrow_finds_them(monkeypatch, few):
    monkeypatch.setattr(text_bytes, "FEW", few)
    keys = pa.array(["H001", "H002", "H0003", "户001"])
    values = pa.chunked_array([["H002", "H001", None, "H003", "H0003", "户001", "", "H00"], ["H001"]])
    assert positions_among(values, keys).tolist() == [1, 0, -1, -1, 2, 3, -1, -1, 0]


@pytest.mark.parametrize("block_rows", [3, 50, 1 << 18])
@pytest.mark.parametrize("max_packed_bytes", [0, 8, 64])
def test_lookups_match_arrow_on_random_text(monkeypatch, block_rows, max_packed_bytes):
    monkeypatch.setattr(text_bytes, "BLOCK_ROWS", block_rows)
    monkeypatch.setattr(text_bytes, "MAX_PACKED_BYTES", max_packed_bytes)
    monkeypatch.setattr(text_bytes, "FEW", 0)   # small cases are packed too
    rng = random.Random(block_rows * 100 + max_packed_bytes)
    for _ in range(40):
        values, keys = _random_case(rng)
        assert np.array_equal(positions_among(values, keys), _arrow_positions(values, keys))


def test_a_hash_shared_by_different_ids_is_checked_byte_for_byte(monkeypatch):
    weak = text_bytes._hash_words
    monkeypatch.setattr(text_bytes, "_hash_words", lambda words: weak(words[:, :1]))  # first 8 bytes only
    monkeypatch.setattr(text_bytes, "FEW", 0)
    rng = random.Random(3)
    for _ in range(100):
        values, keys = _random_case(rng)
        assert np.array_equal(positions_among(values, keys), _arrow_positions(values, keys))


def test_no_keys_means_every_value_is_absent():
    values = pa.chunked_array([["a", None]])
    assert positions_among(values, pa.array([], pa.string())).tolist() == [-1, -1]


@pytest.mark.parametrize("value, padded", [
    ("H001", False), (" H001", True), ("H001 ", True), ("\tH001", True), ("H001\t", True),
    ("H 001", False), ("", False), ("\u3000H001", False),
])
def test_padding_means_a_leading_or_trailing_space_or_tab(value, padded):
    values = pa.chunked_array([pa.array(["H002", value, None]), pa.array(["H003"])])
    assert has_padding(values) is padded


def test_padding_check_matches_arrow_on_random_text():
    rng = random.Random(5)
    for _ in range(200):
        values, _ = _random_case(rng)
        expected = any(v is not None and (v[:1] in (" ", "\t") or v[-1:] in (" ", "\t")) for v in values.to_pylist())
        assert has_padding(values) is expected


def _calendar_case(rng: random.Random) -> list[str | None]:
    """Dates and timestamps around month ends, in ISO and other layouts, with nulls and junk."""
    values = []
    for _ in range(rng.randint(0, 120)):
        year, month, day = rng.choice([1900, 2000, 2021, 2023, 2024]), rng.randint(0, 13), rng.randint(0, 32)
        second = rng.choice([0, 59, 60, 61])
        values.append(rng.choice([
            f"{year}-{month:02d}-{day:02d}", f"{year}-{month:02d}-{day:02d} 10:30:{second:02d}",
            f"{year}-{month:02d}-{day:02d}T10:30", f"{year}-{month}-{day}", f"{year}-{month:02d}-{day:02d}x",
            None, "", "2022-06", "junk",
        ]))
    return values


def _python_calendar(value: str | None) -> tuple[bool, bool]:
    """(impossible, unchecked) as Python's datetime decides, for the layouts calendar_check reads."""
    if value is None:
        return False, False
    layout = re.fullmatch(r"(\d{4})-(\d\d)-(\d\d)(?:[ T](\d\d):(\d\d)(?::(\d\d))?)?", value)
    if not layout:
        return False, True
    year, month, day, _, _, second = layout.groups()
    if second is not None and int(second) >= 60:
        return True, False
    if not 1 <= int(month) <= 12:  # not a month at all: strptime rejects it
        return False, False
    try:
        datetime(int(year), int(month), max(int(day), 1))
    except ValueError:
        return True, False
    return False, False


def test_calendar_check_agrees_with_python_on_random_dates():
    rng = random.Random(11)
    for _ in range(100):
        values = _calendar_case(rng)
        cut = rng.randint(0, len(values))
        chunked = pa.chunked_array([pa.array(values[:cut], pa.string()), pa.array(values[cut:], pa.string())])
        impossible, unchecked = calendar_check(chunked)
        expected = [_python_calendar(value) for value in values]
        assert impossible.tolist() == [e[0] for e in expected], values
        assert unchecked.tolist() == [e[1] for e in expected], values


def test_calendar_check_reads_sliced_large_text():
    values = pa.array(["2022-02-28", "2022-02-30", "2023-02-29 08:00:00", "2024-02-29"], pa.large_string()).slice(1)
    impossible, unchecked = calendar_check(pa.chunked_array([values]))
    assert impossible.tolist() == [True, True, False] and not unchecked.any()
