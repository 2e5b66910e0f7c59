"""The truth lists that bound what any model can reach on a generated county."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.validate import validate_tables
from synthetic.ceiling import LISTS, ceiling_table, distance_closed, oracle_scores
from synthetic.simulate import SimulationConfig, simulate
from training.config import TrainingConfig


def test_oracle_reads_the_truth_of_the_month_before_the_as_of_date():
    truth = pd.DataFrame({
        "household_id": ["H1", "H1", "H2"], "month": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01"]),
        "income_pc_12m_true": [8000.0, 1.0, 20000.0], "net_pc_12m_true": [6000.0, 1.0, 20000.0],
        "income_rate_pc_true": [9000.0, 1.0, 30000.0], "line_yuan": [7500.0, 7500.0, 7500.0]})
    frame = pd.DataFrame({"household_id": ["H1", "H2", "H3"], "as_of": pd.to_datetime(["2024-02-01"] * 3)})
    scored = oracle_scores(frame, truth)
    assert scored["oracle_position"].tolist()[:2] == pytest.approx([-0.8, -20000 / 7500])
    assert scored["oracle_rate"].tolist()[:2] == pytest.approx([-1.2, -4.0])
    assert scored["oracle_both"].tolist()[:2] == pytest.approx([-0.8, -20000 / 7500])
    assert scored.loc[2, "oracle_both"] < -1e300          # no truth: listed last


def test_distance_closed_runs_from_the_rules_to_the_ceiling():
    table = pd.DataFrame({"list": list(LISTS), "recall_at_10pct": [0.4, 0.5, 0.6, 0.8],
                          "recall_at_capacity": [0.2, 0.3, 0.3, 0.4]})
    closed = distance_closed(table, {"recall_at_10pct": 0.6, "recall_at_capacity": 0.2})
    assert closed["recall_at_10pct"] == pytest.approx(0.5) and closed["recall_at_capacity"] == 0


@pytest.mark.slow
def test_ceiling_table_on_a_small_county():
    simulation = simulate(SimulationConfig(households=1500, counties=2, start="2021-01", months=44, seed=12))
    tables = validate_tables(simulation.tables).accepted()
    config = TrainingConfig.model_validate({"splits": {"test_dates": 2, "validation_dates": 2, "max_training_dates": 6}})
    table = ceiling_table(tables, simulation.truth["household_month"], config)
    assert table["list"].tolist() == list(LISTS)
    assert table["recall_at_10pct"].between(0, 1).all() and table.loc[0, "x_rules"] == 1.0
    assert table["recall_at_capacity"].between(0, 1).all()
    assert (table["roc_auc"].iloc[1:] > 0.7).all()        # the truth of today says much about next year
