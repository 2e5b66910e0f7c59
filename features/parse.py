"""Vectorized parsing of one raw contract column (an Arrow array) into its canonical pandas dtype.

A column arrives as text (CSV, or anything the fast typed CSV read could not convert) or already
typed (Parquet, or CSV converted by the reader). Each parser returns the parsed values and the
problems found: a mask of the rows that break a rule, with a sentence per flagged row that
quotes the value and says how to fix it. A typed value is quoted as a person writes it (`2018`,
`true`, `2023-06-01`); a problem that quotes values can quote them again from the file's own
text (`Problem.quoting`). Row positions are 0-based here.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.contract import Column
from features.text_bytes import calendar_check, has_padding

DATETIME_DTYPE = "datetime64[us]"
TRUE_SPELLINGS = ("true", "1")
FALSE_SPELLINGS = ("false", "0")
NUMBER_PATTERN = r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$"
MICROS_PER_DAY = 86_400_000_000
BLOCK_ROWS = 1 << 20  # rows per step where a step would otherwise make a column-sized temporary
JOINED_ROWS = 1 << 16  # columns up to this long are joined with others of their kind (a copy) to be parsed at once
TIMESTAMP_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")
ZONE_SUFFIX = r"(?:[T ]\d\d|:\d\d(?:[.,]\d+)?)(?:Z|[+-]\d\d(?::?\d\d)?)$"  # a time, then Z, +08 or +08:00
QUOTED_CHARACTERS = 40
INT_LIMIT = 2.0 ** 53  # integers up to this are exact as floats
STR_DTYPE = pd.api.types.pandas_dtype("str")
LARGEST_WHOLE_FLOAT = 1e15  # whole floats up to this are written as integers (2018, not 2018.0)


@dataclass
class Problem:
    """Rows of one table that break one rule about one or more columns."""

    mask: np.ndarray            # bool, one entry per row of the table
    column: str
    message: pd.Series | str    # per flagged row (indexed by row position) or one sentence for all
    quote: tuple[str, str] | None = None  # message = before + 'value' + after, the value from `column`
    # or: the message from a function that quotes any column (name -> 'value' per flagged row)
    compose: Callable[[Callable[[str], pd.Series]], pd.Series] | None = None

    def quoting(self, text: pa.Table, rows: np.ndarray) -> "Problem":
        """The same problem quoting the file's own text instead: `text` holds the columns as the
        file writes them, at the ascending row positions `rows` (which hold every flagged row)."""
        if self.quote is not None and self.column in text.column_names:
            before, after = self.quote
            message = before + quoted(text.column(self.column), self.mask, rows) + after
        elif self.compose is not None:
            message = self.compose(lambda name: quoted(text.column(name), self.mask, rows))
        else:
            return self
        return Problem(self.mask, self.column, message, self.quote, self.compose)


def parse_column(raw: pa.ChunkedArray, column: Column) -> tuple[pd.Series, list[Problem]]:
    """Parse `raw` as `column` declares; blanks become nulls and are checked for `nullable`."""
    return parse_columns([(raw, column)])[0]


def parse_columns(items: Sequence[tuple[pa.ChunkedArray, Column]]) -> list[tuple[pd.Series, list[Problem]]]:
    """Parse many columns, of one table or of many, each as its column declares (`parse_column`).

    The text columns of one kind are joined and converted in one pass (trimmed, blanks found,
    dates read in the calendar, numbers read), then each column's own rules are checked on its
    rows: a one-household request parses its 67 columns in a few passes, not 67. A column is the
    same whichever columns it is parsed with.
    """
    out: list[tuple[pd.Series, list[Problem]] | None] = [None] * len(items)
    stacked: dict[str, list[int]] = {}
    for position, (raw, column) in enumerate(items):
        if pa.types.is_dictionary(raw.type):
            out[position] = _parse_dictionary(raw, column)
        elif (_KINDS[column.kind].convert is not None and raw.type in (pa.string(), pa.null())
              and len(raw) <= JOINED_ROWS):
            stacked.setdefault(_KINDS[column.kind].family, []).append(position)
        else:
            out[position] = _parse_one(raw, column)
    for positions in stacked.values():
        together = _parse_stacked([items[p] for p in positions]) if len(positions) > 1 else \
            [_parse_one(*items[positions[0]])]
        for position, parsed in zip(positions, together):
            out[position] = parsed
    return out


def _parse_one(raw: pa.ChunkedArray, column: Column) -> tuple[pd.Series, list[Problem]]:
    text = _trimmed(raw) if _is_text(raw) else None
    blank = _blank(raw, text)
    kind = _KINDS[column.kind]
    if kind.convert is None:
        return _required(kind.parse(raw, text, blank, column), blank, column)
    converted = kind.convert(text, blank, (column,)) if text is not None else kind.convert_typed(raw, blank, (column,))
    return _required(kind.check(raw, converted, blank, column), blank, column)


def _parse_stacked(items: list[tuple[pa.ChunkedArray, Column]]) -> list[tuple[pd.Series, list[Problem]]]:
    """Text columns of one kind family: converted joined, checked column by column."""
    lengths = [len(raw) for raw, _ in items]
    pieces = [chunk if chunk.type == pa.string() else chunk.cast(pa.string()) for raw, _ in items for chunk in raw.chunks]
    joined = pa.chunked_array([pa.concat_arrays(pieces)] if pieces else [], pa.string())  # one piece: one pass
    text = _trimmed(joined)
    blank = _blank(joined, text)
    converted = _KINDS[items[0][1].kind].convert(text, blank, [column for _, column in items])
    out, start = [], 0
    for (raw, column), length in zip(items, lengths):
        rows = slice(start, start + length)
        part = tuple(_slice(value, start, length) for value in converted)
        out.append(_required(_KINDS[column.kind].check(raw, part, blank[rows], column), blank[rows], column))
        start += length
    return out


def _slice(value, start: int, length: int):
    if value is None or isinstance(value, _Whole):
        return value
    if isinstance(value, (pa.Array, pa.ChunkedArray)):
        return value.slice(start, length)
    return value[start:start + length]


def _blank(raw: pa.ChunkedArray, text: pa.ChunkedArray | None) -> np.ndarray:
    if text is None:
        return _mask(pc.is_null(raw, nan_is_null=True))
    return _mask(pc.or_kleene(pc.is_null(text), pc.equal(text, "")))


def _required(parsed: tuple[pd.Series, list[Problem]], blank: np.ndarray,
              column: Column) -> tuple[pd.Series, list[Problem]]:
    values, problems = parsed
    if not column.nullable and blank.any():
        problems.append(Problem(blank, column.name, f"{column.name} is empty; fill it in, it is required"))
    return values, problems


def _parse_dictionary(raw: pa.ChunkedArray, column: Column) -> tuple[pd.Series, list[Problem]]:
    """Parse each distinct value once, then spread the results to the rows (ids and codes repeat a lot)."""
    dictionary, rows = _dictionary_rows(raw)
    entries = pa.chunked_array([pa.concat_arrays([dictionary, pa.nulls(1, pa.string())])])
    distinct_values, distinct_problems = parse_column(entries, column)
    if column.kind == "str":  # kept as categories until validation ends: references look up distinct ids only
        codes, uniques = pd.factorize(distinct_values)
        values = pd.Series(pd.Categorical.from_codes(codes[rows], categories=pd.Index(uniques, dtype="str")))
    elif isinstance(distinct_values.dtype, pd.CategoricalDtype):  # codes: gather the small integer codes
        codes = distinct_values.cat.codes.to_numpy()[rows]
        values = pd.Series(pd.Categorical.from_codes(codes, dtype=distinct_values.dtype, validate=False), copy=False)
    else:
        values = pd.Series(distinct_values.array.take(rows))
    problems = []
    for problem in distinct_problems:
        mask = problem.mask[rows]
        message = problem.message
        if not isinstance(message, str):
            flagged = np.flatnonzero(mask)
            message = pd.Series(message.reindex(rows[flagged]).to_numpy(), index=flagged, dtype=object)
        problems.append(Problem(mask, problem.column, message, problem.quote))
    return values, problems


def _dictionary_rows(raw: pa.ChunkedArray) -> tuple[pa.Array, np.ndarray]:
    """The distinct values of all chunks' dictionaries (as text) and each row's position among them.

    A null row points one past the end. Chunks read from CSV each carry their own small
    dictionary; each chunk's indices are translated into one preallocated array.
    """
    if not raw.num_chunks:
        return pa.array([], pa.string()), np.zeros(0, np.int32)
    dictionary = pc.unique(pa.concat_arrays([chunk.dictionary for chunk in raw.chunks]))
    rows = np.empty(len(raw), dtype=np.min_scalar_type(len(dictionary)))  # a few codes: one byte a row
    start = 0
    for chunk in raw.chunks:
        translate = pc.index_in(chunk.dictionary, value_set=dictionary).to_numpy(zero_copy_only=False)
        translate = np.append(translate.astype(rows.dtype), len(dictionary))
        indices = chunk.indices
        if chunk.null_count:
            indices = pc.fill_null(indices.cast(pa.int64()), len(chunk.dictionary))
        indices = indices.to_numpy(zero_copy_only=False)
        rows[start:start + len(chunk)] = translate[indices]
        start += len(chunk)
    return dictionary.cast(pa.string()), rows


def _is_text(raw: pa.Array) -> bool:
    return pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type) or pa.types.is_null(raw.type)


def _trimmed(raw: pa.ChunkedArray) -> pa.ChunkedArray:
    """Text without surrounding spaces or tabs; the full trim runs only when some value needs it."""
    if pa.types.is_null(raw.type):
        return pa.chunked_array([pa.nulls(len(raw), pa.string())])
    return pc.utf8_trim_whitespace(raw) if has_padding(raw) else raw


def _to_numpy(values: pa.ChunkedArray) -> np.ndarray:
    """The chunks joined into one numpy array (nulls as NaN or NaT).

    The join is allocated by the system allocator: Arrow's default (mimalloc) and numpy both ask
    for transparent huge pages on column-sized blocks, whose first touch cost more than the copy
    itself on the 2-core VMs this runs on (up to 1 s of system time on 10 million rows).
    """
    return values.to_pandas(memory_pool=pa.system_memory_pool()).to_numpy()


def _mask(boolean: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(boolean, False).to_numpy(zero_copy_only=False), dtype=bool)


def quoted(raw: pa.Array | pa.ChunkedArray, mask: np.ndarray, rows: np.ndarray | None = None) -> pd.Series:
    """The flagged values as `'value'` for messages, indexed by row position; `raw` holds every
    row, or only those at the ascending positions `rows`."""
    positions = np.flatnonzero(mask)
    at = positions if rows is None else np.searchsorted(rows, positions)
    values = as_written(take_rows(raw, at)).to_pylist()
    return pd.Series([f"'{(v or '')[:QUOTED_CHARACTERS]}'" for v in values], index=positions, dtype=object)


def take_rows(values: pa.Array | pa.ChunkedArray | pa.Table, positions: np.ndarray):
    """`values.take(positions)` for ascending positions, chunk by chunk: Arrow's take on chunked
    data first joins all the chunks, a copy of the whole column for a handful of rows."""
    if isinstance(values, pa.Array):
        return values.take(pa.array(positions, pa.int64()))
    pieces = values.to_batches() if isinstance(values, pa.Table) else values.chunks
    starts = np.cumsum([0] + [len(piece) for piece in pieces])
    bounds = np.searchsorted(positions, starts)
    taken = [piece.take(pa.array(positions[bounds[i]:bounds[i + 1]] - starts[i], pa.int64()))
             for i, piece in enumerate(pieces) if bounds[i + 1] > bounds[i]]
    if isinstance(values, pa.Table):
        return pa.Table.from_batches(taken, schema=values.schema)
    return pa.chunked_array(taken, type=values.type)


def quoted_problem(mask: np.ndarray, column: str, raw: pa.Array | pa.ChunkedArray, before: str,
                   after: str) -> Problem:
    """A problem whose message quotes each flagged value of `raw` between `before` and `after`."""
    return Problem(mask, column, before + quoted(raw, mask) + after, (before, after))


def _flagged(mask: np.ndarray, column: str, raw: pa.Array, sentence: str) -> list[Problem]:
    """One problem quoting each flagged value before `sentence`; nothing when no row is flagged."""
    if not mask.any():
        return []
    return [quoted_problem(mask, column, raw, f"{column} ", f" {sentence}")]


def as_written(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Values as text the way a person writes them: `2018` (never `2018.0`), `true`/`false`,
    `2023-06-01` for a date or a midnight timestamp, `2023-06-01 09:30:00` otherwise; text as it is."""
    kind = values.type
    if pa.types.is_floating(kind):
        return _floats_as_written(values)
    if pa.types.is_timestamp(kind):
        return _timestamps_as_written(values)
    if pa.types.is_null(kind):
        return pc.cast(values, pa.string())
    try:
        return pc.cast(values, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):  # lists, structs, binary: Python's spelling
        return pa.array([None if v is None else str(v) for v in values.to_pylist()], pa.string())


def _floats_as_written(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Whole numbers without a decimal point; NaN (a blank in a typed column) as empty."""
    numbers = pc.cast(values, pa.float64())
    whole = pc.and_(pc.is_finite(numbers), pc.equal(pc.floor(numbers), numbers))
    whole = pc.and_(whole, pc.less(pc.abs(numbers), LARGEST_WHOLE_FLOAT))
    integers = pc.cast(pc.if_else(whole, numbers, 0.0), pa.int64())
    text = pc.if_else(whole, pc.cast(integers, pa.string()), pc.cast(numbers, pa.string()))
    return pc.if_else(pc.is_nan(numbers), pa.scalar(None, pa.string()), text)


def _timestamps_as_written(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Local time without trailing zeros of the fraction, and without the time at midnight."""
    if values.type.tz is not None:
        values = pc.local_timestamp(values)
    text = pc.cast(values, pa.string())
    text = pc.replace_substring_regex(text, r"(\.\d*?)0+$", r"\1")
    text = pc.replace_substring_regex(text, r"\.$", "")
    return pc.replace_substring_regex(text, r" 00:00:00$", "")


# Each kind converts text (or a typed column) into values, then checks one column's rules on them.
# The conversion depends on the kind alone, so the text columns of a kind can be converted together.

def _str_text(text, blank, columns):
    return (_nulled(text, blank),)


def _str_typed(raw, blank, columns):
    return (_nulled(pc.cast(raw, pa.string()), blank),)


def _nulled(values, blank: np.ndarray):
    if blank.any():
        values = pc.if_else(pa.array(blank), pa.scalar(None, values.type), values)
    return values


def _str_check(raw, converted, blank, column):
    values, = converted
    problems = []
    if column.digits:
        digits = _mask(pc.match_substring_regex(values, rf"^\d{{{column.digits}}}$"))
        problems += _flagged(~blank & ~digits, column.name, raw,
                             f"is not a {column.digits}-digit code; write all {column.digits} digits, "
                             "leading zeros included")
    return _string_series(values), problems


def _string_series(values: pa.Array | pa.ChunkedArray) -> pd.Series:
    chunked = values if isinstance(values, pa.ChunkedArray) else pa.chunked_array([values])
    return pd.Series(pd.arrays.ArrowStringArray(chunked, dtype=STR_DTYPE), copy=False)  # Arrow's text, kept


def _number_text(text, blank, columns):
    """The numbers (NaN where blank or malformed) and which rows are well formed."""
    well_formed = _mask(pc.match_substring_regex(text, NUMBER_PATTERN))
    cleaned = pc.if_else(pa.array(well_formed), text, pa.scalar(None, pa.string()))
    return pc.cast(cleaned, pa.float64()).to_numpy(zero_copy_only=False), well_formed


def _number_typed(raw, blank, columns):
    return _to_numpy(pc.cast(raw, pa.float64())), ~blank


def _number_check(raw, converted, blank, column):
    numbers, well_formed = converted
    problems = _flagged(~blank & ~well_formed, column.name, raw, "is not a number; write a plain number such as 1200.5")
    # an infinite value (1e999 in a CSV, inf in a Parquet float column) is no amount or count
    finite = ~np.isinf(numbers)
    problems += _flagged(well_formed & ~finite, column.name, raw, "is not a finite number; write a plain number")
    ok = well_formed & finite
    all_ok = bool(ok.all())
    safe = numbers if all_ok else np.where(ok, numbers, 0.0)
    if column.kind == "int":
        fractional = ok & (np.floor(safe) != safe)
        problems += _flagged(fractional, column.name, raw, "is not a whole number; write an integer")
    problems += _range_problems(raw, column, safe, ok)
    if column.kind == "int":  # a whole number past 2**53 is out of every range: rejected, kept as null
        whole = ok & (np.abs(safe) < INT_LIMIT)
        integers = np.round(np.where(whole, safe, 0.0)).astype(np.int64)
        return pd.Series(pd.arrays.IntegerArray(integers, ~whole), copy=False), problems
    return pd.Series(numbers if all_ok else np.where(ok, numbers, np.nan), dtype="float64", copy=False), problems


def _range_problems(raw, column, safe, ok) -> list[Problem]:
    problems = []
    if column.money:
        problems += _flagged(ok & (safe < 0), column.name, raw,
                             "is negative; money amounts must be >= 0 "
                             "(record a net loss as zero income and the loss as an event)")
    low, high = column.min_value, column.max_value
    if low is not None and high is not None:
        problems += _flagged(ok & ((safe < low) | (safe > high)), column.name, raw,
                             f"is outside {low:g}-{high:g}; correct the value")
    return problems


def _bool_text(text, blank, columns):
    """Each value's place among the spellings (true ones first), -1 for none."""
    spelling = pc.index_in(pc.utf8_lower(text), value_set=pa.array(TRUE_SPELLINGS + FALSE_SPELLINGS))
    return (pc.fill_null(spelling, -1).to_numpy(zero_copy_only=False),)


def _bool_typed(raw, blank, columns):
    return (np.where(blank, -1, np.where(_mask(raw), 0, len(TRUE_SPELLINGS))),)


def _bool_check(raw, converted, blank, column):
    index, = converted
    known = index >= 0
    values = pd.Series(pd.arrays.BooleanArray(index < len(TRUE_SPELLINGS), ~known), copy=False)
    return values, _flagged(~blank & ~known, column.name, raw, "is not a boolean; write true or false (or 1 or 0)")


def _datetime_text(text, blank, columns):
    """The moments (NaT where unparsed) and the values that name no real moment."""
    parsed, impossible = _text_timestamps(text, blank)
    return parsed.to_numpy(), impossible


def _datetime_typed(raw, blank, columns):
    return _typed_timestamps(raw).to_numpy(), None


def _datetime_check(raw, converted, blank, column):
    parsed, impossible = converted
    values = pd.Series(parsed.astype(DATETIME_DTYPE), copy=False)
    unparsed = ~blank & np.isnat(parsed)
    example = "2023-06-01" if column.kind == "date" else "2023-06-01 09:30:00"
    problems = []
    if impossible is not None:  # typed values always exist in the calendar
        why = "its month has fewer days" + ("" if column.kind == "date" else ", or its second is past 59")
        problems += _flagged(impossible, column.name, raw, f"does not exist in the calendar ({why}); write the "
                             f"{column.kind} that was meant, such as {example}")
        unparsed &= ~impossible
    problems += _flagged(unparsed, column.name, raw, f"is not a valid {column.kind}; write it as {example}")
    if column.kind == "date":
        micros = values.to_numpy().view(np.int64)
        with_time = ~blank & ~np.isnat(parsed) & _time_of_day(micros)
        problems += _flagged(with_time, column.name, raw, "carries a time of day; write the calendar date only")
    return values, problems


def _time_of_day(micros: np.ndarray) -> np.ndarray:
    """Rows not at midnight, a block at a time so no column-sized temporary is made."""
    mask = np.empty(len(micros), dtype=bool)
    for start in range(0, len(micros), BLOCK_ROWS):
        np.not_equal(micros[start:start + BLOCK_ROWS] % MICROS_PER_DAY, 0, out=mask[start:start + BLOCK_ROWS])
    return mask


def _typed_timestamps(raw: pa.Array) -> pd.Series:
    if pa.types.is_timestamp(raw.type) and raw.type.tz is not None:
        raw = pc.local_timestamp(raw)
    if pa.types.is_date(raw.type) or pa.types.is_timestamp(raw.type):
        return pd.Series(_to_numpy(pc.cast(raw, pa.timestamp("us"))), copy=False)
    return pd.Series(pd.NaT, index=range(len(raw)), dtype=DATETIME_DTYPE)


def _text_timestamps(text: pa.ChunkedArray, blank: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """The parsed values (null where unparsed or impossible) and the values that name no real
    moment (`2022-02-30`), which Arrow's strptime would roll over into the next month."""
    parsed = pa.nulls(len(text), pa.timestamp("us"))
    for fmt in TIMESTAMP_FORMATS:
        attempt = pc.strptime(text, format=fmt, unit="us", error_is_null=True)
        parsed = pc.coalesce(parsed, attempt)
        if parsed.null_count == text.null_count:   # every value read: the other formats cannot add any
            break
    impossible, unchecked = calendar_check(text)
    doubtful = np.flatnonzero(unchecked & _mask(pc.is_valid(parsed)))  # parsed, laid out otherwise (2022-6-1)
    if len(doubtful):
        impossible[doubtful] = ~np.array([_exists(v) for v in take_rows(text, doubtful).to_pylist()],
                                         dtype=bool)
    if impossible.any():
        parsed = pc.if_else(pa.array(impossible), pa.scalar(None, pa.timestamp("us")), parsed)
    result = pd.Series(parsed.to_pandas()).astype(DATETIME_DTYPE)
    leftover = ~blank & ~impossible & result.isna().to_numpy()
    if leftover.any():  # rare spellings (fractions of a second, offsets): pandas' ISO 8601 parser
        strings = pd.Series(take_rows(text, np.flatnonzero(leftover)).to_pylist(), dtype=object)
        result.iloc[np.flatnonzero(leftover)] = _iso_timestamps(strings).to_numpy()
    return result, impossible


def _exists(value: str) -> bool:
    """Whether Python's strict strptime reads `value` in one of the formats (it checks the calendar)."""
    for fmt in TIMESTAMP_FORMATS:
        try:
            datetime.strptime(value, fmt)
            return True
        except ValueError:
            continue
    return False


def _iso_timestamps(strings: pd.Series) -> pd.Series:
    """ISO 8601 text as local naive timestamps (NaT where invalid); a value with a zone offset is
    converted to Asia/Shanghai time. Values with and without offsets are parsed apart."""
    result = pd.Series(pd.NaT, index=strings.index, dtype=DATETIME_DTYPE)
    zoned = strings.str.contains(ZONE_SUFFIX, regex=True).to_numpy(dtype=bool)
    for group in (~zoned, zoned):
        if group.any():
            result[group] = _iso_group(strings[group], utc=bool(zoned[group][0]))
    return result


def _iso_group(strings: pd.Series, utc: bool) -> np.ndarray:
    try:
        moments = pd.to_datetime(strings, errors="coerce", format="ISO8601", utc=utc)
    except ValueError:  # offsets in a spelling the split missed: one value at a time
        return np.array([_one_iso_timestamp(v) for v in strings], dtype=DATETIME_DTYPE)
    if utc:
        moments = moments.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    return moments.astype(DATETIME_DTYPE).to_numpy()


def _one_iso_timestamp(value: str) -> np.datetime64:
    moment = pd.to_datetime(value, errors="coerce", format="ISO8601")
    if moment is not pd.NaT and moment.tzinfo is not None:
        moment = moment.tz_convert("Asia/Shanghai").tz_localize(None)
    return np.datetime64(moment, "us") if moment is not pd.NaT else np.datetime64("NaT", "us")


@functools.cache
def code_dtype(codes: tuple[str, ...]) -> pd.CategoricalDtype:
    """The categorical dtype of a code column (made once: building one checks every category)."""
    return pd.CategoricalDtype(list(codes))


class _Whole(NamedTuple):
    """A part of a conversion that belongs to all its rows (not cut when the rows are)."""
    value: object


def _code_text(text, blank, columns):
    """Each row's position among the spellings of all the columns' codes (-1: none), and those spellings."""
    spellings = sorted({spelling for column in columns for spelling in column.label_map})
    positions = pc.fill_null(pc.index_in(text, value_set=pa.array(spellings, pa.string())), -1)
    return positions.to_numpy(zero_copy_only=False), _Whole(spellings)


def _code_typed(raw, blank, columns):
    return _code_text(pc.cast(raw, pa.string()), blank, columns)


def _code_check(raw, converted, blank, column):
    positions, spellings = converted
    codes = _canonical_codes(column, tuple(spellings.value))[positions]
    values = pd.Series(pd.Categorical.from_codes(codes, dtype=code_dtype(column.code_values)))
    problems = _flagged(~blank & (codes < 0), column.name, raw, f"is not a known code; use one of {_code_list(column)}")
    return values, problems


def _parse_codelist(raw, text, blank, column):
    text = pd.Series((text if text is not None else pc.cast(raw, pa.string())).to_pandas(), dtype=object)
    exploded = text.where(~blank, "").str.split(";").explode().str.strip()
    mapped = exploded.map(column.label_map)
    unknown = (mapped.isna() & exploded.ne("")).groupby(level=0).any().reindex(text.index, fill_value=False)
    counts = mapped.notna().groupby(level=0).sum().reindex(text.index, fill_value=0).to_numpy()
    joined = mapped.dropna().groupby(level=0).agg(";".join).reindex(text.index)
    bad = ~blank & unknown.to_numpy(dtype=bool)
    too_many = ~blank & (counts > (column.max_items or 10**9))
    problems = _flagged(bad, column.name, raw, f"holds an unknown code; use codes from {_code_list(column)}")
    problems += _flagged(too_many, column.name, raw,
                         f"holds more than {column.max_items} codes; keep the main {column.max_items}")
    values = joined.where(~(bad | too_many) & ~blank, None).astype("str")
    return values, problems


@functools.lru_cache(maxsize=256)
def _canonical_codes(column: Column, spellings: tuple[str, ...]) -> np.ndarray:
    """Each spelling's code number in `column` (-1: not one of its codes), and -1 for no spelling."""
    labels = column.label_map
    numbers = np.array([column.code_values.index(labels[spelling]) if spelling in labels else -1
                        for spelling in spellings] + [-1])
    numbers.flags.writeable = False
    return numbers


def _code_list(column: Column) -> str:
    return ", ".join(c.code + (f" ({c.zh})" if c.zh else "") for c in column.codes)


class _Kind(NamedTuple):
    family: str             # kinds converted alike, whose text columns are converted together
    convert: Callable | None = None         # (text, blank, columns) -> converted values
    convert_typed: Callable | None = None   # (raw, blank, columns) -> the same, from a typed column
    check: Callable | None = None           # (raw, converted, blank, column) -> (values, problems)
    parse: Callable | None = None           # (raw, text, blank, column), for kinds parsed a column at a time


_STR = _Kind("str", _str_text, _str_typed, _str_check)
_NUMBER = _Kind("number", _number_text, _number_typed, _number_check)
_DATETIME = _Kind("datetime", _datetime_text, _datetime_typed, _datetime_check)
_KINDS = {
    "str": _STR,
    "int": _NUMBER,
    "float": _NUMBER,
    "bool": _Kind("bool", _bool_text, _bool_typed, _bool_check),
    "date": _DATETIME,
    "timestamp": _DATETIME,
    "code": _Kind("code", _code_text, _code_typed, _code_check),
    "codelist": _Kind("codelist", parse=_parse_codelist),
}
