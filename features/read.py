"""The one place that reads exports from disk: find each table's file, read it raw, validate it.

Everything the rest of the product reads comes through `read_export`, so it only ever sees
accepted rows in canonical codes and dtypes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.contract import TABLE_NAMES
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


def read_raw_table(path: Path, table: str) -> pd.DataFrame:
    """The file's rows in file order with their values as written (CSV: all text)."""
    try:
        if _is_parquet(path):
            return pd.read_parquet(path)
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise TableUnusableError(table, str(path), f"the file is not UTF-8 text ({exc.reason})",
                                 "save it again as UTF-8 CSV") from exc
    except Exception as exc:  # pyarrow and the CSV parser raise many kinds; all mean the file is unreadable
        raise TableUnusableError(table, str(path), f"the file cannot be read ({type(exc).__name__}: {exc})",
                                 "export the table again as UTF-8 CSV with a header row, or as Parquet") from exc


def _is_parquet(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"PAR1"


def read_raw_export(data_dir: Path) -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
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


