"""Features and labels of three hand-written households, computed by hand."""
from __future__ import annotations

import pandas as pd
import pytest

from features.build import build_features
from features.catalogue import FEATURE_NAMES
from features.labels import LABEL_COLUMNS, attach_labels
from features.validate import validate_tables
from tests.tiny_export import hand_tables


@pytest.fixture(scope="module")
def tables():
    return validate_tables(hand_tables()).accepted()


def _row(tables, as_of, household):
    frame = build_features(tables, [pd.Timestamp(as_of)]).set_index("household_id")
    return frame.loc[household]


def test_output_has_keys_then_the_catalogue_in_order(tables):
    frame = build_features(tables, [pd.Timestamp("2022-08-01")])
    assert list(frame.columns) == ["household_id", "as_of", *FEATURE_NAMES]
    assert frame["as_of"].eq(pd.Timestamp("2022-08-01")).all()


def test_open_case_leaves_the_cohort(tables):
    cohort_july = set(build_features(tables, [pd.Timestamp("2022-07-01")])["household_id"])
    cohort_august = set(build_features(tables, [pd.Timestamp("2022-08-01")])["household_id"])
    assert cohort_july == {"H001", "H002", "H003"}
    assert cohort_august == {"H001", "H002"}  # H003 identified 2022-07-12, recorded 2022-07-13


def test_income_not_yet_recorded_is_unknown(tables):
    row = _row(tables, "2022-07-01", "H001")  # June wage recorded 07-25, Q2 farm income 07-20
    assert pd.isna(row["income_pc_3m"]) and pd.isna(row["income_pc_12m"])


def test_income_resolved_by_precedence_as_known(tables):
    row = _row(tables, "2022-08-01", "H001")
    # known: agriculture Q2 1500 (500 a month), department June wage 4200; months May-July
    assert row["income_pc_3m"] == pytest.approx((500 + 500 + 4200) * 12 / 3 / 3)
    assert row["income_line_ratio_3m"] == pytest.approx((500 + 500 + 4200) * 12 / 3 / 3 / 6900)
    # the export's history starts in April 2022: the 12-month window uses the 4 months there are
    assert row["income_pc_12m"] == pytest.approx((1500 + 4200) * 12 / 4 / 3)
    assert row["share_wage_migrant"] == pytest.approx(4200 / 5700)
    assert row["months_since_income_record"] == 2  # latest month with a record: June
    later = _row(tables, "2022-09-01", "H001")  # the survey's 3900 is known now, the department still wins
    assert later["income_pc_3m"] == pytest.approx((500 + 4200) * 12 / 3 / 3)


def test_hospital_bill_counts_only_once_recorded(tables):
    before = _row(tables, "2022-06-15", "H003")
    after = _row(tables, "2022-07-01", "H003")
    assert before["medical_oop_12m"] == 0 and before["shocks_illness_12m"] == 0
    assert after["medical_oop_12m"] == 14500 and after["medical_oop_3m"] == 14500
    assert after["medical_oop_rule_ratio_12m"] == pytest.approx(14500 / (0.5 * 12856))
    assert after["shocks_illness_12m"] == 1
    assert after["months_since_illness"] == pytest.approx(52 / 30.4375)
    assert after["alerts_12m"] == 0  # the alert was pushed on 07-01 at 09:00, after midnight


def test_member_who_left_counts_once_recorded(tables):
    before = _row(tables, "2022-03-15", "H002")
    after = _row(tables, "2022-04-01", "H002")
    assert before["household_size"] == 2 and before["members_left_12m"] == 0
    assert after["household_size"] == 1 and after["members_left_12m"] == 1
    assert after["elderly_only"] and after["dependency_ratio"] == 10
    assert before["workers"] == 1 and before["labour_capacity"] == 0.5  # the spouse is 64: partial labour


def test_members_and_place(tables):
    row = _row(tables, "2022-08-01", "H001")
    assert row["household_size"] == 3 and row["dependency_ratio"] == pytest.approx(1 / 2)
    assert row["children_compulsory_school"] == 1 and row["students"] == 1
    assert row["chronic_members"] == 1 and row["head_age"] == 54
    assert row["ex_poor"] and row["years_since_exit"] == 3 and row["key_county"]
    assert row["shocks_disaster_12m"] == 1 and row["self_reports_12m"] == 1  # flood of 07-02, app report 07-05
    assert not row["house_unsafe"]  # the 2022-09-01 version graded A is not known yet; B is safe too


def test_labels_by_hand(tables):
    frame = attach_labels(build_features(tables, [pd.Timestamp("2022-09-01"), pd.Timestamp("2022-11-01")]), tables)
    final = frame[frame["as_of"] == "2022-09-01"].set_index("household_id")
    assert final.loc["H001", ["relapse_12m", "label_admin", "label_need"]].tolist() == [True, True, False]
    assert final.loc["H001", "label_category"] == "unstable"
    assert final.loc["H002", ["relapse_12m", "label_admin", "label_need"]].tolist() == [True, False, True]
    assert pd.isna(final.loc["H002", "label_category"])
    not_final = frame[frame["as_of"] == "2022-11-01"]
    assert not_final[list(LABEL_COLUMNS)].isna().all().all()


def test_inputs_are_not_modified(tables):
    before = {name: frame.copy() for name, frame in tables.items()}
    attach_labels(build_features(tables, [pd.Timestamp("2022-08-01")]), tables)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, before[name])
