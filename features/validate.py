"""Validation of a whole export against the data contract: pure functions, no file access.

Every raw row ends in exactly one place: accepted, collapsed (an exact repeat of an accepted
row) or quarantined with the column at fault and a reason a clerk can act on.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.contract import TABLES, Table
from features.parse import Problem, parse_column
from features.rules import row_rule_problems
from stayout.errors import TableUnusableError

QUARANTINE_EXTRA_COLUMNS = ("row_number", "column", "reason")


@dataclass
class TableResult:
    """The outcome of validating one table."""

    name: str
    accepted: pd.DataFrame
    quarantined: pd.DataFrame
    read: int
    collapsed: int
    warnings: list[str] = field(default_factory=list)

    @property
    def reconciles(self) -> bool:
        return self.read == len(self.accepted) + self.collapsed + len(self.quarantined)


@dataclass
class ValidationResult:
    tables: dict[str, TableResult]

    def accepted(self) -> dict[str, pd.DataFrame]:
        return {name: result.accepted for name, result in self.tables.items()}

    def reconciliation(self) -> pd.DataFrame:
        rows = [
            {"table": r.name, "read": r.read, "accepted": len(r.accepted), "collapsed": r.collapsed,
             "quarantined": len(r.quarantined), "reconciles": r.reconciles}
            for r in self.tables.values()
        ]
        return pd.DataFrame(rows)


@dataclass
class _References:
    """Keys accepted so far, which later tables must reference."""

    values: dict[str, set] = field(default_factory=dict)

    def add(self, table: str, accepted: pd.DataFrame) -> None:
        for column in accepted.columns:
            self.values[f"{table}.{column}"] = set(accepted[column].dropna().unique())


def validate_tables(raw_tables: dict[str, pd.DataFrame], sources: dict[str, str] | None = None) -> ValidationResult:
    """Validate every contract table; raw frames are in file order with their original values."""
    sources = sources or {}
    references = _References()
    results: dict[str, TableResult] = {}
    for table in TABLES:
        raw = raw_tables.get(table.name)
        source = sources.get(table.name, table.name)
        if raw is None:
            raise TableUnusableError(table.name, source, "the table is missing from the export",
                                     f"add {table.name}.parquet or {table.name}.csv (a header row alone is fine)")
        result = validate_table(table, raw, references, source)
        references.add(table.name, result.accepted)
        results[table.name] = result
    return ValidationResult(results)


def validate_table(table: Table, raw: pd.DataFrame, references: _References | None = None,
                   source: str | None = None) -> TableResult:
    """Validate one table; `references` holds the accepted keys of the tables it points to."""
    raw = raw.reset_index(drop=True)
    raw.index = pd.RangeIndex(1, len(raw) + 1, name="row_number")
    contract_raw, warnings = _contract_columns(table, raw, source or table.name)
    repeat = contract_raw.duplicated(keep="first").to_numpy().copy()
    parsed, problems = _parse_table(table, contract_raw)
    problems += row_rule_problems(table, parsed)
    problems += _reference_problems(table, parsed, references or _References())
    rejected = _any(problems, len(raw)) & ~repeat
    if table.kind != "measure":
        same_content = parsed.duplicated(keep="first").to_numpy() & ~rejected & ~repeat
        repeat |= same_content
        conflict = _key_conflicts(table, parsed, ~rejected & ~repeat)
        problems += conflict
        rejected |= _any(conflict, len(raw))
    keep = ~rejected & ~repeat
    accepted = _finalize_dtypes(table, parsed[keep]).reset_index(drop=True)
    quarantined = _quarantine_frame(raw, rejected, problems)
    return TableResult(table.name, accepted, quarantined, read=len(raw), collapsed=int(repeat.sum()),
                       warnings=warnings)


def _contract_columns(table: Table, raw: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[str]]:
    present = set(raw.columns)
    warnings = []
    for column in table.columns:
        if column.name not in present and not column.nullable:
            raise TableUnusableError(table.name, source, f"required column {column.name} is missing",
                                     f"add the column {column.name} ({column.kind}) with the header spelled exactly so",
                                     column=column.name)
    extra = [c for c in raw.columns if c not in table.column_names]
    if extra:
        warnings.append(f"{table.name}: extra columns ignored: {', '.join(map(str, extra))}")
    frame = pd.DataFrame(index=raw.index)
    for column in table.columns:
        frame[column.name] = raw[column.name] if column.name in present else pd.Series(None, index=raw.index,
                                                                                        dtype=object)
    return frame, warnings


def _parse_table(table: Table, raw: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    parsed = {}
    problems: list[Problem] = []
    for column in table.columns:
        parsed[column.name], column_problems = parse_column(raw[column.name], column)
        problems += column_problems
    return pd.DataFrame(parsed, index=raw.index), problems


def _reference_problems(table: Table, parsed: pd.DataFrame, references: _References) -> list[Problem]:
    problems = []
    for column in table.columns:
        if not column.references:
            continue
        target_table = column.references.split(".")[0]
        known = references.values.get(column.references, set())
        values = parsed[column.name]
        bad = (values.notna() & ~values.isin(known)).to_numpy()
        if bad.any():
            message = (f"{column.name} '" + values[bad].astype("str") + f"' is not an accepted {target_table} key "
                       f"(absent from {target_table} or quarantined there); add it to {target_table} or correct the id")
            problems.append(Problem(bad, column.name, message))
    return problems


def _key_conflicts(table: Table, parsed: pd.DataFrame, candidates: np.ndarray) -> list[Problem]:
    """Later rows whose key (and, for versions, recorded_at) repeats with different content."""
    key = list(table.key) + (["recorded_at"] if table.kind == "versioned" else [])
    subset = parsed.loc[candidates, key]
    later = subset.duplicated(keep="first")
    if not later.any():
        return []
    first_rows = subset.reset_index().groupby(key, sort=False, dropna=False)["row_number"].transform("first")
    first_rows.index = subset.index
    bad = np.zeros(len(parsed), dtype=bool)
    bad[parsed.index.get_indexer(later[later].index)] = True
    name = table.key[0] if len(table.key) == 1 else "+".join(table.key)
    what = "duplicate id with different content" if table.kind == "id" else \
        "same key and recorded_at as another version with different content"
    message = (f"{what}: {name} repeats row " + first_rows[later].astype("str")
               + "; a clerk must settle which row is right and re-export it")
    return [Problem(bad, name.replace("+", ";"), message)]


def _any(problems: list[Problem], n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for problem in problems:
        mask |= problem.mask
    return mask


def _quarantine_frame(raw: pd.DataFrame, rejected: np.ndarray, problems: list[Problem]) -> pd.DataFrame:
    out = raw[rejected].copy()
    columns = pd.Series("", index=out.index, dtype=object)
    reasons = pd.Series("", index=out.index, dtype=object)
    for problem in problems:
        hit = problem.mask[rejected]
        if not hit.any():
            continue
        index = out.index[hit]
        message = problem.message if isinstance(problem.message, str) else problem.message.reindex(index)
        sep_c = np.where(columns[index] == "", "", ";")
        sep_r = np.where(reasons[index] == "", "", "; ")
        columns[index] = columns[index] + sep_c + problem.column
        reasons[index] = reasons[index] + sep_r + message
    out["column"] = columns.map(_unique_columns) if len(out) else columns
    out["reason"] = reasons
    out = out.reset_index()
    return out[[*raw.columns, *QUARANTINE_EXTRA_COLUMNS]]


def _unique_columns(joined: str) -> str:
    return ";".join(dict.fromkeys(joined.split(";")))


def _finalize_dtypes(table: Table, accepted: pd.DataFrame) -> pd.DataFrame:
    """Non-null ints and bools become plain numpy dtypes once their rejected rows are gone."""
    out = accepted.copy()
    for column in table.columns:
        if column.nullable:
            continue
        if column.kind == "int":
            out[column.name] = out[column.name].astype("int64")
        elif column.kind == "bool":
            out[column.name] = out[column.name].astype(bool)
    return out
