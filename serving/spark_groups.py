"""What each Spark task runs on its households: the pandas engine's own functions, on Arrow tables.

Spark hands a task one village's rows of every record table in one Arrow table, whose columns are
shared typed "slots" (`Layout`: a table's column sits in a slot of its type, so twelve tables
travel as one narrow frame). Here the rows are turned back into the contract's raw tables in file
order, validated by `features.validate.validate_tables` (the reference tables already accepted),
and the features built by `features.build.build_features` with the export-wide facts passed in;
scoring and explanation use the model bundle's own functions. So a household gets exactly what
the pandas engine gives it. Nothing here imports Spark: these functions run in Spark's Python
workers, and tests call them directly too.
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from features.build import build_features, empty_features
from features.facts import Facts, village_hits
from features.fingerprint import table_digest
from features.history import cohort, running_measures
from features.validate import ValidationResult, validate_tables
from models.lists import township_code

TABLE = "_table"          # the table a row comes from (its position in Layout.tables)
ROW = "_row"              # its 0-based row number in the table (parts in name order, then row)
GROUP = "_group"          # the village its household belongs to (null when the household is unknown)
KIND = "_kind"            # an output row is a household's ("row") or one table's account of a group ("table")
SIDE_COLUMNS = (("side_table", pa.string()), ("side_read", pa.int64()), ("side_accepted", pa.int64()),
                ("side_collapsed", pa.int64()), ("side_households", pa.int64()), ("side_digest_rows", pa.int64()),
                ("side_digest_sum", pa.string()), ("side_quarantine", pa.binary()))
SCORE_COLUMNS = (("village_code", pa.string()), ("township_code", pa.string()), ("score", pa.float64()),
                 ("band", pa.int64()), ("tier", pa.string()), ("received", pa.list_(pa.string())))


@dataclass(frozen=True)
class Layout:
    """Where each table's columns travel: table name by code, and per table (column, slot) pairs."""

    tables: tuple[str, ...]
    columns: dict[str, tuple[tuple[str, str], ...]]
    schemas: dict[str, pa.Schema]          # every record table's raw columns as Spark hands them over

    def code(self, table: str) -> int:
        return self.tables.index(table)


@dataclass(frozen=True)
class GroupContext:
    """What every task needs besides its rows, broadcast once."""

    layout: Layout
    sources: dict[str, str]
    exported_at: pd.Timestamp | None
    reference: dict[str, pd.DataFrame]     # areas and monitoring_lines, accepted on the driver
    dates: tuple[pd.Timestamp, ...] = ()
    facts: Facts | None = None
    scoring: object | None = None          # a ScoringContext when the task scores too
    output: pa.Schema | None = None        # the Arrow schema Spark expects back


@dataclass(frozen=True)
class ScoringContext:
    bundle: object
    book: object
    reasons: object
    meta: dict
    capacity: int
    explain_per_township: int
    lists_output: pa.Schema | None = field(default=None)


def raw_tables(group: pa.Table, layout: Layout) -> tuple[dict[str, pa.Table], dict[str, np.ndarray]]:
    """The group's rows of each table in file order, under their own column names, and their row numbers."""
    codes = group.column(TABLE).to_numpy()
    rows = group.column(ROW).to_numpy()
    tables, numbers = {}, {}
    for code, name in enumerate(layout.tables):
        at = np.flatnonzero(codes == code)
        at = at[np.argsort(rows[at], kind="stable")]
        taken = group.take(pa.array(at, pa.int64()))
        schema = layout.schemas[name]
        tables[name] = pa.table([taken.column(slot).cast(schema.field(column).type)
                                 for column, slot in layout.columns[name]], schema=schema)
        numbers[name] = rows[at]
    for name, schema in layout.schemas.items():     # the tables that do not travel are empty
        tables.setdefault(name, schema.empty_table())
    return tables, numbers


def validated(group: pa.Table, context: GroupContext) -> tuple[ValidationResult, dict[str, np.ndarray]]:
    tables, numbers = raw_tables(group, context.layout)
    result = validate_tables(tables, context.sources, context.exported_at, accepted=context.reference,
                             row_numbers={name: number + 1 for name, number in numbers.items()})
    return result, numbers


def side_rows(result: ValidationResult, numbers: dict[str, np.ndarray]) -> pd.DataFrame:
    """Per record table of the group: rows read, accepted, collapsed, households, the accepted rows'
    digest (parts add up) and the quarantined rows (row numbers the table's own) as Arrow IPC."""
    out = []
    for name, number in numbers.items():
        table = result.tables[name]
        rows, total = table_digest(table.accepted)
        quarantined = table.quarantined
        if len(quarantined):
            quarantined = quarantined.copy()
            quarantined["row_number"] = number[quarantined["row_number"].to_numpy(dtype=np.int64) - 1] + 1
        households = table.accepted["household_id"].nunique() if name == "households" else 0
        out.append({"side_table": name, "side_read": table.read, "side_accepted": table.n_accepted,
                    "side_collapsed": table.collapsed, "side_households": int(households),
                    "side_digest_rows": rows, "side_digest_sum": str(total),
                    "side_quarantine": to_ipc(quarantined) if len(quarantined) else None})
    return pd.DataFrame(out)


def village_facts(group: pa.Table, context: GroupContext) -> pa.Table:
    """Per existing household of the group and as-of date: the village it is in then and whether it
    had a recent disaster or case (`features.facts.village_hits`), for the export-wide counts."""
    result, _ = validated(group, context)
    tables = result.accepted()
    frames = [village_hits(tables, as_of) for as_of in context.dates]
    hits = pd.concat(frames, ignore_index=True) if frames else village_hits(tables, pd.Timestamp("1970-01-01")).head(0)
    return pa.Table.from_pandas(hits, schema=context.output, preserve_index=False)


def group_features(group: pa.Table, context: GroupContext) -> pa.Table:
    """The group's validation account and the features (and, when scoring, the scores) of its cohort."""
    result, numbers = validated(group, context)
    tables = result.accepted()
    side = side_rows(result, numbers)
    if context.dates:
        features = build_features(tables, context.dates, facts=context.facts)
    else:
        features = empty_features()
    if context.scoring is not None:
        features = scored(features, tables, context)
    rows = features.assign(**{KIND: "row"})
    side = side.assign(**{KIND: "table"})
    return pa.concat_tables([_as_output(rows, context.output), _as_output(side, context.output)])


def scored(features: pd.DataFrame, tables: dict[str, pd.DataFrame], context: GroupContext) -> pd.DataFrame:
    """The features with village, township, score, band, tier and the measures running at the date."""
    from serving.batch import score_rows

    as_of = context.dates[0]
    households = cohort(tables["households"], tables["cases"], as_of)
    village = households.set_index(households["household_id"].astype("str"))["village_code"].astype("str")
    out = score_rows(features, village, context.scoring.bundle)
    out.insert(2, "township_code", township_code(out["village_code"]).to_numpy())
    running = running_measures(tables["assistance"], as_of)
    out["received"] = pd.Series([sorted(running.get(h, ())) for h in out["household_id"]], index=out.index,
                                dtype=object)
    return out


def township_lists(group: pa.Table, scoring: ScoringContext) -> pa.Table:
    """One township's list: ranks, flags and the reasons and measures of its households to explain."""
    from serving.batch import explain_rows, rank_lists

    rows = group.to_pandas()
    rows["household_id"] = rows["household_id"].astype("str")
    rows["village_code"] = rows["village_code"].astype("str")
    rows["as_of"] = rows["as_of"].astype("datetime64[us]")
    lists = rank_lists(rows[["household_id", "village_code", "as_of", "score", "band", "tier"]],
                       scoring.capacity, scoring.explain_per_township)
    chosen = rows[rows["household_id"].isin(lists.loc[lists["explained"], "household_id"])].reset_index(drop=True)
    received = {h: set(codes) for h, codes in zip(chosen["household_id"], chosen["received"])}
    reasons = explain_rows(scoring.bundle, chosen.drop(columns=["received", "township_code"]), received, scoring.book,
                           scoring.reasons, scoring.meta)
    out = lists.merge(reasons, on="household_id", how="left", validate="one_to_one")
    return _as_output(out, scoring.lists_output)


def to_ipc(frame: pd.DataFrame) -> bytes:
    sink = io.BytesIO()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def from_ipc(data: bytes) -> pd.DataFrame:
    return pa.ipc.open_stream(data).read_all().to_pandas()


def _as_output(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """`frame` in the output schema: its columns converted, the others null."""
    present = [item for item in schema if item.name in frame.columns]
    table = pa.Table.from_pandas(frame[[item.name for item in present]], schema=pa.schema(present),
                                 preserve_index=False)
    return pa.table([table.column(item.name) if item.name in frame.columns else pa.nulls(len(frame), item.type)
                     for item in schema], schema=schema)
