"""The fast feature path equals the slow reference on a generated county, at several as-of dates."""
from __future__ import annotations

import pandas as pd
import pytest

from features.build import build_features
from features.validate import validate_tables
from synthetic.simulate import SimulationConfig, simulate
from tests.reference_features import SUBSET, reference_features

AS_OF_DATES = [pd.Timestamp("2021-09-01"), pd.Timestamp("2022-06-01"), pd.Timestamp("2022-06-17")]


@pytest.fixture(scope="module")
def tables():
    simulation = simulate(SimulationConfig(households=120, counties=2, start="2021-01", months=24, seed=33))
    return validate_tables(simulation.tables).accepted()


@pytest.mark.parametrize("as_of", AS_OF_DATES, ids=str)
def test_fast_path_equals_reference(tables, as_of):
    fast = build_features(tables, [as_of]).sort_values("household_id").reset_index(drop=True)
    slow = reference_features(tables, as_of)
    assert list(fast["household_id"]) == list(slow["household_id"])
    for name in SUBSET:
        pd.testing.assert_series_equal(fast[name].astype("float64"), slow[name].astype("float64"),
                                       check_names=False, rtol=1e-9, obj=name)


def test_many_dates_in_one_call_equal_one_call_each(tables):
    together = build_features(tables, AS_OF_DATES)
    apart = pd.concat([build_features(tables, [d]) for d in AS_OF_DATES], ignore_index=True)
    pd.testing.assert_frame_equal(together, apart)
