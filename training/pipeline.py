"""One training run: plan, features and labels, model and baselines, evaluation, fairness, MLflow.

The current champion (if any) is scored on this run's test window in the same run, so the
promotion gate later compares both on the same households.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import mlflow
import numpy as np
import pandas as pd

from features.catalogue import FEATURES, model_features
from models import registry
from training import plots
from training.baselines import rule_scores
from training.config import TrainingConfig
from training.dataset import labelled_frame, part
from training.fairness import fairness_audit, fairness_flags
from training.metrics import comparison_table, evaluate
from training.model import fit_bundle, fit_logistic, logistic_scores
from training.predictability import audit_metrics, audit_record, predictability_audit
from training.splits import SplitPlan, describe_plan, plan_splits

log = logging.getLogger(__name__)
MODEL, RULES, LOGISTIC, CHAMPION = "model", "today's rules", "logistic regression", "champion"
METRIC_PREFIX = {MODEL: "", RULES: "rules_", LOGISTIC: "logistic_", CHAMPION: "champion_"}


@dataclass
class TrainingResult:
    run_id: str
    version: int
    plan: SplitPlan
    comparison: pd.DataFrame
    fairness: pd.DataFrame
    flags: list[str]
    became_champion: bool
    predictability: dict


def data_snapshot_hash(tables: dict[str, pd.DataFrame]) -> str:
    """A fingerprint of the validated tables: the same export gives the same hash."""
    digest = hashlib.sha256()
    for name in sorted(tables):
        row_hashes = pd.util.hash_pandas_object(tables[name], index=False).to_numpy()
        digest.update(f"{name}:{len(row_hashes)}:{int(row_hashes.sum(dtype=np.uint64))};".encode())
    return digest.hexdigest()[:16]


def train(tables: dict[str, pd.DataFrame], config: TrainingConfig,
          progress: Callable[[Iterable], Iterable] | None = None) -> TrainingResult:
    plan = plan_splits(tables, config.splits)
    frame = labelled_frame(tables, plan, progress=progress)
    train_rows, valid_rows, test = part(frame, "train"), part(frame, "validation"), part(frame, "test")
    names = model_features(config.include_protected)
    bundle = fit_bundle(train_rows, valid_rows, names, config.model, config.seed)
    logistic = fit_logistic(train_rows, names, config.seed)
    test = test.assign(**{MODEL: bundle.predict(test), RULES: rule_scores(test).to_numpy(),
                          LOGISTIC: logistic_scores(logistic, test, names)})
    scored = [MODEL, RULES, LOGISTIC]
    champion, champion_version = _champion_scores(config, test)
    if champion is not None:
        test[CHAMPION] = champion
        scored.append(CHAMPION)
    results = {name: _evaluate(test, name, config) for name in scored}
    audits = {name: fairness_audit(test, name, capacity=config.evaluation.township_capacity,
                                   n_boot=config.evaluation.bootstrap_samples, seed=config.seed)
              for name in (MODEL, CHAMPION) if name in scored}
    audit = predictability_audit(test, names, [MODEL, RULES, LOGISTIC])
    with mlflow.start_run(experiment_id=registry.experiment_id(config.experiment)) as run:
        _log_run(config, tables, plan, frame, bundle, results, audits, test)
        mlflow.log_dict(audit_record(audit), "predictability.json")
        mlflow.log_metrics({key: value for key, value in audit_metrics(audit, MODEL).items() if np.isfinite(value)})
        version = registry.log_and_register(bundle, config.registered_model)
        became_champion = not registry.has_alias(config.registered_model, registry.CHAMPION)
        registry.set_alias(config.registered_model, registry.CHALLENGER, version)
        if became_champion:
            registry.set_alias(config.registered_model, registry.CHAMPION, version)
        mlflow.set_tags({"became_champion": str(became_champion).lower(),
                         "champion_scored_version": str(champion_version or "none")})
    return TrainingResult(run.info.run_id, version, plan, comparison_table(results), audits[MODEL],
                          fairness_flags(audits[MODEL]), became_champion, audit)


def _evaluate(test: pd.DataFrame, score: str, config: TrainingConfig) -> dict:
    evaluation = config.evaluation
    return evaluate(test, score, capacity=evaluation.township_capacity, ks=evaluation.list_shares,
                    n_boot=evaluation.bootstrap_samples, seed=config.seed)


def _champion_scores(config: TrainingConfig, test: pd.DataFrame) -> tuple[np.ndarray | None, int | None]:
    if not registry.has_alias(config.registered_model, registry.CHAMPION):
        return None, None
    bundle, found = registry.load_bundle(config.registered_model, registry.CHAMPION)
    log.info("scoring champion version %d on this test window", found.version)
    return bundle.predict(test), found.version


def _log_run(config, tables, plan, frame, bundle, results, audits, test) -> None:
    mlflow.log_params(_flat_params(config.resolved()))
    mlflow.set_tags({"config_hash": config.digest(), "data_snapshot": data_snapshot_hash(tables),
                     "seed": str(config.seed), "feature_schema": bundle.schema_version,
                     "best_iteration": str(bundle.info["best_iteration"])})
    mlflow.log_dict(config.resolved(), "config.json")
    mlflow.log_dict({"features": [f.__dict__ for f in FEATURES], "model_inputs": list(bundle.feature_names)},
                    "feature_catalogue.json")
    mlflow.log_text(describe_plan(plan, frame).to_string(index=False), "splits.txt")
    for name, metrics in results.items():
        mlflow.log_metrics({METRIC_PREFIX[name] + key: float(value) for key, value in metrics.items()
                            if value is not None and np.isfinite(value)})
    mlflow.log_dict({name: {"flags": fairness_flags(audit), "audit": audit.to_dict("records")}
                     for name, audit in audits.items()}, "fairness.json")
    mlflow.log_text(comparison_table(results).to_string(), "comparison.txt")
    _log_figures(test, results, audits)


def _log_figures(test: pd.DataFrame, results: dict, audits: dict) -> None:
    y = test["relapse_12m"].astype(bool).to_numpy()
    curves = {name: (y, test[name].to_numpy()) for name in results}
    figures = {"roc.png": plots.roc_figure(curves), "pr.png": plots.pr_figure(curves),
               "calibration.png": plots.calibration_figure_for(y, test[MODEL].to_numpy()),
               "precision_at_k.png": plots.precision_at_k_figure(test, list(results)),
               "fairness.png": plots.fairness_figure(audits[MODEL])}
    for name, figure in figures.items():
        mlflow.log_figure(figure, f"plots/{name}")


def _flat_params(config: dict, prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(_flat_params(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat
