"""The one place that reads exports from disk: find each table's file, read it raw, validate it.

Everything the rest of the product reads comes through `read_export`, so it only ever sees
accepted rows in canonical codes and dtypes.
"""
from __future__ import annotations

import csv
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from features.contract import TABLE_NAMES, TABLES_BY_NAME
from features.validate import ValidationResult, validate_tables
from stayout.errors import TableUnusableError

log = logging.getLogger(__name__)

FORMATS = ("parquet", "csv")


@dataclass
class Export:
    """A validated export: accepted tables plus what validation did to get them."""

    data_dir: Path
    validation: ValidationResult

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.validation.accepted()

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.validation.tables[name].accepted


def table_path(data_dir: Path, table: str) -> Path:
    """The file holding `table`: TABLE.parquet or TABLE.csv (Parquet wins when both exist)."""
    candidates = [data_dir / f"{table}.{fmt}" for fmt in FORMATS]
    found = [p for p in candidates if p.exists()]
    if not found:
        raise TableUnusableError(table, str(data_dir), "no file for this table",
                                 f"add {table}.parquet or {table}.csv to the export (a header row alone is fine)")
    if len(found) > 1:
        log.warning("both %s and %s exist; reading %s", found[0].name, found[1].name, found[0].name)
    return found[0]


def read_raw_table(path: Path, table: str) -> pa.Table:
    """The file's rows in file order: Parquet as stored; CSV converted where every value converts."""
    try:
        if _is_parquet(path):
            return pq.read_table(path)
        return _read_csv(path, table)
    except TableUnusableError:
        raise
    except UnicodeDecodeError as exc:
        raise TableUnusableError(table, str(path), f"the file is not UTF-8 text ({exc.reason})",
                                 "save it again as UTF-8 CSV") from exc
    except Exception as exc:  # pyarrow raises many kinds; all mean the file is unreadable
        raise TableUnusableError(table, str(path), f"the file cannot be read ({type(exc).__name__}: {exc})",
                                 "export the table again as UTF-8 CSV with a header row, or as Parquet") from exc


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
        options = pa_csv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=False,
            true_values=["true", "True", "TRUE", "1"], false_values=["false", "False", "FALSE", "0"],
        )
        try:  # the system allocator: mimalloc's fresh huge pages cost 0.5-1 s more on a 10-million-row file
            return pa_csv.read_csv(path, convert_options=options, memory_pool=pa.system_memory_pool())
        except pa.ArrowInvalid as exc:
            match = _CSV_COLUMN_ERROR.search(str(exc))
            if not match or types[header[int(match.group(1))]] in (pa.string(), pa.large_string(), _TEXT):
                raise
            types[header[int(match.group(1))]] = pa.string()
    raise TableUnusableError(table, str(path), "the file cannot be read", "export the table again")


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
    raw, sources = read_raw_export(data_dir)
    validation = validate_tables(raw, sources)
    for result in validation.tables.values():
        for warning in result.warnings:
            log.warning(warning)
    if quarantine_dir is not None:
        write_quarantine(validation, Path(quarantine_dir))
    return Export(data_dir, validation)


def write_quarantine(validation: ValidationResult, quarantine_dir: Path) -> None:
    """One `<table>.csv` per table with rejected rows; stale files of a previous run are removed."""
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    for name, result in validation.tables.items():
        path = quarantine_dir / f"{name}.csv"
        if len(result.quarantined):
            result.quarantined.to_csv(path, index=False, encoding="utf-8")
        elif path.exists():
            path.unlink()


