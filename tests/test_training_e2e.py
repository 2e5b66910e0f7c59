"""End to end on a small county: train, register, reload, a refused and a forced promotion, repeatability."""
from __future__ import annotations

import math

import mlflow
import pandas as pd
import pytest
import yaml

from features.catalogue import FAMILY_LABELS
from features.read import read_export
from models import registry
from stayout.cli import main
from synthetic.export import write_export
from synthetic.simulate import SimulationConfig, simulate
from training.config import GateConfig, TrainingConfig
from training.dataset import labelled_frame, part
from training.pipeline import train
from training.promote import judge

pytestmark = pytest.mark.slow
SMALL = {"splits": {"test_dates": 2, "validation_dates": 2, "max_training_dates": 6},
         "model": {"n_estimators": 120, "min_child_samples": 20}, "evaluation": {"bootstrap_samples": 30}}


@pytest.fixture(scope="module")
def county(trained_once):
    """The session's county (1,500 households, 44 months, seed 12), only read here."""
    return trained_once["county"]


def _config_file(folder, **changes) -> str:
    data = {**SMALL, **changes}
    path = folder / f"config-{abs(hash(str(changes)))}.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return str(path)


def test_train_register_promote_reload(county, tmp_path, capsys):
    assert main(["train", str(county), "--config", _config_file(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "today's rules" in out and "logistic regression" in out and "as champion (first model)" in out
    assert "Is the answer too easy?" in out and "formerly poor: ROC-AUC model" in out
    first = registry.model_version("stayout-relapse", "champion")
    assert first.version == 1 and set(first.aliases) == {"champion", "challenger"}

    run = mlflow.get_run(first.run_id)
    for metric in ("roc_auc", "roc_auc_low", "ece", "recall_at_10pct", "recall_at_capacity",
                   "rules_recall_at_10pct", "logistic_roc_auc", "max_single_feature_auc", "roc_auc_formerly_poor"):
        assert metric in run.data.metrics, metric
    assert {"config_hash", "data_snapshot", "seed"} <= set(run.data.tags)
    assert run.data.tags["label_schema"] == "2" and run.data.tags["feature_schema"] == "2"
    artifacts = {a.path for a in mlflow.artifacts.list_artifacts(run_id=first.run_id, artifact_path="plots")}
    assert {"plots/roc.png", "plots/calibration.png", "plots/fairness.png", "plots/shap_summary.png"} <= artifacts
    view = mlflow.artifacts.load_dict(f"runs:/{first.run_id}/explanations_global.json")
    assert set(view["mean_abs_contribution_by_family"]) <= set(FAMILY_LABELS) and view["rows"] > 0
    audit = mlflow.artifacts.load_dict(f"runs:/{first.run_id}/predictability.json")
    assert {"notes", "single_features", "within_groups", "late_discoveries"} <= set(audit)

    assert first.tags["learned_until"] == run.data.tags["learned_until"]

    # reload through MLflow: calibrated probabilities from contract-derived features
    config = TrainingConfig.model_validate(SMALL)
    export = read_export(county)
    from training.splits import plan_splits
    plan = plan_splits(export.tables, config.splits, export.exported_at)
    assert first.tags["learned_until"] == f"{plan.learned_until:%Y-%m-%d}"
    test = part(labelled_frame(export.tables, plan, exported_at=export.exported_at), "test")
    bundle, _ = registry.load_bundle("stayout-relapse", "champion")
    loaded = mlflow.pyfunc.load_model("models:/stayout-relapse@champion")
    inputs = test[list(bundle.feature_names)]
    scores = loaded.predict(inputs)["score"].to_numpy()
    assert ((scores >= 0) & (scores <= 1)).all()
    pd.testing.assert_series_equal(pd.Series(scores), pd.Series(bundle.predict(test)))

    # a challenger on the same export: the champion learned every test date, so the two procedures
    # are trained again on the same dates and compared on the test window; the gate refuses it
    assert main(["train", str(county), "--config", _config_file(tmp_path, seed=99)]) == 0
    assert "gate: procedures on the test window" in capsys.readouterr().out
    second = registry.model_version("stayout-relapse", "challenger")
    assert second.version == 2
    assert {"gate_challenger_recall_at_capacity", "gate_champion_recall_at_capacity"} <= set(
        registry.run_metrics(second.run_id))
    assert mlflow.get_run(second.run_id).data.tags["gate.comparison"] == "procedures on the test window"
    strict = _config_file(tmp_path, gate={"recall_margin": 1.0})
    assert main(["promote", "--config", strict]) == 1
    assert "refused" in capsys.readouterr().out
    assert registry.model_version("stayout-relapse", "champion").version == 1
    assert mlflow.get_run(second.run_id).data.tags["promotion.decision"] == "refused"

    assert main(["promote", "--config", strict, "--force"]) == 0
    assert "(forced)" in capsys.readouterr().out
    assert registry.model_version("stayout-relapse", "champion").version == 2
    assert mlflow.get_run(second.run_id).data.tags["promotion.forced"] == "true"

    assert main(["models"]) == 0
    listing = capsys.readouterr().out
    assert "version   1" in listing and "champion" in listing


def test_same_data_config_and_seed_give_identical_metrics(county):
    config = TrainingConfig.model_validate({**SMALL, "registered_model": "repeat", "experiment": "repeat",
                                            "model": {"n_estimators": 40, "min_child_samples": 20},
                                            "evaluation": {"bootstrap_samples": 10}})
    tables = read_export(county).tables
    first, second = train(tables, config), train(tables, config)
    a, b = registry.run_metrics(first.run_id), registry.run_metrics(second.run_id)
    model_metrics = [k for k in a if not k.startswith(("champion_", "promotion_"))]
    assert model_metrics and all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in model_metrics)


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


def test_gate_rules():
    gate = GateConfig(recall_margin=0.01, auc_tolerance=0.005)
    base = {"gate_champion_recall_at_capacity": 0.30, "gate_champion_roc_auc": 0.80}
    ok, reasons, _ = judge({**base, "gate_challenger_recall_at_capacity": 0.32, "gate_challenger_roc_auc": 0.797},
                           [], [], gate)
    assert ok, reasons

    def challenger(recall, auc):
        return {**base, "gate_challenger_recall_at_capacity": recall, "gate_challenger_roc_auc": auc}

    small_gain, _, _ = judge(challenger(0.305, 0.81), [], [], gate)
    auc_loss, _, _ = judge(challenger(0.40, 0.79), [], [], gate)
    new_flag, reasons, _ = judge(challenger(0.40, 0.81), ["recall of x"], [], gate)
    old_flag, _, _ = judge(challenger(0.40, 0.81), ["recall of x"], ["recall of x"], gate)
    no_champion, _, _ = judge({"gate_challenger_recall_at_capacity": 0.4, "gate_challenger_roc_auc": 0.8}, [], [],
                              gate)
    assert not small_gain and not auc_loss and not new_flag and old_flag and not no_champion
    assert "new fairness flags" in reasons[-1]


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
