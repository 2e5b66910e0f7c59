"""Every test runs offline, with its own product home folder."""
from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from stayout.home import OFFLINE_ENVIRONMENT

os.environ.update(OFFLINE_ENVIRONMENT)
if os.environ.get("PYTEST_XDIST_WORKER"):   # two workers on two cores: one thread each for LightGBM and OpenMP
    os.environ.setdefault("STAYOUT_THREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True)
def stayout_home(tmp_path, monkeypatch):
    home = tmp_path / "stayout-home"
    monkeypatch.setenv("STAYOUT_HOME", str(home))
    return home


SMALL_TRAINING = {"splits": {"test_dates": 2, "validation_dates": 2, "max_training_dates": 6},
                  "model": {"n_estimators": 80, "min_child_samples": 20}, "evaluation": {"bootstrap_samples": 20}}


# The slowest modules first: the suite runs on two workers (`make test`, with xdist's reordering by
# test count switched off), each taking the next module when it is free, so the long ones are not
# left for the end.
SLOW_MODULES = ("test_training_e2e", "test_training_later", "test_scenarios_e2e", "test_survey_export", "test_service", "test_spark", "test_batch_scoring",
                "test_retrain", "test_monitor", "test_simulate_calibration", "test_splits", "test_baselines")


def pytest_collection_modifyitems(session, config, items):
    def weight(item):
        name = item.path.stem
        return SLOW_MODULES.index(name) if name in SLOW_MODULES else len(SLOW_MODULES)

    items.sort(key=weight)    # stable: a module's tests keep their order


@pytest.fixture(scope="session")
def trained_once(tmp_path_factory):
    """A champion trained once per test run on a small generated county (1,500 households, 44
    months) with `stayout train` (its printed report kept as "output"); the modules that need a
    model copy its home (`home_with_model`). With several workers
    the first to ask trains it and the others wait for it (a lock file in the run's shared folder)."""
    shared = tmp_path_factory.getbasetemp().parent if os.environ.get("PYTEST_XDIST_WORKER") else \
        tmp_path_factory.getbasetemp()
    base = shared / "trained-once"
    with open(shared / "trained-once.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = base / "done.json"
        if not done.exists():
            _train_once(base)
            done.write_text(json.dumps({"trained": True}), encoding="utf-8")
    return {"home": base / "home", "county": base / "county", "config": base / "config.yaml",
            "output": (base / "train-output.txt").read_text(encoding="utf-8")}


def _train_once(base: Path) -> None:
    import contextlib
    import io

    import yaml

    from stayout.cli import main
    from synthetic.export import write_export
    from synthetic.simulate import SimulationConfig, simulate

    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    with home_set_to(base / "home"):
        write_export(simulate(SimulationConfig(households=1500, counties=2, start="2021-01", months=44, seed=12)),
                     base / "county", seed=12)
        config = base / "config.yaml"
        config.write_text(yaml.safe_dump(SMALL_TRAINING), encoding="utf-8")
        printed = io.StringIO()       # what `stayout train` printed, for the module that reads its report
        with contextlib.redirect_stdout(printed):
            assert main(["-q", "train", str(base / "county"), "--config", str(config)]) == 0
        (base / "train-output.txt").write_text(printed.getvalue(), encoding="utf-8")


@contextmanager
def home_set_to(home: Path) -> Iterator[Path]:
    """STAYOUT_HOME set to `home` for a module-scoped fixture (monkeypatch is per test), then restored."""
    previous = os.environ.get("STAYOUT_HOME")
    os.environ["STAYOUT_HOME"] = str(home)
    try:
        yield home
    finally:
        if previous is None:
            os.environ.pop("STAYOUT_HOME", None)
        else:
            os.environ["STAYOUT_HOME"] = previous


def home_with_model(trained: dict, target: Path) -> Path:
    """A new STAYOUT_HOME holding the session's trained model (its MLflow store copied)."""
    shutil.copytree(trained["home"], target)
    return target
