"""Messy rows, as real exports have them, each listed with what the product must do with it.

Every dirty row is derived from a clean row and placed after it in the file. Kinds:
- `exact_repeat`: the row again, unchanged -> collapsed;
- `source_conflict` (income, expenditures): a self_report row disagreeing on the amount of a
  department or survey row -> resolved by precedence, the clean row wins;
- `chinese_label`: a code written as its Chinese label -> accepted and mapped;
- `bad_code`, `negative_amount`, `unknown_household`, `recorded_before_event`,
  `duplicate_id_conflict` -> quarantined.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import TABLES_BY_NAME, Table

QUARANTINED_KINDS = ("bad_code", "negative_amount", "unknown_household", "recorded_before_event",
                     "duplicate_id_conflict")
# Tables whose keys others reference stay free of rejectable dirt, so no cascade is planted by accident.
REFERENCED_TABLES = ("areas", "monitoring_lines", "households", "members")


@dataclass
class DirtyTable:
    frame: pd.DataFrame          # clean and dirty rows in file order
    entries: list[dict]          # manifest entries, row numbers 1-based in `frame`


def applicable_kinds(table: Table) -> list[str]:
    kinds = ["exact_repeat"]
    if any(code.zh for column in table.columns for code in column.codes):
        kinds.append("chinese_label")
    if table.name in REFERENCED_TABLES:
        return kinds
    if table.kind == "measure":
        kinds.append("source_conflict")
    if _code_columns(table):
        kinds.append("bad_code")
    if _money_columns(table):
        kinds.append("negative_amount")
    kinds += ["unknown_household", "recorded_before_event"]
    if table.kind == "id":
        kinds.append("duplicate_id_conflict")
    return kinds


def make_dirty(table_name: str, clean: pd.DataFrame, dirty_rate: float, rng: np.random.Generator) -> DirtyTable:
    """Add about `dirty_rate * len(clean)` dirty rows to `clean` (never modified)."""
    table = TABLES_BY_NAME[table_name]
    n_dirty = int(round(dirty_rate * len(clean)))
    if n_dirty == 0 or len(clean) == 0:
        return DirtyTable(clean.reset_index(drop=True), [])
    kinds = applicable_kinds(table)
    sources = rng.choice(len(clean), size=min(n_dirty, len(clean)), replace=False)
    base = clean.reset_index(drop=True).copy()
    rows, notes, relabelled = [], [], []
    for i, source_row in enumerate(sources):
        kind = kinds[i % len(kinds)]
        if kind == "chinese_label":
            column = _write_chinese_label(table, base, int(source_row))
            if column:
                relabelled.append({"kind": kind, "position": int(source_row), "expect": "accepted", "column": column})
            continue
        row, note = _DIRT[kind](table, base.iloc[[int(source_row)]].copy(), rng)
        if row is not None:
            rows.append(row)
            notes.append({"kind": kind, "source_position": int(source_row), **note})
    return _interleave(base, rows, notes, relabelled, rng)


def _write_chinese_label(table: Table, frame: pd.DataFrame, position: int) -> str | None:
    """Write the first code of the row that has a Chinese label as that label, in place."""
    for column in table.columns:
        labelled = {c.code: c.zh for c in column.codes if c.zh}
        value = frame.at[position, column.name]
        if value in labelled:
            if isinstance(frame[column.name].dtype, pd.CategoricalDtype):
                frame[column.name] = frame[column.name].astype(object)
            frame.at[position, column.name] = labelled[value]
            return column.name
    return None


def _interleave(clean, rows, notes, relabelled, rng) -> DirtyTable:
    n = len(clean)
    clean_keys = np.arange(n, dtype=float)
    dirty_keys = np.array([note["source_position"] + 0.5 + rng.uniform(0, n - note["source_position"] - 0.5)
                           for note in notes])
    frame = pd.concat([clean, *rows], ignore_index=True) if rows else clean
    order = np.argsort(np.concatenate([clean_keys, dirty_keys]), kind="stable")
    frame = frame.iloc[order].reset_index(drop=True)
    new_row_number = np.empty(len(order), dtype=int)
    new_row_number[order] = np.arange(1, len(order) + 1)
    entries = []
    for i, note in enumerate(notes):
        source_position = note.pop("source_position")
        entries.append({"row_number": int(new_row_number[n + i]),
                        "source_row_number": int(new_row_number[source_position]), **note})
    for note in relabelled:
        position = note.pop("position")
        entries.append({"row_number": int(new_row_number[position]), **note})
    return DirtyTable(frame, sorted(entries, key=lambda e: e["row_number"]))


def _code_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.kind in ("code", "codelist")]


def _money_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.money]


def _exact_repeat(table, row, rng):
    return row, {"expect": "collapsed", "column": ""}


def _source_conflict(table, row, rng):
    if row["data_source"].iloc[0] == "self_report":
        return None, {}
    row["data_source"] = "self_report"
    row["amount_yuan"] = row["amount_yuan"] * rng.uniform(0.5, 1.5) + 100.0
    return row, {"expect": "resolved", "column": "data_source", "winner": "source_row"}


def _bad_code(table, row, rng):
    column = str(rng.choice(_code_columns(table)))
    row[column] = "unknown_" + column
    return row, {"expect": "quarantined", "column": column}


def _negative_amount(table, row, rng):
    column = str(rng.choice(_money_columns(table)))
    row[column] = -abs(float(row[column].fillna(100.0).iloc[0])) - 1.0
    return row, {"expect": "quarantined", "column": column}


def _unknown_household(table, row, rng):
    row["household_id"] = "UNKNOWN-" + str(row["household_id"].iloc[0])
    return row, {"expect": "quarantined", "column": "household_id"}


def _recorded_before_event(table, row, rng):
    event_date = pd.Timestamp(row[table.known_after].iloc[0])
    row["recorded_at"] = event_date - pd.Timedelta(days=int(rng.integers(1, 60)))
    return row, {"expect": "quarantined", "column": "recorded_at"}


def _duplicate_id_conflict(table, row, rng):
    id_column = table.key[0]
    changeable = [c.name for c in table.columns if c.kind in ("float", "int") and c.name != id_column
                  and c.min_value is None]
    if changeable:
        column = changeable[0]
        row[column] = row[column].fillna(0) + 7
    else:
        row["recorded_at"] = row["recorded_at"] + pd.Timedelta(days=1)
    return row, {"expect": "quarantined", "column": id_column}


_DIRT = {
    "exact_repeat": _exact_repeat,
    "source_conflict": _source_conflict,
    "bad_code": _bad_code,
    "negative_amount": _negative_amount,
    "unknown_household": _unknown_household,
    "recorded_before_event": _recorded_before_event,
    "duplicate_id_conflict": _duplicate_id_conflict,
}
