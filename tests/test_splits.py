"""The temporal plan: no overlap, final labels, an embargo before the test window, held-out counties."""
from __future__ import annotations

import pandas as pd
import pytest

from features.labels import HORIZON_MONTHS, data_end, is_final
from features.validate import validate_tables
from stayout.errors import InputError
from synthetic.simulate import SimulationConfig, simulate
from training.config import SplitConfig
from training.dataset import labelled_frame
from training.splits import plan_splits


@pytest.fixture(scope="module")
def tables():
    simulation = simulate(SimulationConfig(households=300, counties=2, start="2021-01", months=48, seed=4))
    return validate_tables(simulation.tables).accepted()


def test_plan_has_no_overlap_and_final_labels(tables):
    plan = plan_splits(tables, SplitConfig(test_dates=3, validation_dates=2, max_training_dates=6))
    assert len(plan.test) == 3 and len(plan.validation) == 2 and len(plan.train) == 6
    assert not set(plan.train) & set(plan.validation) and not set(plan.validation) & set(plan.test)
    assert max(plan.train) < min(plan.validation) < min(plan.test)
    end = data_end(tables)
    assert all(is_final(d, end) for d in plan.all_dates)
    next_month = plan.test[-1] + pd.DateOffset(months=1)
    assert not is_final(next_month, end), "the test window is the latest final dates"


def test_label_windows_of_training_and_validation_end_before_the_test_window(tables):
    plan = plan_splits(tables, SplitConfig())
    for as_of in plan.train + plan.validation:
        assert as_of + pd.DateOffset(months=HORIZON_MONTHS) <= plan.test[0]


def test_first_training_date_leaves_history(tables):
    plan = plan_splits(tables, SplitConfig(min_history_months=12, max_training_dates=100))
    first_income = tables["income"]["period_start"].min()
    assert plan.train[0] >= first_income + pd.DateOffset(months=12)


def test_too_short_an_export_is_a_clear_error():
    short = validate_tables(simulate(SimulationConfig(households=50, counties=1, start="2021-01", months=18,
                                                      seed=1)).tables).accepted()
    with pytest.raises(InputError, match="give a longer export"):
        plan_splits(short, SplitConfig())


def test_held_out_counties_only_in_test(tables):
    county = tables["areas"]["county_code"].iloc[0]
    plan = plan_splits(tables, SplitConfig(holdout_counties=(county,), max_training_dates=2, validation_dates=1,
                                           test_dates=1))
    frame = labelled_frame(tables, plan)
    assert not frame.loc[frame["part"] != "test", "county_code"].eq(county).any()
    assert frame.loc[frame["part"] == "test", "county_code"].eq(county).any()
    assert frame["relapse_12m"].notna().all()
