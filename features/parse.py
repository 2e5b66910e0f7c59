"""Vectorized parsing of one raw contract column into its canonical dtype.

Each parser returns the parsed values and the problems found: a boolean mask of the rows that
break a rule, with a sentence per row that names the value and says how to fix it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import Column

DATETIME_DTYPE = "datetime64[us]"
TRUE_SPELLINGS = ("true", "1")
FALSE_SPELLINGS = ("false", "0")


@dataclass
class Problem:
    """Rows of one table that break one rule about one or more columns."""

    mask: np.ndarray            # bool, one entry per row of the table
    column: str
    message: pd.Series | str    # per-row sentence (indexed like the flagged rows) or one sentence


def is_blank(raw: pd.Series) -> np.ndarray:
    """Null, NaN or an empty/whitespace string."""
    blank = raw.isna().to_numpy().copy()
    if raw.dtype == object or pd.api.types.is_string_dtype(raw.dtype):
        text = raw.astype("str")
        blank |= (text.str.strip() == "").to_numpy()
    return blank


def quoted(raw: pd.Series, mask: np.ndarray) -> pd.Series:
    """The flagged raw values as `'value'` for messages (cut to 40 characters)."""
    values = raw[mask].astype("str").str.slice(0, 40)
    return "'" + values + "'"


def as_text(raw: pd.Series) -> pd.Series:
    """Raw values as stripped strings; numbers written by a spreadsheet lose their `.0`."""
    if pd.api.types.is_float_dtype(raw.dtype):
        numbers = raw.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(numbers) & (numbers == np.floor(np.nan_to_num(numbers)))
        text = raw.astype("str").where(raw.notna(), "").to_numpy(dtype=object)
        text[whole] = numbers[whole].astype(np.int64).astype(str)
        return pd.Series(text, index=raw.index, dtype="str")
    if pd.api.types.is_integer_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("str")
    return raw.astype("str").str.strip()


def parse_column(raw: pd.Series, column: Column) -> tuple[pd.Series, list[Problem]]:
    """Parse `raw` as `column` declares; blanks become nulls and are checked for `nullable`."""
    blank = is_blank(raw)
    parser = _PARSERS[column.kind]
    values, problems = parser(raw, column, blank)
    if not column.nullable and blank.any():
        problems.append(Problem(blank, column.name, f"{column.name} is empty; fill it in, it is required"))
    return values, problems


def _parse_str(raw, column, blank):
    values = as_text(raw).where(~blank, None).astype("str")
    problems = []
    if column.digits:
        pattern = rf"^\d{{{column.digits}}}$"
        bad = ~blank & ~values.str.match(pattern).fillna(False).to_numpy(dtype=bool)
        if bad.any():
            msg = (f"{column.name} " + quoted(raw, bad)
                   + f" is not a {column.digits}-digit code; write all {column.digits} digits, leading zeros included")
            problems.append(Problem(bad, column.name, msg))
    return values, problems


def _parse_number(raw, column, blank):
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        numbers = raw.astype("float64")
    else:
        numbers = pd.to_numeric(raw.astype("str").str.strip().where(~blank, None), errors="coerce")
        numbers = numbers.astype("float64")
    unparsed = ~blank & ~np.isfinite(numbers.to_numpy(na_value=np.nan))
    problems = []
    if unparsed.any():
        msg = f"{column.name} " + quoted(raw, unparsed) + " is not a number; write a plain number such as 1200.5"
        problems.append(Problem(unparsed, column.name, msg))
    ok = ~blank & ~unparsed
    arr = numbers.to_numpy(na_value=np.nan)
    if column.kind == "int":
        fractional = ok & (np.floor(np.where(ok, arr, 0)) != np.where(ok, arr, 0))
        if fractional.any():
            msg = f"{column.name} " + quoted(raw, fractional) + " is not a whole number; write an integer"
            problems.append(Problem(fractional, column.name, msg))
    problems += _range_problems(raw, column, arr, ok)
    numbers = numbers.where(ok)
    if column.kind == "int":
        numbers = numbers.round().astype("Int64")
    return numbers, problems


def _range_problems(raw, column, arr, ok) -> list[Problem]:
    problems = []
    if column.money:
        negative = ok & (np.where(ok, arr, 0) < 0)
        if negative.any():
            msg = (f"{column.name} " + quoted(raw, negative) + " is negative; money amounts must be >= 0 "
                   "(record a net loss as zero income and the loss as an event)")
            problems.append(Problem(negative, column.name, msg))
    low, high = column.min_value, column.max_value
    if low is not None or high is not None:
        vals = np.where(ok, arr, low if low is not None else 0)
        out = ok & (((vals < low) if low is not None else False) | ((vals > high) if high is not None else False))
        if np.any(out):
            msg = f"{column.name} " + quoted(raw, out) + f" is outside {low:g}-{high:g}; correct the value"
            problems.append(Problem(out, column.name, msg))
    return problems


def _parse_bool(raw, column, blank):
    if pd.api.types.is_bool_dtype(raw.dtype):
        return raw.astype("boolean"), []
    text = as_text(raw).str.lower()
    is_true = text.isin(TRUE_SPELLINGS).to_numpy()
    is_false = text.isin(FALSE_SPELLINGS).to_numpy()
    bad = ~blank & ~is_true & ~is_false
    values = pd.Series(pd.array(np.where(is_true, True, False), dtype="boolean"), index=raw.index)
    values[~(is_true | is_false)] = pd.NA
    problems = []
    if bad.any():
        msg = f"{column.name} " + quoted(raw, bad) + " is not a boolean; write true or false (or 1 or 0)"
        problems.append(Problem(bad, column.name, msg))
    return values, problems


def _parse_datetime(raw, column, blank):
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = raw.dt.tz_localize(None) if getattr(raw.dt, "tz", None) is not None else raw
    elif raw.dtype == object and not blank.all() and not isinstance(raw[~blank].iloc[0], str):
        values = pd.to_datetime(raw, errors="coerce")
    else:
        values = pd.to_datetime(raw.astype("str").str.strip().where(~blank, None), errors="coerce", format="ISO8601")
    values = values.astype(DATETIME_DTYPE)
    unparsed = ~blank & values.isna().to_numpy()
    problems = []
    if unparsed.any():
        example = "2023-06-01" if column.kind == "date" else "2023-06-01 09:30:00"
        msg = f"{column.name} " + quoted(raw, unparsed) + f" is not a valid {column.kind}; write it as {example}"
        problems.append(Problem(unparsed, column.name, msg))
    if column.kind == "date":
        with_time = ~blank & ~unparsed & (values != values.dt.normalize()).to_numpy()
        if with_time.any():
            msg = f"{column.name} " + quoted(raw, with_time) + " carries a time of day; write the calendar date only"
            problems.append(Problem(with_time, column.name, msg))
    return values, problems


def _parse_code(raw, column, blank):
    text = as_text(raw)
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    mapping = column.label_map
    mapped_uniques = np.array([mapping.get(u) for u in uniques], dtype=object)
    known = np.zeros(len(codes), dtype=bool)
    values = np.full(len(codes), None, dtype=object)
    has = codes >= 0
    values[has] = mapped_uniques[codes[has]]
    known[has] = pd.notna(mapped_uniques[codes[has]])
    bad = ~blank & ~known
    dtype = pd.CategoricalDtype(list(column.code_values))
    parsed = pd.Series(pd.Categorical(np.where(known, values, None), dtype=dtype), index=raw.index)
    problems = []
    if bad.any():
        msg = f"{column.name} " + quoted(raw, bad) + f" is not a known code; use one of {_code_list(column)}"
        problems.append(Problem(bad, column.name, msg))
    return parsed, problems


def _parse_codelist(raw, column, blank):
    text = as_text(raw).where(~blank, "")
    items = text.str.split(";")
    exploded = items.explode().str.strip()
    mapping = column.label_map
    mapped = exploded.map(mapping)
    unknown_item = mapped.isna() & exploded.ne("")
    row_unknown = unknown_item.groupby(level=0).any().reindex(raw.index, fill_value=False).to_numpy()
    counts = mapped.notna().groupby(level=0).sum().reindex(raw.index, fill_value=0).to_numpy()
    joined = mapped.dropna().groupby(level=0).agg(";".join).reindex(raw.index)
    problems = []
    bad = ~blank & row_unknown
    if bad.any():
        msg = f"{column.name} " + quoted(raw, bad) + f" holds an unknown code; use codes from {_code_list(column)}"
        problems.append(Problem(bad, column.name, msg))
    too_many = ~blank & (counts > (column.max_items or 10**9))
    if too_many.any():
        msg = f"{column.name} " + quoted(raw, too_many) + f" holds more than {column.max_items} codes; keep the main {column.max_items}"
        problems.append(Problem(too_many, column.name, msg))
    values = joined.where(~(bad | too_many) & ~blank, None).astype("str")
    return values, problems


def _code_list(column: Column) -> str:
    return ", ".join(c.code + (f" ({c.zh})" if c.zh else "") for c in column.codes)


_PARSERS = {
    "str": _parse_str,
    "int": _parse_number,
    "float": _parse_number,
    "bool": _parse_bool,
    "date": _parse_datetime,
    "timestamp": _parse_datetime,
    "code": _parse_code,
    "codelist": _parse_codelist,
}
