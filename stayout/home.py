"""Where the product keeps its state: one home folder, `STAYOUT_HOME` (default `.stayout/`)."""
from __future__ import annotations

import os
from pathlib import Path

OFFLINE_ENVIRONMENT = {
    "BENTOML_DO_NOT_TRACK": "true",
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
}


def stayout_home() -> Path:
    """The state folder; created by the commands that write to it, never at import."""
    return Path(os.environ.get("STAYOUT_HOME", ".stayout")).resolve()


def quarantine_dir_for(data_dir: Path) -> Path:
    """Default quarantine folder of an export: `$STAYOUT_HOME/quarantine/<export folder name>/`."""
    return stayout_home() / "quarantine" / Path(data_dir).resolve().name


def go_offline() -> None:
    """Switch off every library's telemetry; called by the CLI and the service at start."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ[name] = value


def thread_limit() -> int | None:
    """The threads LightGBM may use, from `STAYOUT_THREADS` (unset: each part's own default). The test
    suite sets 1 on each of its two workers, so that two trainings do not fight over both cores."""
    value = os.environ.get("STAYOUT_THREADS", "").strip()
    return max(1, int(value)) if value.isdigit() else None
