"""Messy rows, as real exports have them, each listed with what the product must do with it.

Every dirty row is derived from a clean row and placed after it in the file. Kinds:
- `exact_repeat`: the row again, unchanged -> collapsed;
- `source_conflict` (income, expenditures): a self_report row disagreeing on the amount of a
  department or survey row -> resolved by precedence, the clean row wins;
- `chinese_label`: a clean row's code written as its Chinese label, in place -> accepted, mapped;
- `bad_code`, `negative_amount`, `unknown_household`, `recorded_before_event`,
  `duplicate_id_conflict` -> quarantined.
Each kind is made for all its rows at once (vectorized), never row by row.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import TABLES_BY_NAME, Table

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
    base = clean.reset_index(drop=True)
    n_dirty = min(int(round(dirty_rate * len(base))), len(base))
    if n_dirty == 0:
        return DirtyTable(base, [])
    kinds = applicable_kinds(table)
    sources = rng.choice(len(base), size=n_dirty, replace=False)
    planned = np.array(kinds)[np.arange(n_dirty) % len(kinds)]
    entries: list[dict] = []
    if "chinese_label" in kinds:
        base, entries = _write_chinese_labels(table, base, sources[planned == "chinese_label"])
    batches = []
    for kind in kinds:
        positions = sources[planned == kind]
        if kind == "chinese_label" or not len(positions):
            continue
        rows, positions, note = _DIRT[kind](table, base.iloc[positions].copy(), positions, rng)
        if len(rows):
            batches.append((rows.reset_index(drop=True), positions, kind, note))
    return _interleave(base, batches, entries, rng)


def _write_chinese_labels(table: Table, frame: pd.DataFrame, positions: np.ndarray) -> tuple[pd.DataFrame, list]:
    """Write, in place of each chosen row's first labelled code, its Chinese label."""
    frame = frame.copy(deep=False)  # copy-on-write: only relabelled columns are copied
    entries = []
    pending = np.asarray(positions)
    for column in table.columns:
        labelled = {c.code: c.zh for c in column.codes if c.zh}
        if not labelled or not len(pending):
            continue
        series = frame[column.name]
        if isinstance(series.dtype, pd.CategoricalDtype):
            series = series.astype("str")
        current = series.iloc[pending].astype("str").to_numpy()
        hit = np.isin(current, list(labelled))
        chosen = pending[hit]
        if len(chosen):
            series = series.copy()
            series.iloc[chosen] = [labelled[v] for v in current[hit]]
            frame[column.name] = series
            entries += [{"row": int(p), "kind": "chinese_label", "expect": "accepted", "column": column.name}
                        for p in chosen]
        pending = pending[~hit]
    return frame, entries


def _interleave(clean: pd.DataFrame, batches: list, entries: list[dict], rng) -> DirtyTable:
    """Place each dirty row somewhere after its source row; number every row as the file will."""
    n = len(clean)
    sources = np.concatenate([positions for _, positions, _, _ in batches]) if batches else np.zeros(0, int)
    dirty_keys = sources + 0.5 + rng.uniform(0, 1, len(sources)) * (n - sources - 0.5)
    order = np.argsort(np.concatenate([np.arange(n, dtype=float), dirty_keys]), kind="stable")
    dirty = pd.concat([rows for rows, _, _, _ in batches], ignore_index=True) if batches else clean.iloc[:0]
    frame = pd.DataFrame({name: _interleaved_column(clean[name], dirty[name], order) for name in clean.columns})
    row_number = np.empty(len(order), dtype=int)
    row_number[order] = np.arange(1, len(order) + 1)
    out = [{**{k: v for k, v in e.items() if k != "row"}, "row_number": int(row_number[e["row"]])} for e in entries]
    offset = n
    for rows, positions, kind, note in batches:
        for i, source in enumerate(positions):
            out.append({"row_number": int(row_number[offset + i]), "source_row_number": int(row_number[source]),
                        "kind": kind, **{k: (v[i] if isinstance(v, list) else v) for k, v in note.items()}})
        offset += len(rows)
    return DirtyTable(frame, sorted(out, key=lambda e: e["row_number"]))


def _interleaved_column(clean: pd.Series, dirty: pd.Series, order: np.ndarray) -> pd.Series:
    """One column of the file: clean and dirty values in file order. Column by column, so that a
    large table is copied once rather than concatenated and then reordered whole."""
    return pd.concat([clean, dirty], ignore_index=True).take(order).reset_index(drop=True)


def _code_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.kind in ("code", "codelist")]


def _money_columns(table: Table) -> list[str]:
    return [c.name for c in table.columns if c.money]


def _exact_repeat(table, rows, positions, rng):
    return rows, positions, {"expect": "collapsed", "column": ""}


def _source_conflict(table, rows, positions, rng):
    keep = (rows["data_source"].astype("str") != "self_report").to_numpy()
    rows, positions = rows[keep], positions[keep]
    rows["data_source"] = "self_report"
    rows["amount_yuan"] = rows["amount_yuan"] * rng.uniform(0.5, 1.5, len(rows)) + 100.0
    return rows, positions, {"expect": "resolved", "column": "data_source"}


def _bad_code(table, rows, positions, rng):
    chosen = np.array(_code_columns(table))[rng.integers(0, len(_code_columns(table)), len(rows))]
    for column in set(chosen):
        values = rows[column].astype(object).to_numpy().copy()
        values[chosen == column] = "unknown_" + column
        rows[column] = values
    return rows, positions, {"expect": "quarantined", "column": chosen.tolist()}


def _negative_amount(table, rows, positions, rng):
    chosen = np.array(_money_columns(table))[rng.integers(0, len(_money_columns(table)), len(rows))]
    for column in set(chosen):
        values = rows[column].astype(float).fillna(100.0).to_numpy()
        rows[column] = np.where(chosen == column, -np.abs(values) - 1.0, rows[column].to_numpy(dtype=float))
    return rows, positions, {"expect": "quarantined", "column": chosen.tolist()}


def _unknown_household(table, rows, positions, rng):
    rows["household_id"] = "UNKNOWN-" + rows["household_id"].astype("str")
    return rows, positions, {"expect": "quarantined", "column": "household_id"}


def _recorded_before_event(table, rows, positions, rng):
    days = pd.to_timedelta(rng.integers(1, 60, len(rows)), unit="D")
    rows["recorded_at"] = pd.to_datetime(rows[table.known_after]) - days
    return rows, positions, {"expect": "quarantined", "column": "recorded_at"}


def _duplicate_id_conflict(table, rows, positions, rng):
    id_column = table.key[0]
    changeable = [c.name for c in table.columns if c.kind in ("float", "int") and c.name != id_column
                  and c.min_value is None]
    if changeable:
        rows[changeable[0]] = rows[changeable[0]].fillna(0) + 7
    else:
        rows["recorded_at"] = rows["recorded_at"] + pd.Timedelta(hours=1)   # same day: never after the export
    return rows, positions, {"expect": "quarantined", "column": id_column}


_DIRT = {
    "exact_repeat": _exact_repeat,
    "source_conflict": _source_conflict,
    "bad_code": _bad_code,
    "negative_amount": _negative_amount,
    "unknown_household": _unknown_household,
    "recorded_before_event": _recorded_before_event,
    "duplicate_id_conflict": _duplicate_id_conflict,
}
