"""Reading an export too big to hold whole: the monthly tables go to disk in parts of households.

`income` and `expenditures` hold nearly all the rows of an export (about 120 and 35 per household
over four years) and every check on them stays within one household: their key starts with the
household, and their references point at the households table. They are therefore streamed a
batch at a time, each row sent to the part of its household (consecutive households in id
order, `part_size` of them), and validated part by part; the other tables are read and validated
whole, as `read_export` does. Memory is bounded by the whole tables plus one part.

The result is what `read_export` gives, part by part: the same accepted rows in the same order
within a household, the same quarantine (row numbers are the file's), the same reconciliation.
A CSV monthly table is streamed as text, so its quarantine shows the file's own text.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from features.contract import TABLES, TABLES_BY_NAME
from features.fingerprint import combined_snapshot_hash, table_digest
from features.parse import parse_column
from features.partition import Partition
from features.read import (_csv_header, _convert_options, _readable, is_csv, original_text_result, parquet_parts,
                           read_exported_at, read_raw_table, table_path)
from features.timeline import HouseholdIndex
from features.validate import TableResult, ValidationResult, _References, validate_table
from stayout.errors import TableUnusableError

log = logging.getLogger(__name__)

PARTED_TABLES = ("income", "expenditures")
ROW_NUMBER = "_row_number"
BATCH_ROWS = 2_000_000
SPILL_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


@dataclass
class PartedExport:
    """A validated export whose monthly tables live on disk in parts of households."""

    data_dir: Path
    exported_at: pd.Timestamp | None
    whole: dict[str, pd.DataFrame]            # every table but the parted ones, accepted rows
    validation: ValidationResult              # every table; a parted table's `accepted` is left empty
    partition: Partition                      # the whole tables split by the same parts
    folder: Path                              # accepted parts: <folder>/<table>/part-NNNNN.arrow
    part_digests: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    @property
    def snapshot(self) -> str:
        """The input's fingerprint, equal to `data_snapshot_hash` of the tables read whole."""
        digests = {name: [table_digest(frame)] for name, frame in self.whole.items()}
        return combined_snapshot_hash({**digests, **self.part_digests})

    def __len__(self) -> int:
        return len(self.partition)

    def ids(self, part: int) -> pd.Index:
        return self.partition.ids(part)

    def part_tables(self, part: int) -> dict[str, pd.DataFrame]:
        """All twelve tables of the households of `part` (reference tables whole)."""
        tables = self.partition.part_tables(part)
        for name in PARTED_TABLES:
            tables[name] = read_arrow(self.folder / name / f"part-{part:05d}.arrow")
        return tables

    def reference_tables(self) -> dict[str, pd.DataFrame]:
        """The whole tables, with the parted ones empty (for what needs no monthly rows)."""
        return {**self.whole, **{name: self.validation.tables[name].accepted for name in PARTED_TABLES}}


def read_export_in_parts(data_dir: str | Path, folder: Path, part_size: int,
                         quarantine_dir: Path | None = None) -> PartedExport:
    data_dir, folder = Path(data_dir), Path(folder)
    if not data_dir.is_dir():
        raise TableUnusableError("*", str(data_dir), "the export folder does not exist",
                                 "give the folder that holds the twelve table files")
    exported_at = read_exported_at(data_dir)
    references = _References()
    results: dict[str, TableResult] = {}
    whole: dict[str, pd.DataFrame] = {}
    ids: list[str] | None = None
    digests: dict[str, list[tuple[int, int]]] = {}
    for table in TABLES:
        path = table_path(data_dir, table.name)
        if table.name in PARTED_TABLES:
            ids = ids if ids is not None else _sorted_ids(whole["households"])
            results[table.name], digests[table.name] = _validate_in_parts(
                table, path, references, exported_at, ids, part_size, folder / table.name)
            continue
        raw = read_raw_table(path, table.name)
        result = original_text_result(validate_table(table, raw, references, str(path), exported_at), path)
        del raw
        for warning in result.warnings:
            log.warning(warning)
        references.add(table.name, result.accepted)
        results[table.name] = result
        whole[table.name] = result.accepted
    partition = Partition(whole, ids if ids is not None else _sorted_ids(whole["households"]), part_size)
    validation = ValidationResult({t.name: results[t.name] for t in TABLES})
    if quarantine_dir is not None:
        from features.read import write_quarantine

        write_quarantine(validation, Path(quarantine_dir))
    return PartedExport(data_dir, exported_at, whole, validation, partition, folder, digests)


def _sorted_ids(households: pd.DataFrame) -> list[str]:
    return sorted(pd.unique(households["household_id"].astype("str")))


def _validate_in_parts(table, path: Path, references: _References, exported_at, ids: list[str], part_size: int,
                       out: Path) -> tuple[TableResult, list[tuple[int, int]]]:
    """Spill the raw rows to their households' parts, then validate and keep each part."""
    spill = out / "_raw"
    spill.mkdir(parents=True, exist_ok=True)
    index = HouseholdIndex(pd.Index(pd.Series(ids, dtype="str")))
    parts = -(-len(ids) // part_size)
    writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
    schema = None
    read = 0
    try:
        for batch in _raw_batches(path, table.name):
            if schema is None:
                schema = batch.schema.append(pa.field(ROW_NUMBER, pa.int64()))
            position = _household_positions(batch, index, table.name)
            part = np.where(position >= 0, position // part_size, 0)
            numbered = batch.append_column(ROW_NUMBER, pa.array(np.arange(read, read + batch.num_rows), pa.int64()))
            order = np.argsort(part, kind="stable")
            bounds = np.searchsorted(part[order], np.arange(parts + 1))
            for k in np.unique(part):
                rows = numbered.take(pa.array(order[bounds[k]:bounds[k + 1]]))
                if k not in writers:
                    writers[k] = pa.ipc.new_file(spill / f"part-{k:05d}.arrow", schema, options=SPILL_OPTIONS)
                writers[k].write_table(rows.cast(schema))
            read += batch.num_rows
    finally:
        for writer in writers.values():
            writer.close()
    accepted_rows = collapsed = 0
    digests: list[tuple[int, int]] = []
    quarantined, warnings = [], []
    for k in range(parts):
        raw_path = spill / f"part-{k:05d}.arrow"
        raw = _read_ipc(raw_path) if raw_path.exists() else _empty_raw(schema, table.name)
        numbers = raw.column(ROW_NUMBER).to_numpy()
        raw = raw.drop_columns([ROW_NUMBER])
        result = validate_table(table, raw, references, str(path), exported_at, numbers + 1)
        warnings = warnings or result.warnings
        write_arrow(out / f"part-{k:05d}.arrow", result.accepted)
        digests.append(table_digest(result.accepted))
        accepted_rows += len(result.accepted)
        collapsed += result.collapsed
        if len(result.quarantined):
            rejected = result.quarantined.copy()
            rejected["row_number"] = numbers[rejected["row_number"].to_numpy(dtype=np.int64) - 1] + 1
            quarantined.append(rejected)
        raw_path.unlink(missing_ok=True)
    spill.rmdir()
    for warning in warnings:
        log.warning(warning)
    columns = None if not quarantined else quarantined[0].columns
    frame = pd.concat(quarantined, ignore_index=True).sort_values("row_number", kind="stable").reset_index(
        drop=True)[columns] if quarantined else _empty_quarantine(table)
    empty = read_arrow(out / "part-00000.arrow").head(0) if parts else pd.DataFrame()
    result = TableResult(table.name, empty, frame, read=read, collapsed=collapsed, warnings=warnings,
                         accepted_count=accepted_rows)
    if result.read != accepted_rows + collapsed + len(frame):
        raise RuntimeError(f"{table.name}: {read} rows read, {accepted_rows} accepted, {collapsed} collapsed, "
                           f"{len(frame)} quarantined do not add up")
    return result, digests


def write_arrow(path: Path, frame: pd.DataFrame) -> None:
    """A frame to an Arrow IPC file (lz4): several times faster than Parquet to write and read back."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    with pa.ipc.new_file(path, table.schema, options=SPILL_OPTIONS) as writer:
        writer.write_table(table)


def read_arrow(path: Path) -> pd.DataFrame:
    return _read_ipc(path).to_pandas()


def _read_ipc(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


def _household_positions(batch: pa.Table, index: HouseholdIndex, table: str) -> np.ndarray:
    """Each row's household among the accepted ones (-1 when none): looked up as written, and for
    the rows not found so, as validation will read the value (trimmed, canonical)."""
    if "household_id" not in batch.column_names:
        return np.full(batch.num_rows, -1, dtype=np.int64)
    raw = batch.column("household_id")
    as_text = raw if pa.types.is_string(raw.type) or pa.types.is_large_string(raw.type) else raw.cast(pa.string())
    position = index.codes(pd.Series(as_text.to_pandas(types_mapper=pd.ArrowDtype), dtype="str").fillna(""))
    missing = np.flatnonzero(position < 0)
    if len(missing):
        values, _ = parse_column(raw.take(pa.array(missing)), TABLES_BY_NAME[table].column("household_id"))
        position[missing] = index.codes(values.astype("str").fillna(""))
    return position


def _raw_batches(path: Path, table: str) -> Iterator[pa.Table]:
    """The file's rows in file order, a batch at a time: Parquet as stored, CSV as text."""
    with _readable(path, table):
        if path.is_dir() or not is_csv(path):
            parts = parquet_parts(path) if path.is_dir() else [path]
            schemas = [pq.read_schema(p) for p in parts]
            try:
                schema = pa.unify_schemas(schemas, promote_options="permissive")
            except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
                raise TableUnusableError(table, str(path), f"the parts do not share one set of columns and types "
                                         f"({exc})", "write every part with the same columns and types") from exc
            empty = schema.empty_table()
            for part in parts:
                for batch in pq.ParquetFile(part).iter_batches(batch_size=BATCH_ROWS):
                    yield pa.concat_tables([empty, pa.Table.from_batches([batch])], promote_options="permissive")
        else:
            types = dict.fromkeys(_csv_header(path), pa.string())
            reader = pa_csv.open_csv(path, convert_options=_convert_options(types),
                                     read_options=pa_csv.ReadOptions(block_size=64 << 20),
                                     memory_pool=pa.system_memory_pool())
            for batch in reader:
                yield pa.Table.from_batches([batch])


def _empty_raw(schema: pa.Schema | None, table: str) -> pa.Table:
    if schema is None:
        schema = pa.schema([pa.field(c.name, pa.string()) for c in TABLES_BY_NAME[table].columns]
                           + [pa.field(ROW_NUMBER, pa.int64())])
    return schema.empty_table()


def _empty_quarantine(table) -> pd.DataFrame:
    from features.validate import QUARANTINE_EXTRA_COLUMNS

    return pd.DataFrame(columns=[*[c.name for c in table.columns], *QUARANTINE_EXTRA_COLUMNS])

