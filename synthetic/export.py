"""Write a simulated county as an export in the data contract, with its truth and manifest."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.contract import TABLE_NAMES, TABLES_BY_NAME
from synthetic.dirty import make_dirty
from synthetic.frames import system_allocator

CSV_FORMATS = {"date": "%Y-%m-%d", "timestamp": "%Y-%m-%d %H:%M:%S"}
EXPORT_FILE = "export.json"


@dataclass
class ExportSummary:
    rows: int
    dirty: int


def write_export(simulation, out: Path, file_format: str = "parquet", dirty_rate: float = 0.0,
                 seed: int = 0) -> ExportSummary:
    """Write the twelve tables (dirty rows planted at `dirty_rate`), `export.json` (when the export
    was taken: the export cut), `truth/` and `truth/manifest.json`."""
    if not 0 <= dirty_rate <= 0.2:
        raise ValueError(f"dirty rate {dirty_rate} is outside 0-0.2")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng([seed, 20_231])
    manifest = {"seed": seed, "dirty_rate": dirty_rate, "format": file_format, "rows": {}, "entries": {}}
    total_rows = total_dirty = 0
    truth_dir = out / "truth"
    truth_dir.mkdir(exist_ok=True)
    with system_allocator():
        for name in TABLE_NAMES:
            dirty = make_dirty(name, simulation.tables[name], dirty_rate, rng)
            write_table(dirty.frame, out, name, file_format)
            manifest["rows"][name] = len(dirty.frame)
            manifest["entries"][name] = dirty.entries
            total_rows += len(dirty.frame)
            total_dirty += len(dirty.entries)
            del dirty
        for name, frame in simulation.truth.items():
            frame.to_parquet(truth_dir / f"{name}.parquet", index=False)
    write_export_time(out, simulation.exported_at)
    manifest["data_end"] = str(simulation.data_end)
    manifest["scenario"] = {"name": simulation.config.scenario,
                            "from_month": simulation.config.scenario_first_month()}
    manifest["exported_at"] = str(simulation.exported_at)
    (truth_dir / "manifest.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return ExportSummary(total_rows, total_dirty)


def write_export_time(out: Path, exported_at: pd.Timestamp) -> Path:
    """`export.json`: {"exported_at": "YYYY-MM-DD HH:MM:SS"}, the moment the export was taken."""
    path = Path(out) / EXPORT_FILE
    path.write_text(json.dumps({"exported_at": f"{exported_at:%Y-%m-%d %H:%M:%S}"}) + "\n", encoding="utf-8")
    return path


def write_table(frame: pd.DataFrame, out: Path, name: str, file_format: str) -> Path:
    for stale in (out / f"{name}.parquet", out / f"{name}.csv"):
        stale.unlink(missing_ok=True)
    path = out / f"{name}.{file_format}"
    if file_format == "parquet":
        frame.to_parquet(path, index=False)
    else:
        csv_frame(frame, name).to_csv(path, index=False, encoding="utf-8")
    return path


def csv_frame(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """Dates as ISO dates, timestamps without a zone, booleans as true/false, nulls empty."""
    table = TABLES_BY_NAME[name]
    out = frame.copy()
    for column in table.columns:
        values = out[column.name]
        if column.kind in CSV_FORMATS and pd.api.types.is_datetime64_any_dtype(values.dtype):
            out[column.name] = values.dt.strftime(CSV_FORMATS[column.kind])
        elif column.kind == "bool":
            out[column.name] = values.map({True: "true", False: "false"})
        elif column.kind == "int" and column.nullable:
            out[column.name] = values.astype("Int64")
    return out
