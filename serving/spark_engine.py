"""The Spark engine of `stayout validate|features|score --engine spark`, for provinces beyond one machine.

The same pandas functions run, only placed by Spark (`serving.spark_groups` is what a task runs):

1. Each record table is read from the export's URI (`TABLE.parquet`, a file or a folder of parts
   in name order) with its row number in the table; every row is sent to the village of its
   household (the village of the household's last row; rows of unknown households go together
   and are quarantined there, as the pandas engine does).
2. The reference tables (`areas`, `monitoring_lines`) are read and validated on the driver, and
   the export-wide village facts (`features.facts`) are counted once over all villages; both are
   broadcast with the model.
3. One grouped pass per village validates its rows, builds the features and, for `score`, the
   scores; a second, per township, ranks the list and explains the households to explain.
4. The driver gathers the validation account (counts, quarantine, the input's fingerprint) and,
   for `score`, the township lists, and writes the same files as the pandas engine.

Exact equality with the pandas engine holds as long as every key that does not start with the
household (a person, an event, a case...) stays within one village, which the contract's records
do; a key that a dirty export repeats across villages is checked within each village only.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from features.contract import TABLES
from features.facts import REFERENCE_TABLES, Facts, village_shares
from features.fingerprint import combined_snapshot_hash, table_digest
from features.validate import TableResult, ValidationResult, _no_quarantine, validate_table
from serving import spark_groups as groups
from stayout.errors import InputError, TableUnusableError

log = logging.getLogger(__name__)

DEFAULT_MASTER = "local[2]"
FACT_TABLES = ("households", "members", "events", "cases")   # what village facts need (events point at members)
SETTINGS = {                     # the settings that matter; any can be overridden (`--spark-conf KEY=VALUE`)
    "spark.ui.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.shuffle.partitions": "8",       # village groups per shuffle partition: raise with the province
    "spark.sql.execution.arrow.maxRecordsPerBatch": "20000",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
    "spark.python.worker.reuse": "true",
}
LOCAL_SETTINGS = {"spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
                  "spark.driver.memory": "4g"}


def spark_session(master: str | None = None, conf: dict[str, str] | None = None):
    """A Spark session: `master` (default local[2], or what spark-submit set), offline, the settings above."""
    import warnings

    from pyspark.sql import SparkSession

    # pyspark 4.3 warns that pandas 3 is not fully supported; the engine's parity tests cover what it uses
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ          # started by spark-submit: its master and settings
    master = master or (None if submitted else DEFAULT_MASTER)
    local = master is not None and master.startswith("local")
    if local:          # the workers are this interpreter; on a cluster, spark.pyspark.python says which
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = SparkSession.builder.appName("stayout")
    if master:
        builder = builder.master(master)
    for key, value in {**SETTINGS, **(LOCAL_SETTINGS if local else {}), **(conf or {})}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def parse_conf(pairs: list[str] | None) -> dict[str, str]:
    out = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        if not sep or not key.startswith("spark."):
            raise InputError(f"--spark-conf {pair!r} is not a Spark setting; write it as spark.KEY=VALUE, for example "
                             "spark.sql.shuffle.partitions=400")
        out[key] = value
    return out


@dataclass
class SparkExport:
    """An export at a Spark-readable URI: each record table's raw rows, numbered, in one narrow frame."""

    spark: object
    uri: str
    tables: dict[str, object]                 # table -> Spark DataFrame of its raw rows with ROW
    sources: dict[str, str]
    exported_at: pd.Timestamp | None
    reference: dict[str, TableResult]         # validated on the driver
    parts: dict[str, tuple[str, ...]]         # each table's parquet files in name order

    @classmethod
    def open(cls, spark, uri: str) -> "SparkExport":
        from features.validate import _References

        uri = str(uri).rstrip("/")
        fs = _FileSystem(spark, uri)
        if not fs.is_dir(uri):
            raise TableUnusableError("*", uri, "the export folder does not exist",
                                     "give the folder that holds the twelve table files")
        exported_at = _exported_at(spark, fs, uri)
        tables, sources, reference, parts = {}, {}, {}, {}
        references = _References()
        for table in TABLES:
            path = f"{uri}/{table.name}.parquet"
            if not fs.exists(path):
                if fs.exists(f"{uri}/{table.name}.csv"):
                    raise TableUnusableError(table.name, f"{uri}/{table.name}.csv",
                                             "the Spark engine reads Parquet tables only",
                                             f"write {table.name} as {table.name}.parquet (a file or a folder of "
                                             "parts), or use --engine pandas")
                raise TableUnusableError(table.name, uri, "no file for this table",
                                         f"add {table.name}.parquet to the export (a folder of parts is fine)")
            sources[table.name] = path
            frame, parts[table.name] = _numbered(spark, fs, path, table.name)
            if table.name in REFERENCE_TABLES:
                result = validate_table(table, _collected(frame), references, path, exported_at)
                for warning in result.warnings:
                    log.warning(warning)
                references.add(table.name, result.accepted)
                reference[table.name] = result
                continue
            empty = _arrow_schema(frame.drop(groups.ROW).schema).empty_table()
            for warning in validate_table(table, empty, None, path).warnings:   # a missing column stops here
                log.warning(warning)
            tables[table.name] = frame
        return cls(spark, uri, tables, sources, exported_at, reference, parts)

    def grouped(self, names) -> tuple[object, groups.Layout]:
        """The rows of tables `names` in one frame of typed slots, each with its household's village."""
        from pyspark.sql import functions as F

        households = self.tables["households"]
        villages = (households.select(_household_key(households).alias("_key"), "village_code", groups.ROW)
                    .groupBy("_key").agg(F.max_by(F.col("village_code").cast("string"), F.col(groups.ROW))
                                         .alias(groups.GROUP)))
        slots: dict[str, str] = {}
        placed: dict[str, list[tuple[str, str, str]]] = {}
        for name in names:
            frame = self.tables[name]
            per_type: dict[str, int] = {}
            placed[name] = []
            for item in frame.schema.fields:
                if item.name == groups.ROW:
                    continue
                kind = item.dataType.simpleString()
                index = per_type.get(kind, 0)
                per_type[kind] = index + 1
                slot = f"{re.sub(r'[^0-9A-Za-z]+', '_', kind)}_{index}"
                slots[slot] = kind
                placed[name].append((item.name, slot, kind))
        parts = []
        for code, name in enumerate(names):
            frame = self.tables[name]
            mine = {slot: column for column, slot, _ in placed[name]}
            keyed = frame.withColumn("_key", _household_key(frame))
            joined = keyed.join(villages, on="_key", how="left")
            parts.append(joined.select(
                F.lit(code).cast("int").alias(groups.TABLE), F.col(groups.ROW), F.col(groups.GROUP),
                *[(F.col(f"`{mine[slot]}`") if slot in mine else F.lit(None).cast(kind)).alias(slot)
                  for slot, kind in slots.items()]))
        union = parts[0]
        for part in parts[1:]:
            union = union.unionByName(part)
        layout = groups.Layout(tuple(names), {name: tuple((c, s) for c, s, _ in placed[name]) for name in names},
                               {name: _arrow_schema(frame.drop(groups.ROW).schema)
                                for name, frame in self.tables.items()})
        return union, layout

    def accepted_reference(self) -> dict[str, pd.DataFrame]:
        return {name: result.accepted for name, result in self.reference.items()}


class _FileSystem:
    """Hadoop's file system of the URI, through Spark: whatever Spark reads, this can list."""

    def __init__(self, spark, uri: str):
        jvm = spark.sparkContext._jvm
        self._path = jvm.org.apache.hadoop.fs.Path
        self._fs = self._path(uri).getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())

    def exists(self, uri: str) -> bool:
        return bool(self._fs.exists(self._path(uri)))

    def is_dir(self, uri: str) -> bool:
        return self.exists(uri) and bool(self._fs.getFileStatus(self._path(uri)).isDirectory())

    def parts(self, uri: str) -> tuple[str, ...]:
        """A Parquet table's files in name order: itself, or a folder's parts (names starting with `_`
        or `.` are not parts, as with `features.read.parquet_parts`)."""
        if not self.is_dir(uri):
            return (uri.rsplit("/", 1)[-1],)
        names = sorted(str(status.getPath().getName()) for status in self._fs.listStatus(self._path(uri)))
        return tuple(name for name in names if not name.startswith(("_", ".")))


def _exported_at(spark, fs: _FileSystem, uri: str) -> pd.Timestamp | None:
    import json

    from features.read import exported_at_of

    path = f"{uri}/export.json"
    if not fs.exists(path):
        return None
    text = "".join(row.value for row in spark.read.text(path, wholetext=True).collect())
    try:
        info = json.loads(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        raise TableUnusableError("export.json", path, f"it is not JSON ({exc.msg})",
                                 'write it as {"exported_at": "2024-06-30T23:59:59"}') from exc
    return exported_at_of(info, path)


def _numbered(spark, fs: "_FileSystem", path: str, table: str):
    """The table's rows with ROW, their 0-based row number in the table: parts in name order, then
    row (a table of several parts is counted first, part by part)."""
    from pyspark.sql import functions as F

    parts = fs.parts(path)
    try:
        frame = spark.read.parquet(path)
        row = F.col("_metadata.row_index")
        if len(parts) > 1:
            name = F.element_at(F.split(F.col("_metadata.file_path"), "/"), -1)
            counts = dict(frame.groupBy(name.alias("name")).count().collect())
            offsets = np.cumsum([0] + [counts.get(part, 0) for part in parts])[:-1]
            row = F.create_map(*[F.lit(x) for part, offset in zip(parts, offsets)
                                 for x in (part, int(offset))])[name] + row
        numbered = frame.withColumn(groups.ROW, row.cast("long"))
    except Exception as exc:   # Spark raises many kinds; all mean the table cannot be read
        raise TableUnusableError(table, path, f"Spark cannot read it ({type(exc).__name__}: {str(exc)[:300]})",
                                 "export the table again as Parquet") from exc
    return numbered, parts


def _collected(frame) -> pa.Table:
    """A small table's raw rows on the driver, in file order."""
    ordered = frame.orderBy(groups.ROW)
    table = ordered.toArrow()
    return table.drop_columns([groups.ROW])


def _household_key(frame):
    from pyspark.sql import functions as F

    return F.trim(F.col("household_id").cast("string"))


def _arrow_schema(schema) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(schema)


# --- the jobs -------------------------------------------------------------------------------------------------


@dataclass
class Account:
    """What validation did to the whole export, gathered from the groups."""

    validation: ValidationResult
    households: int
    snapshot: str


def village_facts(export: SparkExport, dates: list[pd.Timestamp]) -> Facts:
    """The export-wide village facts at `dates`, counted over all villages at once."""
    from pyspark.sql import functions as F

    frame, layout = export.grouped(FACT_TABLES)
    schema = _spark_schema(pa.schema([("village_code", pa.string()), ("as_of", pa.timestamp("us")),
                                      ("disaster", pa.bool_()), ("case", pa.bool_())]))
    context = groups.GroupContext(layout, export.sources, export.exported_at, export.accepted_reference(),
                                  tuple(dates), output=_arrow_schema(schema))
    shared = export.spark.sparkContext.broadcast(context)
    hits = frame.groupBy(groups.GROUP).applyInArrow(lambda t: groups.village_facts(t, shared.value), schema)
    counts = (hits.groupBy("village_code", "as_of")
              .agg(F.count(F.lit(1)).alias("village_households"),
                   F.sum(F.col("disaster").cast("long")).alias("disaster_households"),
                   F.sum(F.col("case").cast("long")).alias("case_households"))
              .toPandas())
    counts["as_of"] = counts["as_of"].astype("datetime64[us]")
    counts["village_code"] = counts["village_code"].astype("str")
    reference = export.accepted_reference()
    return Facts(reference["areas"], reference["monitoring_lines"], village_shares(counts))


def features_frame(export: SparkExport, dates: list[pd.Timestamp], scoring: groups.ScoringContext | None = None,
                   with_features: bool = True, facts: Facts | None = None):
    """The grouped pass: a Spark frame of household rows (features, scores) and per-group accounts, persisted."""
    from pyspark import StorageLevel

    from features.build import empty_features

    if facts is None and dates and with_features:
        facts = village_facts(export, dates)
    frame, layout = export.grouped(tuple(name for name in export.tables))
    columns = pa.Schema.from_pandas(empty_features(), preserve_index=False)
    fields = [pa.field(groups.KIND, pa.string())] + [pa.field(f.name, f.type) for f in columns]
    if scoring is not None:
        fields += [pa.field(n, t) for n, t in groups.SCORE_COLUMNS]
    fields += [pa.field(n, t) for n, t in groups.SIDE_COLUMNS]
    schema = _spark_schema(pa.schema(fields))
    context = groups.GroupContext(layout, export.sources, export.exported_at, export.accepted_reference(),
                                  tuple(dates) if with_features else (), facts, scoring, _arrow_schema(schema))
    shared = export.spark.sparkContext.broadcast(context)
    out = frame.groupBy(groups.GROUP).applyInArrow(lambda t: groups.group_features(t, shared.value), schema)
    return out.persist(StorageLevel.MEMORY_AND_DISK)


def household_rows(out):
    from pyspark.sql import functions as F

    return out.filter(F.col(groups.KIND) == "row").drop(groups.KIND, *[n for n, _ in groups.SIDE_COLUMNS])


def account(export: SparkExport, out) -> Account:
    """The validation account of the whole export from the groups' side rows (and the reference tables)."""
    from pyspark.sql import functions as F

    side = out.filter(F.col(groups.KIND) == "table").select(*[n for n, _ in groups.SIDE_COLUMNS]).toPandas()
    results, digests = {}, {}
    households = 0
    for table in TABLES:
        if table.name in export.reference:
            result = export.reference[table.name]
            results[table.name] = result
            digests[table.name] = [table_digest(result.accepted)]
            continue
        rows = side[side["side_table"] == table.name]
        quarantined = [groups.from_ipc(bytes(b)) for b in rows["side_quarantine"] if b is not None]
        frame = (pd.concat(quarantined, ignore_index=True).sort_values("row_number", kind="stable")
                 .reset_index(drop=True) if quarantined else _no_quarantine(table.column_names))
        results[table.name] = TableResult(table.name, pd.DataFrame(), frame, read=int(rows["side_read"].sum()),
                                          collapsed=int(rows["side_collapsed"].sum()),
                                          accepted_count=int(rows["side_accepted"].sum()))
        digests[table.name] = [(int(r), int(s)) for r, s in zip(rows["side_digest_rows"], rows["side_digest_sum"])]
        if table.name == "households":
            households = int(rows["side_households"].sum())
    validation = ValidationResult(results)
    for result in results.values():
        if not result.reconciles:
            raise RuntimeError(f"{result.name}: {result.read} rows read, {result.n_accepted} accepted, "
                               f"{result.collapsed} collapsed, {len(result.quarantined)} quarantined do not add up")
    return Account(validation, households, combined_snapshot_hash(digests))


def _spark_schema(schema: pa.Schema):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema, prefer_timestamp_ntz=True)


def collect_pandas(frame) -> pd.DataFrame:
    """A Spark frame on the driver, through Arrow."""
    return frame.toArrow().to_pandas()



# --- the commands ---------------------------------------------------------------------------------------------


def validate_export(spark, uri: str) -> Account:
    """`stayout validate --engine spark`: the grouped pass without features."""
    export = SparkExport.open(spark, uri)
    out = features_frame(export, [], with_features=False)
    try:
        return account(export, out)
    finally:
        out.unpersist()


def write_features(spark, uri: str, dates: list[pd.Timestamp], out_uri: str) -> tuple[Account, int, int]:
    """`stayout features --engine spark`: the features of every date's cohort into a Parquet folder at
    `out_uri`; returns the account, the rows and the households written."""
    from pyspark.sql import functions as F

    export = SparkExport.open(spark, uri)
    out = features_frame(export, dates)
    try:
        rows = household_rows(out)
        rows.write.mode("overwrite").parquet(out_uri)
        written = rows.agg(F.count(F.lit(1)).alias("rows"), F.countDistinct("household_id").alias("households")) \
            .collect()[0]
        return account(export, out), int(written["rows"]), int(written["households"])
    finally:
        out.unpersist()


LIST_OUTPUT = (("household_id", pa.string()), ("village_code", pa.string()), ("as_of", pa.timestamp("us")),
               ("score", pa.float64()), ("band", pa.int64()), ("tier", pa.string()), ("township_code", pa.string()),
               ("county_code", pa.string()), ("rank_in_township", pa.int64()), ("flagged", pa.bool_()),
               ("explained", pa.bool_()), *[(name, pa.list_(pa.string())) for name in (
                   "reason_codes", "reason_families", "reasons_zh", "reasons_en", "measure_codes", "measures_zh",
                   "measures_en", "measures_received")], ("explanation_json", pa.string()))
REASON_COLUMNS = tuple(name for name, _ in LIST_OUTPUT[11:])


def score_export(spark, uri: str, model, settings, out_dir: Path, book, force: bool = False,
                 quarantine_dir: Path | None = None):
    """`stayout score --engine spark`: the same run folder, files and summary as `serving.batch.score_export`
    (no online store: that is filled by the pandas engine, which `/lookup` serves)."""
    from features.read import write_quarantine
    from serving import files
    from serving.batch import MARKER, OUTPUT_SCHEMA, RunResult, _claim, _Clock, run_folder
    from serving.outputs import InputAccount, write_outputs

    as_of = pd.Timestamp(settings.as_of)
    run_dir = run_folder(out_dir, as_of, model.version)
    if (run_dir / MARKER).exists() and not force:
        log.info("%s is a finished run; nothing to do (--force scores it again)", run_dir)
        return RunResult(run_dir, True, False, files.read_json(run_dir / "summary.json"))
    work = _claim(run_dir, resume=False, force=force)
    clock = _Clock()
    export = SparkExport.open(spark, uri)
    clock.lap("read_and_validate")
    meta = {"model": model.name, "model_version": model.version, "feature_schema": model.bundle.schema_version}
    scoring = groups.ScoringContext(model.bundle, book, settings.reasons, meta, settings.capacity,
                                    settings.explain_per_township, pa.schema(LIST_OUTPUT))
    facts = village_facts(export, [as_of])
    clock.lap("facts")
    out = features_frame(export, [as_of], scoring, facts=facts)
    try:
        found = account(export, out)           # runs the village pass (validation, features, scores)
        clock.lap("features_and_scores")
        shared = spark.sparkContext.broadcast(scoring)
        scored = household_rows(out)
        lists_frame = scored.groupBy("township_code").applyInArrow(
            lambda t: groups.township_lists(t, shared.value), _spark_schema(pa.schema(LIST_OUTPUT)))
        lists = collect_pandas(lists_frame)
        clock.lap("lists_and_reasons")
    finally:
        out.unpersist()
    lists["household_id"] = lists["household_id"].astype("str")
    explained = lists[lists["explained"]]
    reasons = explained[["household_id", *REASON_COLUMNS]].reset_index(drop=True)
    lists = lists.drop(columns=list(REASON_COLUMNS)).sort_values(["township_code", "rank_in_township"]) \
        .reset_index(drop=True)
    manifest = {"output_schema": OUTPUT_SCHEMA, "as_of": f"{as_of:%Y-%m-%d}", "model": model.name,
                "model_version": model.version, "feature_schema": model.bundle.schema_version,
                "input_snapshot": found.snapshot, "capacity": settings.capacity,
                "explain_per_township": settings.explain_per_township,
                "chunk_households": settings.chunk_households, "reasons": asdict(settings.reasons)}
    if quarantine_dir is not None:
        write_quarantine(found.validation, Path(quarantine_dir))
    summary = write_outputs(run_dir, InputAccount(found.validation, found.households), manifest, lists, [reasons],
                            settings)
    clock.lap("outputs")
    files.write_json(run_dir / MARKER, {**manifest, "engine": "spark",
                                        "finished_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                                        "households_scored": summary["reconciliation"]["scored"],
                                        "seconds_this_session": clock.laps,
                                        "spark_partitions": int(spark.conf.get("spark.sql.shuffle.partitions"))})
    shutil.rmtree(work, ignore_errors=True)
    return RunResult(run_dir, True, True, summary)
