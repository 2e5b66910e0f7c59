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
from training.config import GateConfig, TrainingConfig
from training.dataset import labelled_frame, part
from training.pipeline import train
from training.promote import judge
from tests.conftest import home_with_model

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


def test_train_register_promote_reload(trained_once, county, stayout_home, tmp_path, capsys):
    """The first model is the session's (`stayout train` on this county, in a home of its own, copied
    here with what the command printed); the challenger is trained here."""
    home_with_model(trained_once, stayout_home)
    out = trained_once["output"]
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
    config = TrainingConfig.model_validate(yaml.safe_load(trained_once["config"].read_text(encoding="utf-8")))
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


def test_same_data_config_and_seed_give_identical_metrics(trained_once, tmp_path, monkeypatch):
    """The session's model trained again, with its own data, config and seed, in a copy of its home."""
    home = home_with_model(trained_once, tmp_path / "home")
    monkeypatch.setenv("STAYOUT_HOME", str(home))
    config = TrainingConfig.model_validate(yaml.safe_load(trained_once["config"].read_text(encoding="utf-8")))
    again = train(read_export(trained_once["county"]).tables, config)
    first = registry.model_version(config.registered_model, 1)
    a, b = registry.run_metrics(first.run_id), registry.run_metrics(again.run_id)
    model_metrics = [k for k in a if not k.startswith(("champion_", "promotion_", "gate_"))]
    assert len(model_metrics) > 20 and again.version == 2
    assert all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in model_metrics)


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
    flag = "recall of x=True is 0.50x that of x=False (90% CI 0.30-0.80)"
    recall = {"challenger": {"x=True": 0.10, "x=False": 0.20}, "champion": {"x=True": 0.15, "x=False": 0.15}}
    new_flag, reasons, _ = judge(challenger(0.40, 0.81), [flag], [], gate, recall)
    old_flag, _, _ = judge(challenger(0.40, 0.81), [flag], [flag.replace("0.50x", "0.60x")], gate, recall)
    no_champion, _, _ = judge({"gate_challenger_recall_at_capacity": 0.4, "gate_challenger_roc_auc": 0.8}, [], [],
                              gate)
    assert not small_gain and not auc_loss and not new_flag and old_flag and not no_champion
    assert "new fairness flags" in reasons[-1]
    # the group behind (x=True) is caught as often as before: the others gained, nobody lost
    level = {"challenger": {"x=True": 0.15, "x=False": 0.30}, "champion": {"x=True": 0.15, "x=False": 0.15}}
    gained, reasons, _ = judge(challenger(0.40, 0.81), [flag], [], gate, level)
    assert gained and "reported but not binding" in reasons[-1]
    # above the band the reference group is the one left behind; unknown recalls bind
    above = "recall of x=True is 2.00x that of x=False (90% CI 1.50-3.00)"
    fell = {"challenger": {"x=True": 0.40, "x=False": 0.10}, "champion": {"x=True": 0.15, "x=False": 0.15}}
    assert not judge(challenger(0.40, 0.81), [above], [], gate, fell)[0]
    assert judge(challenger(0.40, 0.81), [above], [], gate, level | {"challenger": {"x=True": 0.4, "x=False": 0.2}})[0]
    assert not judge(challenger(0.40, 0.81), [flag], [], gate, None)[0]
    precision = "precision of x=True is 1.90x that of x=False (90% CI 1.10-3.00)"
    assert judge(challenger(0.40, 0.81), [precision], [], gate, recall)[0]
