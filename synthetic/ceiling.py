"""How much of a generated county's future can be seen at all: lists made from the hidden truth.

A product never reads `truth/`; this check does, to put the test figures in proportion. On the
test dates of the training plan it ranks households by what nobody can observe: their true
position at the end of the month before D (the true rolling 12-month income, and what is left
after rigid spending, per person against the line) and their true earning rate at that moment.
Recall@10% of those lists is roughly the most a model that knows the present perfectly, but not
the future, can reach. A target above it cannot be met by a better model, only by easier data.

    python -m synthetic.ceiling DATA_DIR [--config FILE]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from features.build import build_features
from features.labels import attach_labels
from features.read import read_export
from stayout.home import go_offline, quarantine_dir_for
from training.baselines import rule_scores
from training.config import TrainingConfig, load_config
from training.metrics import precision_recall_at_k, roc_auc
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


def ceiling_table(tables: dict[str, pd.DataFrame], household_month: pd.DataFrame,
                  config: TrainingConfig) -> pd.DataFrame:
    """ROC-AUC and recall@10% of today's rules and of the truth lists on the plan's test dates."""
    plan = plan_splits(tables, config.splits)
    frame = attach_labels(build_features(tables, plan.test), tables)
    frame = oracle_scores(frame, household_month).assign(**{"today's rules": lambda f: rule_scores(f).to_numpy()})
    rows = []
    for name, column in LISTS.items():
        score = column or name
        rows.append({"list": name, "roc_auc": roc_auc(frame["relapse_12m"].astype(bool), frame[score]),
                     "recall_at_10pct": precision_recall_at_k(frame, score, 0.10)["recall"]})
    table = pd.DataFrame(rows)
    rules = float(table.loc[0, "recall_at_10pct"])
    table["x_rules"] = table["recall_at_10pct"] / rules if rules > 0 else np.nan
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args(argv)
    truth = args.data_dir / "truth" / "household_month.parquet"
    if not truth.exists():
        parser.error(f"{truth} not found: the ceiling needs a generated export with its truth folder")
    go_offline()
    export = read_export(args.data_dir, quarantine_dir_for(args.data_dir))
    table = ceiling_table(export.tables, pd.read_parquet(truth, columns=TRUTH_COLUMNS), load_config(args.config))
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"A model reaching 1.5x today's rules needs recall@10% {1.5 * table.loc[0, 'recall_at_10pct']:.3f}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
