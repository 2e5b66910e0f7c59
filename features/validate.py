"""Validation of a whole export against the data contract: pure functions, no file access.

Every raw row ends in exactly one place: accepted, collapsed (an exact repeat of an accepted
row) or quarantined with the column at fault and a reason a clerk can act on. The quarantine
shows each rejected row as text: typed values as a person writes them, or, once
`TableResult.with_original_text` is given the file read again as text, exactly as the file has them.
"""
from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.contract import TABLES, Column, Table
from features.parse import Problem, as_written, parse_column, parse_columns, quoted_problem, take_rows
from features.frames import frame_of
from features.repeats import bits, column_numbers, repeated_rows, row_hashes
from features.rules import row_rule_problems
from features.text_bytes import positions_among
from stayout.errors import TableUnusableError

QUARANTINE_EXTRA_COLUMNS = ("row_number", "column", "reason")
REFERENCED = frozenset(column.references for table in TABLES for column in table.columns if column.references)
THREADS = 2
THREADED_ROWS = 4_096    # below this, starting threads costs more than they save (one household: ~1 ms a table)


@dataclass
class TableResult:
    """The outcome of validating one table."""

    name: str
    accepted: pd.DataFrame
    quarantined: pd.DataFrame
    read: int
    collapsed: int
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list, repr=False)  # what rejected the quarantined rows
    accepted_count: int | None = None   # when the accepted rows are kept elsewhere (on disk, in parts)

    @property
    def n_accepted(self) -> int:
        return len(self.accepted) if self.accepted_count is None else self.accepted_count

    @property
    def reconciles(self) -> bool:
        return self.read == self.n_accepted + self.collapsed + len(self.quarantined)

    def with_original_text(self, text: pa.Table) -> "TableResult":
        """The same outcome, its quarantine showing `text` (the quarantined rows, in file order, read
        again from the file with every column as text) and its reasons quoting that text."""
        positions = self.quarantined["row_number"].to_numpy(dtype=np.int64) - 1
        if text.num_rows != len(positions):
            raise ValueError(f"{self.name}: {text.num_rows} rows of text for {len(positions)} quarantined rows")
        problems = [problem.quoting(text, positions) for problem in self.problems]
        return replace(self, quarantined=_quarantine_frame(text, positions, problems), problems=problems)


@dataclass
class ValidationResult:
    tables: dict[str, TableResult]

    def accepted(self) -> dict[str, pd.DataFrame]:
        return {name: result.accepted for name, result in self.tables.items()}

    def reconciliation(self) -> pd.DataFrame:
        rows = [
            {"table": r.name, "read": r.read, "accepted": r.n_accepted, "collapsed": r.collapsed,
             "quarantined": len(r.quarantined), "reconciles": r.reconciles}
            for r in self.tables.values()
        ]
        return pd.DataFrame(rows)


@dataclass
class _References:
    """Keys accepted so far, which later tables must reference."""

    values: dict[str, pa.Array] = field(default_factory=dict)

    def add(self, table: str, accepted: pd.DataFrame) -> None:
        for column in accepted.columns:
            if f"{table}.{column}" not in REFERENCED:
                continue
            values = accepted[column]
            if pd.api.types.is_string_dtype(values.dtype):  # distinct in order of first appearance, by Arrow
                self.values[f"{table}.{column}"] = pc.unique(pc.drop_null(pa.array(values, pa.string())))

    def positions(self, reference: str, values: pd.Series) -> np.ndarray:
        """Each value's position among the accepted keys named by `reference` ("table.column"), -1 if absent."""
        if isinstance(values.dtype, pd.CategoricalDtype):  # look up each distinct value once
            distinct = self.positions(reference, pd.Series(values.cat.categories, dtype="str"))
            codes = values.cat.codes.to_numpy()
            return np.where(codes >= 0, np.append(distinct, -1)[codes], -1)
        keys = self.values.get(reference, pa.array([], pa.string()))
        return positions_among(_arrow_text(values), keys)


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """The values as Arrow text; no copy for pandas' Arrow-backed `str` dtype."""
    arrow = pa.array(values, pa.large_string())
    return arrow if isinstance(arrow, pa.ChunkedArray) else pa.chunked_array([arrow])


def validate_tables(raw_tables: dict[str, pa.Table | pd.DataFrame], sources: dict[str, str] | None = None,
                    exported_at: pd.Timestamp | None = None,
                    accepted: dict[str, pd.DataFrame] | None = None,
                    row_numbers: dict[str, np.ndarray] | None = None) -> ValidationResult:
    """Validate every contract table; raw tables are in file order with their original values.

    `exported_at`, the moment the export was taken (its export.json), if known: a row recorded
    after it is quarantined. `accepted`: tables that are already the accepted rows of an earlier
    validation (the stored reference tables of a county), taken as they are and referenced.
    """
    sources = sources or {}
    exported_at = None if exported_at is None else pd.Timestamp(exported_at)
    references = _References()
    results: dict[str, TableResult] = {}
    raw_tables = {name: pa.Table.from_pandas(raw, preserve_index=False) if isinstance(raw, pd.DataFrame) else raw
                  for name, raw in raw_tables.items()}
    ahead = _parsed_ahead(raw_tables, accepted or {})
    for table in TABLES:
        raw = raw_tables.get(table.name)
        source = sources.get(table.name, table.name)
        if accepted and table.name in accepted:
            frame = accepted[table.name]
            references.add(table.name, frame)
            results[table.name] = TableResult(table.name, frame, _no_quarantine(table.column_names),
                                              read=len(frame), collapsed=0)
            continue
        if raw is None:
            raise TableUnusableError(table.name, source, "the table is missing from the export",
                                     f"add {table.name}.parquet or {table.name}.csv (a header row alone is fine)")
        result = validate_table(table, raw, references, source, exported_at, (row_numbers or {}).get(table.name),
                                ahead.get(table.name))
        references.add(table.name, result.accepted)
        results[table.name] = result
    return ValidationResult(results)


def _parsed_ahead(raw_tables: dict[str, pa.Table], accepted: dict) -> dict[str, dict[str, tuple]]:
    """Small tables (a request's few households) parsed together, every column of a kind in one
    pass: on small tables the cost is in the passes, not the rows. Large tables are parsed a
    table at a time, their columns on threads. A table that cannot be used is left to say so."""
    small = [table for table in TABLES if table.name not in accepted and (raw := raw_tables.get(table.name))
             is not None and 0 < raw.num_rows < THREADED_ROWS]
    if len(small) < 2 or any(raw.num_rows >= THREADED_ROWS for raw in raw_tables.values()):
        return {}
    items, owners = [], []
    for table in small:
        try:
            columns, _ = _contract_columns(table, raw_tables[table.name], table.name)
        except TableUnusableError:
            continue
        items += [(columns[column.name], column) for column in table.columns]
        owners += [(table.name, column.name) for column in table.columns]
    ahead: dict[str, dict[str, tuple]] = {}
    for (table, column), parsed in zip(owners, parse_columns(items)):
        ahead.setdefault(table, {})[column] = parsed
    return ahead


def validate_table(table: Table, raw: pa.Table | pd.DataFrame, references: _References | None = None,
                   source: str | None = None, exported_at: pd.Timestamp | None = None,
                   row_numbers: np.ndarray | None = None, ahead: dict[str, tuple] | None = None) -> TableResult:
    """Validate one table; `references` holds the accepted keys of the tables it points to.
    `row_numbers`: each raw row's 1-based number in its file when the rows are some of the file's
    (a part of households); the quarantine's own `row_number` stays the position in `raw`.
    `ahead`: the columns already parsed (`_parsed_ahead`), by name."""
    if isinstance(raw, pd.DataFrame):
        raw = pa.Table.from_pandas(raw, preserve_index=False)
    columns, warnings = _contract_columns(table, raw, source or table.name)
    if raw.num_rows == 0:   # nothing to check: the frames are those of the contract's empty table
        return replace(_empty_result(table), warnings=warnings)
    return _validated_rows(table, raw, columns, warnings, references, exported_at, row_numbers, ahead)


def _validated_rows(table: Table, raw: pa.Table, columns: dict[str, pa.ChunkedArray], warnings: list[str],
                    references: _References | None, exported_at: pd.Timestamp | None,
                    row_numbers: np.ndarray | None = None, ahead: dict[str, tuple] | None = None) -> TableResult:
    # Arrow, numpy and pandas' hash tables release the GIL: large tables parse their columns on threads
    with ThreadPoolExecutor(max_workers=THREADS) if raw.num_rows >= THREADED_ROWS else _InLine() as pool:
        parsed, problems, reference_problems, key_codes = _parse_table(
            table, columns, raw.num_rows, references or _References(), pool, ahead or {})
        # large tables hash their rows beside the rules; small ones only if two rows could repeat
        hashes = pool.submit(row_hashes, parsed, key_codes) if raw.num_rows >= THREADED_ROWS else _Done(None)
        problems += row_rule_problems(table, parsed, columns)
        problems += _recorded_after_export(columns["recorded_at"], parsed["recorded_at"], exported_at)
        problems += reference_problems
        rejected = _any(problems, raw.num_rows)
        # rows equal in every column share their key and recorded_at: a few rows check those first
        may_repeat = raw.num_rows >= THREADED_ROWS or _keys_repeat(parsed, [*table.key, "recorded_at"], ~rejected)
        repeat = (repeated_rows(parsed, ~rejected, key_codes, hashes.result()) if may_repeat
                  else np.zeros(raw.num_rows, dtype=bool))
    # a version's key is its key and recorded_at: where those never repeat, no two versions conflict
    if table.kind == "id" or (table.kind == "versioned" and may_repeat):
        conflict = _key_conflicts(table, parsed, ~rejected & ~repeat, row_numbers)
        problems += conflict
        rejected |= _any(conflict, raw.num_rows)
    keep = ~rejected & ~repeat
    accepted = parsed if keep.all() else parsed.frame[keep].reset_index(drop=True)
    positions = np.flatnonzero(rejected)
    quarantined = (_quarantine_frame(take_rows(raw, positions), positions, problems) if len(positions)
                   else _no_quarantine(tuple(raw.column_names)))
    return TableResult(table.name, _finalize_dtypes(table, accepted), quarantined, read=raw.num_rows,
                       collapsed=int(repeat.sum()), warnings=warnings, problems=problems)


def _contract_columns(table: Table, raw: pa.Table, source: str) -> tuple[dict[str, pa.ChunkedArray], list[str]]:
    if tuple(raw.column_names) == table.column_names:   # the contract's columns in its order (a posted table)
        return dict(zip(table.column_names, raw.columns)), []
    present = set(raw.column_names)
    for column in table.columns:
        if column.name not in present and not column.nullable:
            raise TableUnusableError(table.name, source, f"required column {column.name} is missing",
                                     f"add the column {column.name} ({column.kind}) with the header spelled exactly so",
                                     column=column.name)
    warnings = []
    extra = [c for c in raw.column_names if c not in table.column_names]
    if extra:
        warnings.append(f"{table.name}: extra columns ignored: {', '.join(map(str, extra))}")
    columns = {}
    for column in table.columns:
        columns[column.name] = (raw.column(column.name) if column.name in present
                                else pa.chunked_array([pa.nulls(raw.num_rows, pa.string())]))
    return columns, warnings


class _Done:
    def __init__(self, value) -> None:
        self._value = value

    def result(self):
        return self._value


class _InLine:
    """The executor interface used by `validate_table`, running each call at once in this thread."""

    def __enter__(self) -> "_InLine":
        return self

    def __exit__(self, *exc) -> None:
        return None

    def map(self, function, items):
        return map(function, items)

    def submit(self, function, *args) -> _Done:
        return _Done(function(*args))


class _ParsedColumn(NamedTuple):
    values: pd.Series
    problems: list[Problem]
    reference_problems: list[Problem]
    key_codes: np.ndarray | None  # reference columns: each row's position among the accepted keys


class _ParsedTable:
    """A table's parsed columns (Series on the rows' positions), read by name like a frame; the
    frame itself is made only where rows are compared or dropped (on a few rows, making a frame
    and reading its columns back costs more than the checks)."""

    def __init__(self, columns: dict[str, pd.Series], n_rows: int) -> None:
        self._columns, self.index = columns, pd.RangeIndex(n_rows)

    def __getitem__(self, name: str) -> pd.Series:
        return self._columns[name]

    def __len__(self) -> int:
        return len(self.index)

    @property
    def columns(self) -> list[str]:
        return list(self._columns)

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        return frame_of({name: values.array for name, values in self._columns.items()}, len(self.index))

    @property
    def iloc(self):
        return self.frame.iloc

    @property
    def loc(self):
        return self.frame.loc


def _parse_table(table: Table, raw_columns: dict[str, pa.ChunkedArray], n_rows: int, references: _References,
                 pool: ThreadPoolExecutor, ahead: dict[str, tuple]
                 ) -> tuple[_ParsedTable, list[Problem], list[Problem], dict[str, np.ndarray]]:
    """Parse every column (unless `ahead` holds it parsed), and look up the columns that reference
    other tables (those go first: they take longest). Returns the parsed frame, the parse problems
    and the reference problems (each in column order) and the key positions of each reference column."""
    def parse(column: Column) -> _ParsedColumn:
        values, problems = ahead.get(column.name) or parse_column(raw_columns[column.name], column)
        if not column.references:
            return _ParsedColumn(values, problems, [], None)
        return _ParsedColumn(values, problems,
                             *_reference_problems(column, values, raw_columns[column.name], references))

    longest_first = sorted(table.columns, key=lambda column: column.references is None)
    by_name = dict(zip((column.name for column in longest_first), pool.map(parse, longest_first)))
    outcomes = {column.name: by_name[column.name] for column in table.columns}
    parsed = _ParsedTable({name: outcome.values for name, outcome in outcomes.items()}, n_rows)
    problems = [problem for outcome in outcomes.values() for problem in outcome.problems]
    reference_problems = [problem for outcome in outcomes.values() for problem in outcome.reference_problems]
    key_codes = {name: outcome.key_codes for name, outcome in outcomes.items() if outcome.key_codes is not None}
    return parsed, problems, reference_problems, key_codes


def _reference_problems(column: Column, values: pd.Series, raw: pa.ChunkedArray,
                        references: _References) -> tuple[list[Problem], np.ndarray]:
    """Rows pointing at keys that were not accepted (quoting the id as `raw` writes it), and each
    row's key position (-1: absent)."""
    target_table = column.references.split(".")[0]
    key_codes = references.positions(column.references, values)
    bad = values.notna().to_numpy() & (key_codes < 0)
    if not bad.any():
        return [], key_codes
    after = (f" is not an accepted {target_table} key (absent from {target_table} or quarantined there); "
             f"add it to {target_table} or correct the id")
    return [quoted_problem(bad, column.name, raw, f"{column.name} ", after)], key_codes


def _recorded_after_export(raw: pa.ChunkedArray, recorded_at: pd.Series,
                           exported_at: pd.Timestamp | None) -> list[Problem]:
    """Rows recorded after the moment the export was taken: a mistyped recorded_at (or exported_at)."""
    if exported_at is None:
        return []
    after = (recorded_at > exported_at).to_numpy(dtype=bool, na_value=False)
    if not after.any():
        return []
    return [quoted_problem(after, "recorded_at", raw, "recorded after the export was taken: recorded_at ",
                           f" is after exported_at {exported_at:%Y-%m-%d %H:%M:%S} in export.json; "
                           "correct recorded_at, or exported_at if the export was taken later")]


def _key_conflicts(table: Table, parsed: _ParsedTable, candidates: np.ndarray,
                   row_numbers: np.ndarray | None = None) -> list[Problem]:
    """Later rows whose key (and, for versions, recorded_at) repeats with different content."""
    key = list(table.key) + (["recorded_at"] if table.kind == "versioned" else [])
    if len(parsed) < THREADED_ROWS and not _keys_repeat(parsed, key, candidates):  # a few rows: numpy first
        return []
    subset = parsed.loc[candidates, key]
    later = subset.duplicated(keep="first")
    if not later.any():
        return []
    numbers = subset.index.to_series() + 1 if row_numbers is None else \
        pd.Series(np.asarray(row_numbers)[subset.index.to_numpy()], index=subset.index)
    first_rows = numbers.groupby([subset[k] for k in key], sort=False, dropna=False,
                                 observed=True).transform("first")
    bad = np.zeros(len(parsed), dtype=bool)
    bad[later[later].index.to_numpy()] = True
    name = table.key[0] if len(table.key) == 1 else "+".join(table.key)
    what = "duplicate id with different content" if table.kind == "id" else \
        "same key and recorded_at as another version with different content"
    message = (f"{what}: {name} repeats row " + first_rows[later].astype("str")
               + "; a clerk must settle which row is right and re-export it")
    return [Problem(bad, name.replace("+", ";"), message)]


def _keys_repeat(parsed: _ParsedTable, key: list[str], candidates: np.ndarray) -> bool:
    """Whether two candidate rows share their key (missing values alike), on the key's numbers."""
    positions = np.flatnonzero(candidates)
    if len(positions) < 2:
        return False
    numbers = np.column_stack([bits(column_numbers(parsed[name]))[positions] for name in key])
    return len(np.unique(numbers, axis=0)) < len(positions)


def _any(problems: list[Problem], n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for problem in problems:
        mask |= problem.mask
    return mask


def _quarantine_frame(rows: pa.Table, positions: np.ndarray, problems: list[Problem]) -> pd.DataFrame:
    """The rejected `rows` (at `positions`) as text, with their row numbers, columns and reasons."""
    out = pa.table([as_written(column) for column in rows.columns], names=rows.column_names).to_pandas()
    out.index = positions
    columns = pd.Series("", index=positions, dtype=object)
    reasons = pd.Series("", index=positions, dtype=object)
    for problem in problems:
        hit = problem.mask[positions]
        if not hit.any():
            continue
        index = positions[hit]
        message = problem.message if isinstance(problem.message, str) else problem.message.reindex(index)
        sep_c = np.where(columns[index] == "", "", ";")
        sep_r = np.where(reasons[index] == "", "", "; ")
        columns[index] = columns[index] + sep_c + problem.column
        reasons[index] = reasons[index] + sep_r + message
    out["row_number"] = positions + 1
    out["column"] = columns.map(_unique_columns) if len(out) else columns
    out["reason"] = reasons
    return out.reset_index(drop=True)[[*rows.column_names, *QUARANTINE_EXTRA_COLUMNS]]


def _empty_result(table: Table) -> TableResult:
    return TableResult(table.name, empty_accepted(table), _no_quarantine(table.column_names), read=0, collapsed=0)


def empty_accepted(table: Table) -> pd.DataFrame:
    """The accepted frame of a table without rows: the contract's columns in validation's dtypes."""
    return _empty_accepted(table).copy(deep=False)  # no rows: nothing in it can change


def text_header(names: tuple[str, ...]) -> pa.Table:
    """A table of text columns `names` without rows (a file with its header row alone)."""
    return pa.table({name: pa.array([], pa.string()) for name in names})


@functools.cache
def _empty_accepted(table: Table) -> pd.DataFrame:
    """The accepted frame of a table without rows (its dtypes), made once by the full validation."""
    raw = text_header(table.column_names)
    columns, _ = _contract_columns(table, raw, table.name)
    return _validated_rows(table, raw, columns, [], _References(), None).accepted


def _no_quarantine(names: tuple[str, ...]) -> pd.DataFrame:
    return _empty_quarantine_frame(names).copy(deep=False)  # no rows: nothing in it can change


@functools.cache
def _empty_quarantine_frame(names: tuple[str, ...]) -> pd.DataFrame:
    """The quarantine of a table with columns `names` when no row is rejected."""
    return _quarantine_frame(text_header(names), np.zeros(0, dtype=np.int64), [])


def _unique_columns(joined: str) -> str:
    return ";".join(dict.fromkeys(joined.split(";")))


def _finalize_dtypes(table: Table, accepted: pd.DataFrame | _ParsedTable) -> pd.DataFrame:
    """Text columns become strings; non-null ints and bools plain numpy dtypes once rejected rows are gone."""
    columns = {}
    for column in table.columns:
        values = accepted[column.name]
        if column.kind == "str" and isinstance(values.dtype, pd.CategoricalDtype):
            columns[column.name] = values.astype("str").array
        elif column.kind == "int" and not column.nullable:
            columns[column.name] = values.to_numpy("int64")
        elif column.kind == "bool" and not column.nullable:
            columns[column.name] = values.to_numpy(bool)
        else:
            columns[column.name] = values.array
    return frame_of(columns, len(accepted.index), accepted.index)
