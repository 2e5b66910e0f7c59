"""A household's features are its own: any partition of the households, built with the facts of the
whole export, gives the whole county's values, and one household alone gives its row."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.build import build_features
from features.facts import VILLAGE_SHARES, Facts, household_tables
from features.partition import Partition
from features.validate import validate_tables
from stayout.errors import InputError
from synthetic.simulate import SimulationConfig, simulate

DATES = [pd.Timestamp("2022-03-01"), pd.Timestamp("2022-11-17")]


@pytest.fixture(scope="module")
def county():
    simulation = simulate(SimulationConfig(households=300, counties=2, start="2021-01", months=26, seed=42))
    tables = validate_tables(simulation.tables).accepted()
    facts = Facts.from_tables(tables, DATES)
    whole = build_features(tables, DATES, facts=facts)
    return tables, facts, whole.set_index(["household_id", "as_of"]).sort_index()


def _assert_same(part: pd.DataFrame, whole: pd.DataFrame) -> None:
    part = part.set_index(["household_id", "as_of"]).sort_index()
    expected = whole.loc[part.index]
    assert len(part) == len(expected)
    pd.testing.assert_frame_equal(part.astype("float64"), expected.astype("float64"), rtol=1e-9, atol=1e-9)


def test_village_aggregates_are_informative(county):
    _, facts, whole = county
    assert facts.villages["village_households"].sum() > 0
    for name in VILLAGE_SHARES:
        assert whole[name].notna().all()
    assert whole["village_case_share_12m"].gt(0).any() and whole["village_disaster_share_12m"].gt(0).any()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.integers(min_value=2, max_value=7), seed=st.integers(min_value=0, max_value=10_000))
def test_any_partition_equals_the_whole_county(county, parts, seed):
    tables, facts, whole = county
    ids = pd.unique(tables["households"]["household_id"].astype("str"))
    assignment = np.random.default_rng(seed).integers(0, parts, len(ids))
    built = [build_features(household_tables(tables, ids[assignment == k]), DATES, facts=facts)
             for k in range(parts) if (assignment == k).any()]
    together = pd.concat(built, ignore_index=True)
    assert len(together) == len(whole)
    _assert_same(together, whole)


def test_one_household_alone_equals_its_row_in_the_county(county):
    tables, facts, whole = county
    ids = whole.index.get_level_values("household_id").unique()
    for household in [ids[0], ids[len(ids) // 2], ids[-1]]:
        alone = build_features(household_tables(tables, [household]), DATES, facts=facts)
        assert set(alone["household_id"]) == {household}
        _assert_same(alone, whole)


def test_a_chunk_without_the_facts_would_differ(county):
    """Why the facts are passed in: village shares computed from a chunk alone are not the county's."""
    tables, _, whole = county
    ids = whole.index.get_level_values("household_id").unique()[::3]
    alone = build_features(household_tables(tables, ids), DATES).set_index(["household_id", "as_of"]).sort_index()
    differs = [~np.isclose(alone[name], whole.loc[alone.index, name]) for name in VILLAGE_SHARES]
    assert differs[0].any() or differs[1].any()


def test_facts_for_another_date_are_refused_with_the_dates_they_cover(county):
    tables, facts, _ = county
    with pytest.raises(InputError, match="2022-03-01"):
        build_features(tables, [pd.Timestamp("2022-05-01")], facts=facts)


@pytest.mark.parametrize("part_size", [1, 37, 10_000])
def test_parts_of_a_partition_equal_the_whole_county_and_keep_file_order(county, part_size):
    tables, facts, whole = county
    ids = sorted(set(whole.index.get_level_values("household_id")))[:30] if part_size == 1 else \
        sorted(set(whole.index.get_level_values("household_id")))
    partition = Partition(tables, ids, part_size)
    assert len(partition) == -(-len(ids) // part_size)
    built = [build_features(partition.part_tables(k), DATES, facts=facts) for k in range(len(partition))]
    _assert_same(pd.concat(built, ignore_index=True), whole)
    income = tables["income"]
    first = partition.part_tables(0)["income"]
    expected = income[income["household_id"].astype("str").isin(partition.ids(0))].reset_index(drop=True)
    pd.testing.assert_frame_equal(first, expected)
