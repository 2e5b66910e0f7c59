"""Every test runs offline, with its own product home folder."""
from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from stayout.home import OFFLINE_ENVIRONMENT

os.environ.update(OFFLINE_ENVIRONMENT)


@pytest.fixture(autouse=True)
def stayout_home(tmp_path, monkeypatch):
    home = tmp_path / "stayout-home"
    monkeypatch.setenv("STAYOUT_HOME", str(home))
    return home


SMALL_TRAINING = {"splits": {"test_dates": 2, "validation_dates": 2, "max_training_dates": 6},
                  "model": {"n_estimators": 80, "min_child_samples": 20}, "evaluation": {"bootstrap_samples": 20}}


@pytest.fixture(scope="session")
def trained_once(tmp_path_factory):
    """A champion trained once per test session on a small generated county (1,500 households, 44
    months); the modules that need a model copy its home (`home_with_model`)."""
    import yaml

    from stayout.cli import main
    from synthetic.export import write_export
    from synthetic.simulate import SimulationConfig, simulate

    base = tmp_path_factory.mktemp("trained-once")
    with home_set_to(base / "home"):
        write_export(simulate(SimulationConfig(households=1500, counties=2, start="2021-01", months=44, seed=12)),
                     base / "county", seed=12)
        config = base / "config.yaml"
        config.write_text(yaml.safe_dump(SMALL_TRAINING), encoding="utf-8")
        assert main(["-q", "train", str(base / "county"), "--config", str(config)]) == 0
    return {"home": base / "home", "county": base / "county", "config": config}


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
