"""How much of a generated county's future can be seen at all: lists made from the hidden truth.

A product never reads `truth/`; this check does, to put the test figures in proportion. On the
test dates of the training plan (with the plan's label) it ranks households by what nobody can observe: their true
position at the end of the month before D (the true rolling 12-month income, and what is left
after rigid spending, per person against the line) and their true earning rate at that moment.
Recall@10% and at township capacity of those lists is roughly the most a model that knows the
present perfectly, but not the future, can reach; beside the latest trained model it prints the
share of the distance from today's rules to that ceiling the model closes.

    python -m synthetic.ceiling DATA_DIR [--config FILE]
"""
from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from features.read import read_export
from stayout.home import go_offline, quarantine_dir_for
from training.baselines import rule_scores
from training.config import TrainingConfig, load_config
from training.dataset import labelled_frame
from training.metrics import precision_recall_at_capacity, precision_recall_at_k, roc_auc
from training.splits import plan_splits

TRUTH_COLUMNS = ["household_id", "month", "income_pc_12m_true", "net_pc_12m_true", "income_rate_pc_true", "line_yuan"]
LISTS = {
    "today's rules": None,
    "truth: position at D (12-month income and net of rigid spending)": "oracle_position",
    "truth: earning rate at D": "oracle_rate",
    "truth: the lower of both": "oracle_both",
}


def oracle_scores(frame: pd.DataFrame, household_month: pd.DataFrame) -> pd.DataFrame:
    """`frame` with oracle_position, oracle_rate, oracle_both (higher = worse off) from the truth
    at the end of the month before each as-of date; households without truth score lowest."""
    truth = household_month[TRUTH_COLUMNS].copy()
    truth["as_of"] = (truth["month"] + pd.DateOffset(months=1)).astype("datetime64[us]")
    truth["household_id"] = truth["household_id"].astype("str")
    keys = frame[["household_id", "as_of"]].astype({"household_id": "str", "as_of": "datetime64[us]"})
    joined = keys.merge(truth.drop(columns="month"), on=["household_id", "as_of"], how="left")
    position = np.minimum(joined["income_pc_12m_true"], joined["net_pc_12m_true"]) / joined["line_yuan"]
    rate = joined["income_rate_pc_true"] / joined["line_yuan"]
    worst = np.finfo(float).max
    return frame.assign(oracle_position=(-position).fillna(-worst).to_numpy(),
                        oracle_rate=(-rate).fillna(-worst).to_numpy(),
                        oracle_both=(-np.minimum(position, rate)).fillna(-worst).to_numpy())


def ceiling_table(tables: dict[str, pd.DataFrame], household_month: pd.DataFrame, config: TrainingConfig,
                  exported_at: pd.Timestamp | None = None) -> pd.DataFrame:
    """ROC-AUC, recall@10% and recall at township capacity of today's rules and of the truth lists
    on the plan's test dates, with the plan's label."""
    plan = plan_splits(tables, config.splits, exported_at)
    test_only = replace(plan, train=(), validation=(), refit_train=(), refit_validation=())
    frame = labelled_frame(tables, test_only, exported_at=exported_at)
    frame = oracle_scores(frame, household_month).assign(**{"today's rules": lambda f: rule_scores(f).to_numpy()})
    capacity = config.evaluation.township_capacity
    rows = []
    for name, column in LISTS.items():
        score = column or name
        rows.append({"list": name, "roc_auc": roc_auc(frame["relapse_12m"].astype(bool), frame[score]),
                     "recall_at_10pct": precision_recall_at_k(frame, score, 0.10)["recall"],
                     "recall_at_capacity": precision_recall_at_capacity(frame, score, capacity)["recall"]})
    table = pd.DataFrame(rows)
    rules = float(table.loc[0, "recall_at_10pct"])
    table["x_rules"] = table["recall_at_10pct"] / rules if rules > 0 else np.nan
    return table


def distance_closed(table: pd.DataFrame, model: dict[str, float]) -> dict[str, float]:
    """Per workload, the share of the distance between today's rules and the ceiling (the lower
    of both truth lists) that the model's recall closes: 0 is no better than the rules, 1 is the
    ceiling."""
    rules, ceiling = table.iloc[0], table.iloc[-1]
    out = {}
    for key in ("recall_at_10pct", "recall_at_capacity"):
        gap = ceiling[key] - rules[key]
        out[key] = (model[key] - rules[key]) / gap if gap > 0 and key in model else np.nan
    return out


def _latest_model_figures(config: TrainingConfig) -> tuple[int, dict[str, float]] | None:
    """The challenger's test figures, when a model has been trained (MLflow through the adapter)."""
    from models import registry

    if not registry.has_alias(config.registered_model, registry.CHALLENGER):
        return None
    found = registry.model_version(config.registered_model, registry.CHALLENGER)
    return found.version, registry.run_metrics(found.run_id)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args(argv)
    truth = args.data_dir / "truth" / "household_month.parquet"
    if not truth.exists():
        parser.error(f"{truth} not found: the ceiling needs a generated export with its truth folder")
    go_offline()
    config = load_config(args.config)
    export = read_export(args.data_dir, quarantine_dir_for(args.data_dir))
    exported_at = export.exported_at
    table = ceiling_table(export.tables, pd.read_parquet(truth, columns=TRUTH_COLUMNS), config, exported_at)
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    found = _latest_model_figures(config)
    if found:
        version, metrics = found
        closed = distance_closed(table, metrics)
        print(f"model (version {version}, same test window): recall@10% {metrics.get('recall_at_10pct', np.nan):.3f}, "
              f"at township capacity {metrics.get('recall_at_capacity', np.nan):.3f}")
        print(f"share of the distance from today's rules to the ceiling that the model closes: "
              f"{closed['recall_at_10pct']:.0%} at 10%, {closed['recall_at_capacity']:.0%} at township capacity")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
