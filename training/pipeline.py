"""One training run: plan, features and labels, model and baselines, evaluation, fairness, MLflow.

The evaluated model is trained on the plan's training dates and judged on its test dates beside
today's rules and a logistic regression. The model registered for scoring is then refitted on
the plan's refit dates (the latest usable final labels) with the same settings; the version
records the last as-of date it learned from. The current champion (if any) is compared with
the evaluated model on dates neither learned from (`training.gate`).
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.build import build_features
from features.catalogue import FEATURES, model_features
from features.context import PreparedExport
from features.fingerprint import data_snapshot_hash
from features.contract import CONTRACT_VERSION
from features.history import villages_at
from features.labels import LABEL_SCHEMA_VERSION, NeedGrid
from models import registry
from models.bundle import reference_of
from training import plots
from training.baselines import rule_scores
from training.comparisons import looks_fine_figures, recall_differences
from training.config import TrainingConfig
from training.dataset import labelled_frame, part
from training.fairness import fairness_audit, fairness_flags
from training.gate import GateComparison, compare_with_champion
from training.global_view import global_view
from training.metrics import comparison_table, evaluate
from training.model_card import card_html, model_card
from training.model import fit_bundle, fit_logistic, logistic_scores
from training.predictability import audit_metrics, audit_record, predictability_audit
from training.splits import SplitPlan, describe_plan, plan_splits

log = logging.getLogger(__name__)
MODEL, RULES, LOGISTIC = "model", "today's rules", "logistic regression"
SCORES = (MODEL, RULES, LOGISTIC)
METRIC_PREFIX = {MODEL: "", RULES: "rules_", LOGISTIC: "logistic_"}


@dataclass
class TrainingResult:
    run_id: str
    version: int
    plan: SplitPlan
    comparison: pd.DataFrame
    looks_fine: pd.DataFrame
    fairness: pd.DataFrame
    flags: list[str]
    became_champion: bool
    predictability: dict
    gate: GateComparison
    schedule: pd.DataFrame
    evaluated: object            # the pre-refit twin judged on the test window (a ModelBundle)


def reference_dates(plan: SplitPlan, months: int = 12) -> list[pd.Timestamp]:
    """The as-of dates of the drift reference kept with the model: the export's last `months` month
    starts (from its first training date on). The dates the model learned from are at least a year
    older (their outcome had to be known), and a reference that old mistakes the passing of time
    for a change in the county; these are the newest cohorts the model's export could show."""
    newest = (plan.data_end + pd.Timedelta(days=1)).to_period("M").to_timestamp()
    dates = pd.date_range(end=newest, periods=months, freq="MS")
    return [date for date in dates if date >= min(plan.all_dates)]


def train(tables: dict[str, pd.DataFrame], config: TrainingConfig,
          progress: Callable[[Iterable], Iterable] | None = None,
          exported_at: pd.Timestamp | None = None) -> TrainingResult:
    prepared = PreparedExport.prepare(tables)   # the export's work shared by the plan, features and labels
    grid = NeedGrid.build(tables, prepared.index, prepared.income)
    plan = plan_splits(tables, config.splits, exported_at, grid)
    frame = labelled_frame(tables, plan, progress=progress, exported_at=exported_at, prepared=prepared, grid=grid)
    train_rows, valid_rows, test = part(frame, "train"), part(frame, "validation"), part(frame, "test")
    names = model_features(config.include_protected)
    tiers = config.explanations.tiers
    evaluated = fit_bundle(train_rows, valid_rows, names, config.model, config.seed, tiers)
    logistic = fit_logistic(train_rows, names, config.seed)
    test = test.assign(**{MODEL: evaluated.predict(test), RULES: rule_scores(test).to_numpy(),
                          LOGISTIC: logistic_scores(logistic, test, names)})
    evaluation = config.evaluation
    results = {name: _evaluate(test, name, config) for name in SCORES}
    results[MODEL].update(recall_differences(test, MODEL, {RULES: "rules", LOGISTIC: "logistic"},
                                             evaluation.township_capacity, evaluation.list_shares,
                                             evaluation.bootstrap_samples, config.seed))
    fine = looks_fine_figures(test, SCORES, evaluation.township_capacity, evaluation.list_shares)
    audit_model = fairness_audit(test, MODEL, capacity=evaluation.township_capacity,
                                 n_boot=evaluation.bootstrap_samples, seed=config.seed)
    audit = predictability_audit(test, names, list(SCORES))
    gate = compare_with_champion(config, plan, train_rows, valid_rows, test)
    refit_rows = part(frame, "train", "refit_part")
    refit = fit_bundle(refit_rows, part(frame, "validation", "refit_part"), names, config.model, config.seed, tiers)
    recent = build_features(tables, reference_dates(plan), prepared=prepared)
    refit.reference = reference_of(refit, recent, villages_at(tables["households"], recent))
    refit.info.update(learned_until=f"{plan.learned_until:%Y-%m-%d}", label=plan.label,
                      evaluated_best_iteration=evaluated.info["best_iteration"])
    schedule = describe_plan(plan, frame)
    with registry.run(config.experiment) as run:
        _log_run(run, config, tables, plan, schedule, refit, results, audit_model, test)
        run.log_dict(audit_record(audit), "predictability.json")
        run.log_metrics(_finite({**audit_metrics(audit, MODEL), **_looks_fine_metrics(fine), **gate.metrics}))
        run.log_dict({"model": {"flags": fairness_flags(audit_model), "audit": audit_model.to_dict("records")},
                         "gate": {"challenger": gate.challenger_flags, "champion": gate.champion_flags,
                                  "recall": gate.group_recall}},
                        "fairness.json")
        view, figure = global_view(refit, test, config.seed)
        run.log_dict(view, "explanations_global.json")
        run.log_figure(figure, "plots/shap_summary.png")
        version = registry.log_and_register(refit, config.registered_model)
        registry.set_version_tags(config.registered_model, version,
                                  {"learned_until": f"{plan.learned_until:%Y-%m-%d}", "label": plan.label,
                                   "feature_schema": refit.schema_version})
        card = model_card(config.registered_model, version, plan, schedule, comparison_table(results), audit_model,
                          fairness_flags(audit_model), refit.reference.pooled.rows if refit.reference else 0)
        run.log_text(card, "model_card.md")
        run.log_text(card_html(card, f"{config.registered_model} v{version}"), "model_card.html")
        became_champion = not registry.has_alias(config.registered_model, registry.CHAMPION)
        registry.set_alias(config.registered_model, registry.CHALLENGER, version)
        if became_champion:
            registry.set_alias(config.registered_model, registry.CHAMPION, version)
        run.set_tags({"became_champion": str(became_champion).lower(), "gate.comparison": gate.kind,
                         "gate.dates": ",".join(f"{d:%Y-%m-%d}" for d in gate.dates),
                         "gate.notes": " | ".join(gate.notes)[:4900],
                         "champion_scored_version": str(gate.champion_version or "none")})
    return TrainingResult(run.run_id, version, plan, comparison_table(results), fine, audit_model,
                          fairness_flags(audit_model), became_champion, audit, gate, schedule, evaluated)


def _evaluate(test: pd.DataFrame, score: str, config: TrainingConfig) -> dict:
    evaluation = config.evaluation
    return evaluate(test, score, capacity=evaluation.township_capacity, ks=evaluation.list_shares,
                    n_boot=evaluation.bootstrap_samples, seed=config.seed)


def _looks_fine_metrics(fine: pd.DataFrame) -> dict[str, float]:
    metrics = {}
    for row in fine.to_dict("records"):
        prefix = METRIC_PREFIX[row.pop("score")]
        metrics.update({f"{prefix}{key}": float(value) for key, value in row.items()})
    return metrics


def _finite(metrics: dict) -> dict[str, float]:
    return {key: float(value) for key, value in metrics.items() if value is not None and np.isfinite(value)}


def _log_run(run: registry.Run, config, tables, plan, schedule, bundle, results, audit_model, test) -> None:
    run.log_params(_flat_params(config.resolved()))
    run.set_tags({"config_hash": config.digest(), "data_snapshot": data_snapshot_hash(tables),
                     "seed": str(config.seed), "feature_schema": bundle.schema_version,
                     "label_schema": LABEL_SCHEMA_VERSION, "contract_version": CONTRACT_VERSION,
                     "best_iteration": str(bundle.info["best_iteration"]), "label": plan.label,
                     "evaluation": plan.evaluation, "learned_until": f"{plan.learned_until:%Y-%m-%d}",
                     "plan.notes": " | ".join(plan.notes)[:4900]})
    run.log_dict(config.resolved(), "config.json")
    run.log_dict({"features": [f.__dict__ for f in FEATURES], "model_inputs": list(bundle.feature_names)},
                    "feature_catalogue.json")
    run.log_text("\n".join(plan.notes) + "\n\n" + schedule.to_string(index=False), "splits.txt")
    for name, metrics in results.items():
        run.log_metrics(_finite({METRIC_PREFIX[name] + key: value for key, value in metrics.items()}))
    run.log_text(comparison_table(results).to_string(), "comparison.txt")
    _log_figures(run, test, results, audit_model)


def _log_figures(run: registry.Run, test: pd.DataFrame, results: dict, audit_model: pd.DataFrame) -> None:
    y = test["relapse_12m"].astype(bool).to_numpy()
    curves = {name: (y, test[name].to_numpy()) for name in results}
    figures = {"roc.png": plots.roc_figure(curves), "pr.png": plots.pr_figure(curves),
               "calibration.png": plots.calibration_figure_for(y, test[MODEL].to_numpy()),
               "precision_at_k.png": plots.precision_at_k_figure(test, list(results)),
               "fairness.png": plots.fairness_figure(audit_model)}
    for name, figure in figures.items():
        run.log_figure(figure, f"plots/{name}")


def _flat_params(config: dict, prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in config.items():
        if isinstance(value, dict):
            flat.update(_flat_params(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat
