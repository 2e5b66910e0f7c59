"""The temporal plan: no overlap, final labels of one meaning, an embargo, a refit, held-out counties."""
from __future__ import annotations

import pandas as pd
import pytest

from features.labels import HORIZON_MONTHS, data_end, is_final
from features.validate import validate_tables
from stayout.errors import InputError
from synthetic.simulate import SimulationConfig, simulate
from training.config import SplitConfig
from training.dataset import labelled_frame
from training.splits import export_start, plan_splits, settled_dates


def _county(months: int, seed: int = 4, households: int = 300, counties: int = 2) -> dict[str, pd.DataFrame]:
    simulation = simulate(SimulationConfig(households=households, counties=counties, start="2021-01", months=months,
                                           seed=seed))
    return validate_tables(simulation.tables).accepted()


@pytest.fixture(scope="module")
def tables():
    return _county(60)


def test_plan_has_no_overlap_and_final_labels(tables):
    plan = plan_splits(tables, SplitConfig(test_dates=3, validation_dates=2, max_training_dates=6))
    assert len(plan.test) == 3 and len(plan.validation) == 2 and len(plan.train) == 6
    assert not set(plan.train) & set(plan.validation) and not set(plan.validation) & set(plan.test)
    assert max(plan.train) < min(plan.validation) < min(plan.test)
    end = data_end(tables)
    assert all(is_final(d, end) for d in plan.all_dates)


def test_test_window_is_the_latest_final_dates_whose_need_is_settled(tables):
    plan = plan_splits(tables, SplitConfig())
    assert plan.label == "admin_or_need" and plan.embargo
    settled = settled_dates(plan.coverage)
    later = [d for d in plan.coverage.index if d > plan.test[-1]]
    assert not set(later) & set(settled) and set(plan.all_dates) <= set(settled)
    assert bool(later) == any("not settled yet" in note for note in plan.notes)
    ex_poor = plan.coverage["need_known_ex_poor"]
    assert all(ex_poor[d] >= 0.9 * ex_poor.quantile(0.75) for d in plan.all_dates)


def test_a_spring_screen_does_not_make_a_date_settled():
    dates = pd.date_range("2023-01-01", periods=6, freq="MS")
    coverage = pd.DataFrame({"need_known": [0.28, 0.28, 0.28, 0.21, 0.29, 0.21],
                             "need_known_ex_poor": [0.92, 0.92, 0.92, 0.67, 0.79, 0.67],
                             "need_known_ordinary": [0.015, 0.015, 0.015, 0.015, 0.09, 0.015]}, index=dates)
    assert settled_dates(coverage) == list(dates[:3])


def test_label_windows_of_training_and_validation_end_before_the_test_window(tables):
    plan = plan_splits(tables, SplitConfig())
    for as_of in plan.train + plan.validation:
        assert as_of + pd.DateOffset(months=HORIZON_MONTHS) <= plan.test[0]


def test_the_refit_learns_from_the_latest_usable_dates(tables):
    plan = plan_splits(tables, SplitConfig())
    assert plan.learned_until == plan.test[-1]
    assert plan.refit_validation == plan.test[-len(plan.refit_validation):]
    assert max(plan.refit_train) < min(plan.refit_validation)
    assert set(plan.refit_train) > set(plan.validation)   # the refit also learns what the embargo kept out


def test_first_training_date_leaves_history(tables):
    plan = plan_splits(tables, SplitConfig(min_history_months=6, max_training_dates=100))
    assert plan.train[0] == export_start(tables) + pd.DateOffset(months=6)


@pytest.mark.parametrize("months", [36, 48, 72])
def test_plans_for_three_four_and_six_years_of_records(months):
    tables = _county(months, seed=5, households=400)
    plan = plan_splits(tables, SplitConfig())
    assert len(plan.test) == 3 and len(plan.validation) == 3 and plan.train
    frame = labelled_frame(tables, plan)
    assert frame["relapse_12m"].notna().all()
    if plan.label == "admin":   # the label means the same in every part
        assert frame["relapse_12m"].equals(frame["label_admin"])
    if months == 36:
        assert plan.notes and plan.embargo, plan.notes


def test_too_short_an_export_is_a_clear_error():
    short = _county(14, seed=1, households=50, counties=1)
    with pytest.raises(InputError, match="give a longer export"):
        plan_splits(short, SplitConfig())


def test_held_out_counties_only_in_test(tables):
    county = tables["areas"]["county_code"].iloc[0]
    plan = plan_splits(tables, SplitConfig(holdout_counties=(county,), max_training_dates=2, validation_dates=1,
                                           test_dates=1))
    frame = labelled_frame(tables, plan)
    assert not frame.loc[frame["part"] != "test", "county_code"].eq(county).any()
    assert frame.loc[frame["part"] == "test", "county_code"].eq(county).any()
    assert not frame.loc[frame["county_code"].eq(county), "refit_part"].astype(bool).any()
    assert frame["relapse_12m"].notna().all()
