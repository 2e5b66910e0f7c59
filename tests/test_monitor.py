"""Drift monitoring: PSI on the reference's quantile bins, the verdict and exit code of
`stayout monitor` and its report."""
from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from models import registry
from models.drift import ACT, MIN_ROWS, Reference, design_effect, population_stability
from stayout.cli import main
from tests.conftest import home_with_model


def _normal(n: int, shift: float = 0.0, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    values = rng.normal(shift, 1.0, n)
    values[rng.random(n) < 0.05] = np.nan
    return pd.DataFrame({"x": values, "count": rng.poisson(0.3 + shift, n).astype(float)})


def test_psi_is_near_zero_on_the_same_distribution_and_acts_on_a_shift():
    reference = Reference.fit(_normal(5000))
    same = reference.compare(_normal(5000, seed=1)).set_index("column")
    assert (same["psi"] < 0.02).all() and (same["status"] == "ok").all()
    assert same.loc["x", "bins"] == 10 and same.loc["count", "bins"] < 10          # ties merge bins
    assert same.loc["x", "reference_missing"] == pytest.approx(0.05, abs=0.01)
    shifted = reference.compare(_normal(5000, shift=0.6, seed=2)).set_index("column")
    assert shifted.loc["x", "psi"] >= ACT and shifted.loc["x", "status"] == "act"
    few = reference.compare(_normal(MIN_ROWS - 1, shift=2.0, seed=3))
    assert (few["status"] == "too_few").all()


def test_a_value_never_seen_is_listed_and_acted_on_for_a_yes_no_input():
    reference = Reference.fit(pd.DataFrame({"flag": np.r_[np.zeros(900), np.ones(100)],
                                            "events": np.r_[np.zeros(800), np.ones(150), np.full(50, 2.0)]}),
                              yes_no=["flag"])
    found = reference.compare(pd.DataFrame({"flag": np.r_[np.zeros(900), np.ones(99), [2.0]],
                                            "events": np.r_[np.zeros(800), np.ones(150), np.full(49, 2.0), [3.0]]}))
    flag, events = found.set_index("column").loc["flag"], found.set_index("column").loc["events"]
    assert flag["new_levels"] == [2.0] and flag["status"] == "act"
    assert events["new_levels"] == [3.0] and events["status"] == "ok"


def test_events_that_strike_whole_villages_count_as_the_villages_make_them_worth():
    rng = np.random.default_rng(4)
    villages = np.repeat(np.arange(60), 100)
    struck = rng.random(60) < 0.05                                    # floods: whole villages
    flooded = struck[villages].astype(float)
    alone = (rng.random(6000) < 0.05).astype(float)                   # job losses: one household at a time
    assert design_effect(flooded.astype(bool), villages) > 50
    assert design_effect(alone.astype(bool), villages) == pytest.approx(1.0, abs=0.3)
    reference = Reference.fit(pd.DataFrame({"floods": flooded, "jobs": alone}), clusters=villages)
    twice = np.zeros(6000)
    twice[: int(2.2 * flooded.sum())] = 1.0                          # more than twice the share, by a few villages
    jobs = np.zeros(6000)
    jobs[: int(2.2 * alone.sum())] = 1.0
    found = reference.compare(pd.DataFrame({"floods": twice, "jobs": jobs})).set_index("column")
    assert found.loc["jobs", "status"] == "act" and found.loc["jobs", "event_p"] < 1e-6
    assert found.loc["floods", "event_ratio"] > 2 and found.loc["floods", "event_p"] > 0.001
    assert found.loc["floods", "status"] == "watch"                    # worth a look, not sure enough to act


def test_psi_is_the_textbook_sum():
    reference, current = np.array([0.5, 0.3, 0.2, 0.0]), np.array([0.4, 0.3, 0.3, 0.0])
    expected = (0.4 - 0.5) * np.log(0.4 / 0.5) + (0.3 - 0.2) * np.log(0.3 / 0.2)
    assert population_stability(reference, current) == pytest.approx(expected, abs=1e-12)


@pytest.mark.slow
def test_monitor_writes_drift_of_every_input_and_backtests_a_matured_list(trained_once, tmp_path, monkeypatch,
                                                                          capsys):
    """The report's parts on the session's county (the shifts themselves: tests/test_scenarios_e2e.py)."""
    home = home_with_model(trained_once, tmp_path / "home")
    monkeypatch.setenv("STAYOUT_HOME", str(home))
    as_of, county = "2024-06-01", trained_once["county"]
    # a list made when the outcome could not be known yet, which this export has seen mature
    assert main(["-q", "score", str(county), "--as-of", "2023-01-01", "--out", str(tmp_path / "scores"),
                 "--config", str(trained_once["config"])]) == 0
    code = main(["-q", "monitor", str(county), "--as-of", as_of, "--out", str(tmp_path / "monitor"),
                 "--capacity-per-township", "5"])
    report = json.loads((tmp_path / "monitor" / f"monitor-{as_of}.json").read_text(encoding="utf-8"))
    assert code == report["exit_code"] == (3 if report["verdict"] == "act" else 0)
    assert report["verdict"] in ("ok", "watch", "act") and report["households"] >= MIN_ROWS
    drift = pd.DataFrame(report["drift"]).set_index("column")
    assert "score" in drift.index and len(drift) > 30
    assert set(drift["status"]) <= {"ok", "watch", "act", "too_few"}
    # the reference holds this very month of this export: nothing has moved
    assert report["reference"] == "training dates in calendar month 6" and drift["psi"].max() < 0.01
    assert report["views"]["years_since_exit"] == "ages" and report["views"]["months_since_visit"] == "since"
    assert sum(c["households"] for c in report["counties"]) == report["households"]
    assert report["capacity"] == 5 and all(0 < c["flagged_share"] < 1 for c in report["counties"])
    flagged = sum(round(c["flagged_share"] * c["households"]) for c in report["counties"])
    townships = pd.read_parquet(county / "households.parquet")["village_code"].astype(str).str[:9].nunique()
    assert 0 < flagged <= 5 * townships
    [past] = report["backtests"]
    assert past["as_of"] == "2023-01-01" and past["matured"] and past["flagged"] > 0
    assert 0 <= past["precision_at_capacity"] <= 1 and 0 <= past["recall_at_capacity"] <= 1
    assert sum(tier["households"] for tier in past["tiers"]) == past["households"]
    assert past["realized"] == pytest.approx(past["relapsed"] / past["households"], abs=1e-4)
    page = (tmp_path / "monitor" / f"monitor-{as_of}.html").resolve().as_uri()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Chromium is missing: run tools/install-browser (make test does)"
    for language in ("zh", "en"):
        dom = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                              page + ("#en" if language == "en" else "")], capture_output=True, text=True,
                             timeout=120, check=True).stdout
        assert ('class="lang-en"' in dom) == (language == "en")
        assert "assessed_income_pc_12m" in dom and "Drift of the model inputs and score" in dom and "各县评分" in dom
        assert "Past lists against what happened" in dom and "Flagged share" in dom
        assert "Event share (reference → now)" in dom and "design effect" in dom
        assert "Inputs that move with the calendar alone" in dom and "按起始年份比较" in dom
    runs = registry.connect().search_runs([registry.experiment_id("stayout-monitor")])
    assert len(runs) == 1 and runs[0].data.tags["verdict"] == report["verdict"]
    assert "psi_score" in runs[0].data.metrics
    assert "Drift at 2024-06-01" in capsys.readouterr().out
