"""The one place that reads exports from disk: find each table's file, read it raw, validate it.

Everything the rest of the product reads comes through `read_export`, so it only ever sees
accepted rows in canonical codes and dtypes. A table is `TABLE.csv`, `TABLE.parquet`, or a
folder `TABLE.parquet/` of Parquet parts read in the parts' name order; `export.json` beside
the tables may say when the export was taken. A CSV file is read with its columns converted
while reading (fast); only a file with rejected rows is read a second time, streaming, every
column as text, to keep its rejected rows exactly as the file writes them for the quarantine.
"""
from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from features.contract import TABLE_NAMES, TABLES_BY_NAME, Column
from features.parse import parse_column
from features.validate import TableResult, ValidationResult, validate_tables
from stayout.errors import InputError, TableUnusableError

log = logging.getLogger(__name__)

FORMATS = ("parquet", "csv")
EXPORT_INFO = "export.json"
EXPORTED_AT = Column("exported_at", "timestamp", "the moment the export was taken")


@dataclass
class Export:
    """A validated export: accepted tables plus what validation did to get them.

    `exported_at` is the moment the export was taken, from its export.json (None without one).
    """

    data_dir: Path
    validation: ValidationResult
    exported_at: pd.Timestamp | None = None

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.validation.accepted()

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.validation.tables[name].accepted

    @property
    def data_end(self) -> pd.Timestamp:
        """The data's end: `exported_at` when export.json gives it, else the latest accepted `recorded_at`."""
        if self.exported_at is not None:
            return self.exported_at
        latest = [frame["recorded_at"].max() for frame in self.tables.values() if len(frame)]
        if not latest:
            raise InputError(f"{self.data_dir}: no table holds an accepted row, so the export has no end; "
                             f"add {EXPORT_INFO} with exported_at, or export the tables again")
        return max(latest)


def table_path(data_dir: Path, table: str) -> Path:
    """The file holding `table`: TABLE.parquet (a file or a folder of parts) or TABLE.csv (Parquet
    wins when both exist)."""
    candidates = [data_dir / f"{table}.{fmt}" for fmt in FORMATS]  # TABLE.parquet may be a folder
    found = [p for p in candidates if p.exists()]
    if not found:
        raise TableUnusableError(table, str(data_dir), "no file for this table",
                                 f"add {table}.parquet or {table}.csv to the export (a header row alone is fine)")
    if len(found) > 1:
        log.warning("both %s and %s exist; reading %s", found[0].name, found[1].name, found[0].name)
    return found[0]


def read_raw_table(path: Path, table: str) -> pa.Table:
    """The file's rows in file order: Parquet as stored; CSV converted where every value converts."""
    with _readable(path, table):
        if path.is_dir():
            return _read_parquet_parts(path, table)
        if _is_parquet(path):
            return pq.read_table(path)
        return _read_csv(path, table)


def read_csv_rows_as_text(path: Path, table: str, positions: np.ndarray, expected_rows: int) -> pa.Table:
    """The CSV rows at the ascending 0-based `positions`, every column exactly as the file writes it
    (an empty field is empty text). The file streams past a block at a time; it must still hold
    `expected_rows` rows."""
    with _readable(path, table):
        types = dict.fromkeys(_csv_header(path), pa.string())
        reader = pa_csv.open_csv(path, convert_options=_convert_options(types), memory_pool=pa.system_memory_pool())
        taken, first = [], 0
        for batch in reader:
            low, high = np.searchsorted(positions, [first, first + batch.num_rows])
            if high > low:
                taken.append(batch.take(pa.array(positions[low:high] - first, pa.int64())))
            first += batch.num_rows
    if first != expected_rows:
        raise TableUnusableError(table, str(path), f"the file held {expected_rows} rows, then {first} when read again",
                                 "validate again once the export has been written completely")
    return pa.Table.from_batches(taken, schema=reader.schema)


@contextmanager
def _readable(path: Path, table: str) -> Iterator[None]:
    """Any failure to read the file becomes a TableUnusableError that says what to do."""
    try:
        yield
    except TableUnusableError:
        raise
    except UnicodeDecodeError as exc:
        raise TableUnusableError(table, str(path), f"the file is not UTF-8 text ({exc.reason})",
                                 "save it again as UTF-8 CSV") from exc
    except Exception as exc:  # pyarrow raises many kinds; all mean the file is unreadable
        raise TableUnusableError(table, str(path), f"the file cannot be read ({type(exc).__name__}: {exc})",
                                 "export the table again as UTF-8 CSV with a header row, or as Parquet") from exc


def is_csv(path: Path) -> bool:
    """Whether `path` is read as CSV (a file that does not start as Parquet does)."""
    return not path.is_dir() and not _is_parquet(path)


def parquet_parts(folder: Path) -> list[Path]:
    """The parts of a Parquet folder in name order; names starting with `_` or `.` (such as
    `_SUCCESS` or checksum files) are not parts."""
    return sorted((p for p in folder.iterdir() if not p.name.startswith(("_", "."))), key=lambda p: p.name)


def _read_parquet_parts(folder: Path, table: str) -> pa.Table:
    parts = parquet_parts(folder)
    inner = [p.name for p in parts if p.is_dir()]
    if inner:
        raise TableUnusableError(table, str(folder), f"the folder holds folders ({', '.join(inner)}), not only parts",
                                 f"put every part file directly in {folder.name}/")
    if not parts:
        raise TableUnusableError(table, str(folder), "the folder holds no Parquet parts",
                                 f"put the table's part files in {folder.name}/, or write {table}.parquet as one file")
    read = [pq.read_table(part) for part in parts]
    try:
        return pa.concat_tables(read, promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise TableUnusableError(table, str(folder), f"the parts do not share one set of columns and types ({exc})",
                                 "write every part with the same columns and types") from exc


# Columns the CSV reader may convert while reading; a column with any value it cannot convert is
# read again as text, and validation then names each bad value.
_TEXT = pa.dictionary(pa.int32(), pa.string())  # codes repeat: each distinct value is checked once
_FAST_TYPES = {
    "str": pa.large_string(),  # the offsets pandas' Arrow-backed `str` dtype uses: no conversion later
    "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(),
    "date": pa.timestamp("us"), "timestamp": pa.timestamp("us"),
    "code": _TEXT, "codelist": _TEXT,
}
_CSV_COLUMN_ERROR = re.compile(r"In CSV column #(\d+)")


def _read_csv(path: Path, table: str) -> pa.Table:
    header = _csv_header(path)
    declared = {c.name: c for c in TABLES_BY_NAME[table].columns}
    types = {name: _FAST_TYPES.get(declared[name].kind, pa.string()) if name in declared else pa.string()
             for name in header}
    for _ in range(len(header) + 1):
        try:
            read = _read_csv_as(path, types)
        except pa.ArrowInvalid as exc:
            match = _CSV_COLUMN_ERROR.search(str(exc))
            if not match or types[header[int(match.group(1))]] in (pa.string(), pa.large_string(), _TEXT):
                raise
            types[header[int(match.group(1))]] = pa.string()
            continue
        spelled = _non_finite_columns(read)
        if not spelled:
            return read
        types.update(dict.fromkeys(spelled, pa.string()))
    raise TableUnusableError(table, str(path), "the file cannot be read", "export the table again")


def _read_csv_as(path: Path, types: dict[str, pa.DataType]) -> pa.Table:
    # the system allocator: mimalloc's fresh huge pages cost 0.5-1 s more on a 10-million-row file
    return pa_csv.read_csv(path, convert_options=_convert_options(types), memory_pool=pa.system_memory_pool())


def _convert_options(types: dict[str, pa.DataType]) -> pa_csv.ConvertOptions:
    return pa_csv.ConvertOptions(
        column_types=types, null_values=[""], strings_can_be_null=False,
        true_values=["true", "True", "TRUE", "1"], false_values=["false", "False", "FALSE", "0"],
    )


def _non_finite_columns(read: pa.Table) -> list[str]:
    """Float columns holding a value such as `nan`, `inf` or `1e999`, which the CSV reader converts;
    read as text instead, validation names them as the text path does (not a number, not finite)."""
    return [name for name, values in zip(read.column_names, read.columns)
            if pa.types.is_floating(values.type) and values.null_count < len(values)
            and not pc.all(pc.is_finite(values)).as_py()]


def _csv_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), None)
    if not header:
        raise TableUnusableError(Path(path).stem, str(path), "the file is empty, without a header row",
                                 "export the table again with its header row")
    return header


def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PAR1"


def read_raw_export(data_dir: Path) -> tuple[dict[str, pa.Table], dict[str, str]]:
    raw, sources = {}, {}
    for name in TABLE_NAMES:
        path = table_path(data_dir, name)
        raw[name] = read_raw_table(path, name)
        sources[name] = str(path)
    return raw, sources


def read_export(data_dir: str | Path, quarantine_dir: str | Path | None = None) -> Export:
    """Read and validate every table; rejected rows are written under `quarantine_dir` if given."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise TableUnusableError("*", str(data_dir), "the export folder does not exist",
                                 "give the folder that holds the twelve table files")
    exported_at = read_exported_at(data_dir)
    raw, sources = read_raw_export(data_dir)
    validation = with_original_text(validate_tables(raw, sources, exported_at), sources)
    for result in validation.tables.values():
        for warning in result.warnings:
            log.warning(warning)
    if quarantine_dir is not None:
        write_quarantine(validation, Path(quarantine_dir))
    return Export(data_dir, validation, exported_at)


def with_original_text(validation: ValidationResult, sources: dict[str, str]) -> ValidationResult:
    """Each CSV table with rejected rows read again as text, so its quarantine shows the file's own text."""
    tables = {name: original_text_result(result, Path(sources[name])) if name in sources else result
              for name, result in validation.tables.items()}
    return replace(validation, tables=tables)


def original_text_result(result: TableResult, path: Path) -> TableResult:
    """`result` with its quarantined rows as the CSV file writes them (Parquet and clean tables as they are)."""
    if not len(result.quarantined) or not is_csv(path):
        return result
    positions = result.quarantined["row_number"].to_numpy(dtype=np.int64) - 1
    return result.with_original_text(read_csv_rows_as_text(path, result.name, positions, result.read))


def read_exported_at(data_dir: Path) -> pd.Timestamp | None:
    """`exported_at` from the export's export.json, or None when the export has none."""
    path = data_dir / EXPORT_INFO
    if not path.exists():
        return None
    try:
        info = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _export_info_error(path, f"it is not UTF-8 JSON ({exc})") from exc
    return exported_at_of(info, path)


def exported_at_of(info, path: Path | str) -> pd.Timestamp:
    """`exported_at` from the parsed contents of an export.json (`path` for the messages)."""
    if not isinstance(info, dict) or not isinstance(info.get("exported_at"), str):
        raise _export_info_error(path, "it does not give exported_at as text")
    extra = sorted(set(info) - {"exported_at"})
    if extra:
        log.warning("%s: keys ignored: %s", path, ", ".join(extra))
    values, problems = parse_column(pa.chunked_array([pa.array([info["exported_at"]])]), EXPORTED_AT)
    if problems or pd.isna(values.iloc[0]):
        reason = problems[0].message if problems else "exported_at is empty"
        raise _export_info_error(path, reason if isinstance(reason, str) else reason.iloc[0])
    return pd.Timestamp(values.iloc[0])


def _export_info_error(path: Path, problem: str) -> TableUnusableError:
    return TableUnusableError("*", str(path), problem,
                              'write it as {"exported_at": "2024-01-01 00:00:00"}, the moment the export was '
                              "taken (local time), or remove the file")


def write_quarantine(validation: ValidationResult, quarantine_dir: Path) -> None:
    """One `<table>.csv` per table with rejected rows; stale files of a previous run are removed."""
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    for name, result in validation.tables.items():
        path = quarantine_dir / f"{name}.csv"
        if len(result.quarantined):
            result.quarantined.to_csv(path, index=False, encoding="utf-8")
        elif path.exists():
            path.unlink()


