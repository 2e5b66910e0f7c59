"""Every test runs offline, with its own product home folder."""
from __future__ import annotations

import os

import pytest

from stayout.home import OFFLINE_ENVIRONMENT

os.environ.update(OFFLINE_ENVIRONMENT)


@pytest.fixture(autouse=True)
def stayout_home(tmp_path, monkeypatch):
    home = tmp_path / "stayout-home"
    monkeypatch.setenv("STAYOUT_HOME", str(home))
    return home
