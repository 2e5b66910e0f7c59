"""Training on exports of other lengths: three years with the default configuration, and a later
export whose gate scores the registered champion on dates it never learned."""
from __future__ import annotations

import mlflow
import pandas as pd
import pytest

from models import registry
from stayout.cli import main
from synthetic.export import write_export
from synthetic.simulate import SimulationConfig, simulate

from .test_training_e2e import SMALL, _config_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def county(trained_once):
    """The session's county (1,500 households, 44 months, seed 12), only read here."""
    return trained_once["county"]


def test_three_years_of_records_train_a_champion_with_the_default_config(tmp_path, capsys):
    """Records from 2021-01, taken on 2024-01-01: the plan says what it did, a champion is registered,
    and out of time it finds more of the relapses at township capacity than today's rules."""
    simulation = simulate(SimulationConfig(households=6000, counties=3, start="2021-01", months=36, seed=17))
    write_export(simulation, tmp_path / "three-years", seed=17)
    assert main(["splits", str(tmp_path / "three-years")]) == 0
    plan_text = capsys.readouterr().out
    assert "Export ends 2024-01-01" in plan_text and "label:" in plan_text
    assert main(["train", str(tmp_path / "three-years")]) == 0
    out = capsys.readouterr().out
    assert "as champion (first model)" in out
    champion = registry.model_version("stayout-relapse", "champion")
    metrics = registry.run_metrics(champion.run_id)
    print(f"\n36 months: recall at capacity model {metrics['recall_at_capacity']:.3f}, rules "
          f"{metrics['rules_recall_at_capacity']:.3f}; recall@10% {metrics['recall_at_10pct']:.3f} vs "
          f"{metrics['rules_recall_at_10pct']:.3f}; ROC-AUC {metrics['roc_auc']:.3f} vs {metrics['rules_roc_auc']:.3f}")
    assert metrics["recall_at_capacity"] > metrics["rules_recall_at_capacity"]
    assert metrics["recall_at_10pct"] > metrics["rules_recall_at_10pct"]
    assert champion.tags["learned_until"] <= "2022-10-01"


def test_a_later_export_scores_the_registered_champion_on_dates_it_never_learned(county, tmp_path, capsys):
    """A year on, the county's new export has final dates after the champion's last one (need is
    settled a year at a time, with each autumn's assessment)."""
    home = tmp_path / "later"
    simulation = simulate(SimulationConfig(households=1500, counties=2, start="2021-01", months=56, seed=12))
    write_export(simulation, home / "export-56", seed=12)
    config = _config_file(tmp_path, registered_model="later", experiment="later",
                          splits={**SMALL["splits"], "test_dates": 3}, model={"n_estimators": 40, "min_child_samples": 20},
                          evaluation={"bootstrap_samples": 10})
    assert main(["train", str(county), "--config", config]) == 0
    champion = registry.model_version("later", "champion")
    assert main(["train", str(home / "export-56"), "--config", config]) == 0
    assert "gate: champion on unseen dates" in capsys.readouterr().out
    challenger = registry.model_version("later", "challenger")
    tags = mlflow.get_run(challenger.run_id).data.tags
    assert tags["gate.comparison"] == "champion on unseen dates"
    assert all(pd.Timestamp(d) > pd.Timestamp(champion.tags["learned_until"]) for d in tags["gate.dates"].split(","))
    assert tags["champion_scored_version"] == str(champion.version)
