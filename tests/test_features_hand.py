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


def test_income_not_assessed_is_unknown_never_zero(tables):
    row = _row(tables, "2022-08-01", "H001")  # known: Q2 farm income by survey (07-20); no 12-month run yet
    assert pd.isna(row["assessed_income_pc_12m"]) and pd.isna(row["assessed_income_line_ratio"])
    assert pd.isna(row["assessed_income_age_months"]) and row["assessed_years_below_line"] == 0
    assert row["assessed_months_24m"] == 3  # April-June; the June survey wage is recorded only on 08-10
    assert pd.isna(row["share_wage_migrant"])


def test_latest_assessment_resolved_by_precedence_as_known(tables):
    row = _row(tables, "2022-12-01", "H001")  # the autumn 2022 visit (recorded 11-15) covers Oct 2021-Sep 2022
    # Q4 2021 and Q1 2022: 9000 wage + 1500 farm; Q2: 1500 farm + June wage 4200 (department beats the
    # survey's 3900); Q3: 9000 + 1500 + department business 15000
    total = 10_500 + 10_500 + 5_700 + 25_500
    assert row["assessed_income_pc_12m"] == pytest.approx(total / 3)
    assert row["assessed_income_line_ratio"] == pytest.approx(total / 3 / 6900)
    assert row["assessed_income_age_months"] == 3  # September to December
    assert row["assessed_months_24m"] == 12
    assert pd.isna(row["assessed_income_change"])  # no earlier assessment
    assert row["share_wage_migrant"] == pytest.approx((3 * 9000 + 4200) / total)
    assert row["share_farm_business"] == pytest.approx((4 * 1500 + 15000) / total)
    assert row["department_income_pc_12m"] == 0  # a department business row is no transfer


def test_department_transfers_read_on_their_own(tables):
    row = _row(tables, "2022-08-01", "H002")  # June pension 180 (recorded 07-15), one member since March
    assert row["department_income_pc_12m"] == pytest.approx(180)
    # latest 3 reported months (April-June) against the 3 before, per person and year, over the line
    assert row["department_income_change"] == pytest.approx(180 * 4 / 6900)
    assert row["dibao_months_12m"] == 0
    assert pd.isna(row["assessed_income_pc_12m"])


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


def _labels(tables, *dates):
    frame = attach_labels(build_features(tables, [pd.Timestamp(d) for d in dates]), tables)
    return {d: frame[frame["as_of"] == d].set_index("household_id") for d in dates}


def _parts(frame, household):
    return [None if pd.isna(v) else bool(v) for v in frame.loc[household, ["relapse_12m", "label_admin",
                                                                            "label_need"]]]


def test_labels_by_hand(tables):
    labels = _labels(tables, "2022-09-01", "2022-11-01")
    final = labels["2022-09-01"]
    # H001: every month of Sep 2022 - Aug 2023 assessed, income far above the line; a case in March 2023
    assert _parts(final, "H001") == [True, True, False]
    assert final.loc["H001", "label_category"] == "unstable"
    # H002: assessed months with zero income (survey rows of amount 0) are below the line
    assert _parts(final, "H002") == [True, False, True]
    assert pd.isna(final.loc["H002", "label_category"])
    assert labels["2022-11-01"][list(LABEL_COLUMNS)].isna().all().all()  # not final yet


def test_an_unassessed_year_leaves_need_unknown(tables):
    october = _labels(tables, "2021-10-01")["2021-10-01"]
    # H002 has no survey row from October 2021 to June 2022: need is unknown, never "zero income"
    assert _parts(october, "H002") == [False, False, None]
    assert _parts(october, "H001") == [False, False, False]  # Oct 2021 - Sep 2022 all assessed: 17,400 a head


def test_a_month_with_only_a_self_report_and_a_transfer_is_not_assessed(tables):
    labels = _labels(tables, "2022-06-01", "2022-07-01")
    # June 2022: a self-reported wage and a department dibao row only; the case of 2022-07-12 is admin
    assert _parts(labels["2022-06-01"], "H003") == [True, True, None]
    # July 2022 - June 2023 assessed: 8,000 yuan for 2 members, below the 2023 line of 7,400
    assert _parts(labels["2022-07-01"], "H003") == [True, True, True]


def test_inputs_are_not_modified(tables):
    before = {name: frame.copy() for name, frame in tables.items()}
    attach_labels(build_features(tables, [pd.Timestamp("2022-08-01")]), tables)
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, before[name])
