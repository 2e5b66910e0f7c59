"""A shift to detect, on a county of 5,000 households.

The champion is trained on the county's export of a year ago (32 months). A year on (44 months),
the county is monitored three ways: unshifted, after a job crisis and after a disaster year, both
starting the month after the champion's export ends. The monitor acts on each shift in the inputs
it touches (the disaster year only as far as the county's villages make a doubling sure) and leaves
the unshifted county at most "watch"; the gate keeps a worse challenger out.
"""
from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import yaml

from models import registry
from models.drift import EVENT_ACT_P
from stayout.cli import main
from synthetic.export import write_export
from synthetic.simulate import SimulationConfig, simulate
from tests.conftest import SMALL_TRAINING, home_set_to

pytestmark = pytest.mark.slow
COUNTY = {"households": 5000, "counties": 2, "start": "2021-01", "seed": 21}
SCENARIOS = ("default", "job-crisis", "disaster-year")
AS_OF = "2024-09-01"           # the first day after the 44-month exports
JOB_LOSS = ("shocks_job_12m", "months_since_job")
DISASTER = ("shocks_disaster_12m", "months_since_disaster")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    base = tmp_path_factory.mktemp("scenarios")
    config = base / "config.yaml"
    config.write_text(yaml.safe_dump(SMALL_TRAINING), encoding="utf-8")
    with home_set_to(base / "home"):
        write_export(simulate(SimulationConfig(months=32, **COUNTY)), base / "year-ago", seed=COUNTY["seed"])
        for scenario in SCENARIOS:
            simulation = simulate(SimulationConfig(months=44, scenario=scenario, **COUNTY))
            write_export(simulation, base / scenario, seed=COUNTY["seed"])
        assert main(["-q", "retrain", str(base / "year-ago"), "--config", str(config)]) == 0
        reports = {}
        for scenario in SCENARIOS:
            out = base / "monitor" / scenario
            code = main(["-q", "monitor", str(base / scenario), "--as-of", AS_OF, "--out", str(out)])
            reports[scenario] = json.loads((out / f"monitor-{AS_OF}.json").read_text(encoding="utf-8"))
            assert code == reports[scenario]["exit_code"]
    return {"base": base, "config": config, "reports": reports}


def _drift(report: dict) -> pd.DataFrame:
    return pd.DataFrame(report["drift"]).set_index("column")


def test_the_unshifted_county_a_year_on_is_at_most_watch(county):
    report = county["reports"]["default"]
    assert report["verdict"] in ("ok", "watch") and report["exit_code"] == 0, report["act"]
    assert report["reference"] == "training dates in calendar month 9" and report["households"] > 4000
    drift = _drift(report)
    # a year older and a year more of records: compared as the year it counts from, and within a year
    assert report["views"]["years_since_exit"] == "ages" and report["views"]["months_since_job"] == "since"
    assert drift.loc["years_since_exit", "psi"] < 0.10 and drift.loc["head_age", "psi"] < 0.10
    assert (drift.loc[list(JOB_LOSS + DISASTER), "status"] != "act").all()
    assert drift.loc["score", "status"] in ("ok", "watch")


def test_a_job_crisis_is_acted_on_in_its_job_loss_inputs(county):
    report, unshifted = county["reports"]["job-crisis"], _drift(county["reports"]["default"])
    assert report["verdict"] == "act" and report["exit_code"] == 3
    drift = _drift(report)
    assert (drift.loc[list(JOB_LOSS), "status"] == "act").all()
    assert set(JOB_LOSS) <= set(report["act"])
    jobs = drift.loc["shocks_job_12m"]
    assert jobs["event_ratio"] >= 2.0 and jobs["event_p"] < EVENT_ACT_P and jobs["design_effect"] < 2
    assert jobs["event_share_current"] >= 1.8 * unshifted.loc["shocks_job_12m", "event_share_current"]
    # PSI alone would not have seen it: the event is rare, so its bins barely move
    assert jobs["psi"] < 0.10


def test_a_disaster_year_is_watched_in_its_disaster_inputs_as_far_as_56_villages_allow(county):
    """Floods strike whole villages: the disaster share doubles, but with 56 villages that could be
    chance, so it is "watch", not "act", and the report says how few households the villages are worth."""
    report, unshifted = county["reports"]["disaster-year"], _drift(county["reports"]["default"])
    assert report["verdict"] == "watch" and report["exit_code"] == 0
    drift = _drift(report)
    assert set(DISASTER) <= set(report["watch"])
    disasters = drift.loc["shocks_disaster_12m"]
    assert disasters["event_ratio"] >= 2.0 and disasters["design_effect"] >= 10 and disasters["event_p"] > EVENT_ACT_P
    assert unshifted.loc["shocks_disaster_12m", "status"] == "ok"
    assert unshifted.loc["shocks_disaster_12m", "event_ratio"] < disasters["event_ratio"]
    assert not set(JOB_LOSS) & set(report["watch"] + report["act"])


def test_the_gate_keeps_a_worse_challenger_out(county, tmp_path, monkeypatch):
    home = tmp_path / "home"
    shutil.copytree(county["base"] / "home", home)
    monkeypatch.setenv("STAYOUT_HOME", str(home))
    weak = tmp_path / "weak.yaml"       # one two-leaf tree on a few inputs: it can hardly rank
    weak.write_text(yaml.safe_dump({**SMALL_TRAINING, "splits": {**SMALL_TRAINING["splits"], "test_dates": 3,
                                                                         "max_training_dates": 2},
                                    "model": {"n_estimators": 1, "num_leaves": 2, "colsample_bytree": 0.05,
                                              "min_child_samples": 400}}), encoding="utf-8")
    assert main(["-q", "retrain", str(county["base"] / "job-crisis"), "--config", str(weak)]) == 0
    [record] = [json.loads(path.read_text(encoding="utf-8")) for path in (home / "decisions").glob("*-retrain-*.json")
                if json.loads(path.read_text(encoding="utf-8"))["version"] == 2]
    assert record["outcome"] == "refused" and record["champion_before"] == record["champion_after"] == 1
    # three test dates after the champion's last: the registered champion itself is scored on them
    assert "compared as champion on unseen dates" in record["reasons"]
    figures = record["figures"]
    assert figures["challenger_recall_at_capacity"] < figures["champion_recall_at_capacity"]
    assert figures["challenger_roc_auc"] < figures["champion_roc_auc"] - 0.005
    assert any(text.startswith("a recall at township capacity of at least") for text in record["would_change"])
    assert registry.model_version(registry.DEFAULT_MODEL_NAME, registry.CHAMPION).version == 1
    run = registry.model_version(registry.DEFAULT_MODEL_NAME, 2).run_id
    assert "retrain, refused" in registry.run_text(run, "decision.md")
