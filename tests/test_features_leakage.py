"""Leakage: records known at or after the as-of date never change a feature or the cohort."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.build import build_features
from features.validate import validate_tables
from synthetic.simulate import SimulationConfig, simulate

AS_OF = pd.Timestamp("2022-07-01")
ID_COLUMNS = {"events": "event_id", "alerts": "alert_id", "self_reports": "report_id", "visits": "visit_id",
              "cases": "case_id", "assistance": "measure_id"}
DATE_COLUMNS = {"events": ["occurred_on"], "alerts": ["pushed_at"], "self_reports": ["received_at"],
                "visits": ["visited_on"], "cases": ["discovered_on", "identified_on"], "assistance": ["start_on"],
                "income": ["period_start", "period_end"], "expenditures": ["period_start", "period_end"]}


@pytest.fixture(scope="module")
def county():
    simulation = simulate(SimulationConfig(households=150, counties=1, start="2021-01", months=30, seed=21))
    tables = validate_tables(simulation.tables).accepted()
    return tables, build_features(tables, [AS_OF])


def _late_copy(frame: pd.DataFrame, table: str, position: int, delay_days: int, new_id: str) -> pd.DataFrame:
    """A copy of one row, recorded at or after AS_OF; what it records may lie before AS_OF."""
    row = frame.iloc[[position % len(frame)]].copy()
    row["recorded_at"] = AS_OF + pd.Timedelta(days=delay_days)
    if table in ID_COLUMNS:
        row[ID_COLUMNS[table]] = new_id
    if table == "households":
        row["house_grade"] = pd.Categorical(["D"], dtype=frame["house_grade"].dtype)
        row["dissolved_on"] = AS_OF
    if table == "members":
        row["health"] = pd.Categorical(["serious"], dtype=frame["health"].dtype)
        row["left_on"] = AS_OF
    if "amount_yuan" in row:
        row["amount_yuan"] = row["amount_yuan"] * 3 + 1000
    return row


def _late_status(tables: dict, table: str, position: int, delay_days: int) -> None:
    """Set a status date at or after AS_OF on an existing row (elimination, resolution, end)."""
    frame = tables[table]
    column = {"cases": "eliminated_on", "alerts": "resolved_at", "self_reports": "resolved_at",
              "assistance": "end_on"}[table]
    candidates = np.flatnonzero(frame[column].isna() | (frame[column] >= AS_OF))
    if not len(candidates):
        return
    frame = frame.copy()
    index = frame.index[candidates[position % len(candidates)]]
    frame.loc[index, column] = (AS_OF + pd.Timedelta(days=delay_days)).normalize()
    if column == "resolved_at":
        frame.loc[index, "outcome"] = "false_alarm"
    tables[table] = frame


additions = st.lists(
    st.tuples(st.sampled_from(["households", "members", "income", "expenditures", "events", "alerts",
                               "self_reports", "visits", "cases", "assistance", "areas", "monitoring_lines"]),
              st.integers(0, 10_000), st.integers(0, 400)),
    min_size=1, max_size=6)
statuses = st.lists(st.tuples(st.sampled_from(["cases", "alerts", "self_reports", "assistance"]),
                              st.integers(0, 10_000), st.integers(0, 400)), max_size=4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(additions=additions, statuses=statuses)
def test_late_records_change_nothing(county, additions, statuses):
    tables, expected = county
    changed = dict(tables)
    for number, (table, position, delay) in enumerate(additions):
        late = _late_copy(changed[table], table, position, delay, f"LATE{number}")
        changed[table] = pd.concat([changed[table], late], ignore_index=True)
    for table, position, delay in statuses:
        _late_status(changed, table, position, delay)
    pd.testing.assert_frame_equal(build_features(changed, [AS_OF]), expected)


def test_a_record_known_the_day_before_does_change_features(county):
    """The property above is not vacuous: the same kind of record known before AS_OF counts."""
    tables, expected = county
    household = expected["household_id"].iloc[0]
    bill = tables["expenditures"].iloc[[0]].copy()
    bill["household_id"] = household
    bill["category"] = pd.Categorical(["medical_oop"], dtype=bill["category"].dtype)
    bill["period_start"], bill["period_end"] = pd.Timestamp("2022-05-01"), pd.Timestamp("2022-05-31")
    bill["amount_yuan"], bill["recorded_at"] = 50_000.0, AS_OF - pd.Timedelta(days=1)
    changed = {**tables, "expenditures": pd.concat([tables["expenditures"], bill], ignore_index=True)}
    row = build_features(changed, [AS_OF]).set_index("household_id").loc[household]
    assert row["medical_oop_12m"] >= 50_000
