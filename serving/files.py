"""Files written atomically: a temporary name in the same folder, flushed, then renamed.

A reader (or a restarted run) therefore sees a file whole or not at all, never half written.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pandas as pd


def write_atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """Call `write(temporary_path)`, then rename the temporary file to `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(temporary)
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
    return path


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding=encoding))


def write_json(path: Path, value) -> Path:
    return write_text(path, json.dumps(value, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def write_parquet(path: Path, frame: pd.DataFrame) -> Path:
    return write_atomic(path, lambda tmp: frame.to_parquet(tmp, index=False))


def write_csv(path: Path, frame: pd.DataFrame, encoding: str = "utf-8-sig") -> Path:
    return write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False, encoding=encoding))


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))
