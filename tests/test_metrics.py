"""Evaluation metrics on a hand-written frame, every expected value worked out by hand below.

Six households, two townships (T1: h1 h2 h3, T2: h4 h5 h6), two as-of dates D1 and D2.

    D1 = 2023-01-01                              D2 = 2023-07-01
    hh  town score y  case                       hh  town score y  case
    h1  T1   0.90  1  2023-03-15 sudden          h1  T1   0.30  0  -
    h2  T1   0.40  1  2023-10-01 unstable        h2  T1   0.80  1  2023-10-01 unstable
    h3  T1   0.40  0  -                          h3  T1   0.10  0  -
    h4  T2   0.70  0  -                          h4  T2   0.60  1  need only (no case)
    h5  T2   0.20  1  2023-05-20 edge            h5  T2   0.60  0  -
    h6  T2   0.10  0  -                          h6  T2   0.05  0  -

Order on D1: h1 .9, h4 .7, h2 .4, h3 .4 (tie: h2 before h3), h5 .2, h6 .1.
Order on D2: h2 .8, h4 .6, h5 .6 (tie: h4 before h5), h1 .3, h3 .1, h6 .05.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.lists import capacity_flags, ranking
from training.bootstrap import bootstrap_interval, roc_auc_interval
from training.metrics import (
    brier,
    calibration_curve,
    comparison_table,
    evaluate,
    expected_calibration_error,
    lead_time_days,
    pr_auc,
    precision_recall_at_capacity,
    precision_recall_at_k,
    precision_recall_by_share,
    roc_auc,
)

D1, D2 = pd.Timestamp("2023-01-01"), pd.Timestamp("2023-07-01")
T1, T2 = "110101001", "110101002"
NAT = pd.NaT

# household, as_of, township, score, relapse, admin, need, category, case_discovered_on
ROWS = [
    ("h1", D1, T1, 0.90, True, True, False, "sudden", pd.Timestamp("2023-03-15")),
    ("h2", D1, T1, 0.40, True, True, False, "unstable", pd.Timestamp("2023-10-01")),
    ("h3", D1, T1, 0.40, False, False, False, None, NAT),
    ("h4", D1, T2, 0.70, False, False, False, None, NAT),
    ("h5", D1, T2, 0.20, True, True, False, "edge", pd.Timestamp("2023-05-20")),
    ("h6", D1, T2, 0.10, False, False, False, None, NAT),
    ("h1", D2, T1, 0.30, False, False, False, None, NAT),
    ("h2", D2, T1, 0.80, True, True, False, "unstable", pd.Timestamp("2023-10-01")),
    ("h3", D2, T1, 0.10, False, False, False, None, NAT),
    ("h4", D2, T2, 0.60, True, False, True, None, NAT),
    ("h5", D2, T2, 0.60, False, False, False, None, NAT),
    ("h6", D2, T2, 0.05, False, False, False, None, NAT),
]
COLUMNS = ["household_id", "as_of", "township_code", "score", "relapse_12m", "label_admin", "label_need",
           "label_category", "case_discovered_on"]


def hand_frame() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=COLUMNS)
    frame["as_of"] = frame["as_of"].astype("datetime64[us]")
    frame["case_discovered_on"] = frame["case_discovered_on"].astype("datetime64[us]")
    for flag in ("head_minority", "head_female", "elderly_only", "disabled_member", "key_county"):
        frame[flag] = False
    return frame


def shuffled(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    return frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)


def same_metrics(left: dict, right: dict) -> bool:
    return left.keys() == right.keys() and all(
        (math.isnan(left[key]) and math.isnan(right[key])) or left[key] == right[key] for key in left)


# ---------------------------------------------------------------- ranking and tie-break

def test_ranking_breaks_ties_by_household_id():
    frame = hand_frame()
    order = frame.assign(rank=ranking(frame)).sort_values(["as_of", "rank"])
    assert order.loc[order["as_of"] == D1, "household_id"].tolist() == ["h1", "h4", "h2", "h3", "h5", "h6"]
    assert order.loc[order["as_of"] == D2, "household_id"].tolist() == ["h2", "h4", "h5", "h1", "h3", "h6"]


def test_ranking_puts_missing_scores_last():
    frame = hand_frame()
    frame.loc[0, "score"] = np.nan  # h1 on D1 had the top score
    assert ranking(frame).loc[0] == 6


def test_capacity_flags_top_of_each_township_and_date():
    frame = hand_frame()
    flagged = frame.loc[capacity_flags(frame, capacity=1), ["household_id", "as_of"]]
    assert sorted(map(tuple, flagged.to_numpy().tolist())) == [("h1", D1), ("h2", D2), ("h4", D1), ("h4", D2)]


def test_results_do_not_depend_on_row_order():
    frame = hand_frame()
    expected = evaluate(frame, capacity=1, ks=(0.1, 0.5), n_boot=30)
    for seed in range(3):
        assert same_metrics(evaluate(shuffled(frame, seed), capacity=1, ks=(0.1, 0.5), n_boot=30), expected)


# ---------------------------------------------------------------- precision and recall at a workload

def test_precision_recall_at_k_by_hand():
    frame = hand_frame()
    # share 0.1 of 6 -> k = ceil(0.6) = 1. D1: h1 (pos) -> P 1, R 1/3. D2: h2 (pos) -> P 1, R 1/2.
    assert precision_recall_at_k(frame, "score", 0.1) == pytest.approx(
        {"precision": 1.0, "recall": (1 / 3 + 1 / 2) / 2, "k_mean": 1.0})
    # share 0.5 -> k = 3. D1: h1 h4 h2 -> 2 hits of 3 positives. D2: h2 h4 h5 -> 2 hits of 2 positives.
    assert precision_recall_at_k(frame, "score", 0.5) == pytest.approx(
        {"precision": 2 / 3, "recall": (2 / 3 + 1) / 2, "k_mean": 3.0})


def test_k_rounds_up_without_float_noise():
    cohort = pd.DataFrame({"household_id": [f"h{i:03d}" for i in range(100)], "as_of": D1, "township_code": T1,
                           "score": np.linspace(1, 0, 100), "relapse_12m": [True] * 7 + [False] * 93})
    # 0.07 * 100 is 7.000000000000001 in floating point; k must still be 7. 0.071 * 100 = 7.1 -> 8
    assert 0.07 * 100 > 7
    assert precision_recall_at_k(cohort, "score", 0.07) == {"precision": 1.0, "recall": 1.0, "k_mean": 7.0}
    assert precision_recall_at_k(cohort, "score", 0.071)["k_mean"] == 8


def test_precision_recall_by_share_matches_single_calls():
    frame = hand_frame()
    table = precision_recall_by_share(frame, "score", (0.1, 0.5))
    assert table["precision"].tolist() == pytest.approx([1.0, 2 / 3])
    assert table["recall"].tolist() == pytest.approx([5 / 12, 5 / 6])


def test_precision_recall_at_capacity_by_hand():
    frame = hand_frame()
    # capacity 1. D1: T1 h1 (pos), T2 h4 (neg) -> P 1/2, R 1/3. D2: T1 h2 (pos), T2 h4 (pos, wins the tie
    # with h5) -> P 1, R 1.
    result = precision_recall_at_capacity(frame, "score", capacity=1)
    assert result["precision"] == pytest.approx(0.75)
    assert result["recall"] == pytest.approx(2 / 3)
    # capacity 2. D1: h1 h2 | h4 h5 -> 3 hits of 4 flagged, 3 of 3 positives. D2: h2 h1 | h4 h5 -> 2 of 4, 2 of 2.
    result = precision_recall_at_capacity(frame, "score", capacity=2)
    assert result["precision"] == pytest.approx((3 / 4 + 2 / 4) / 2)
    assert result["recall"] == pytest.approx(1.0)


# ---------------------------------------------------------------- pooled metrics

def test_roc_auc_pr_auc_brier_by_hand():
    frame = hand_frame()
    y, p = frame["relapse_12m"], frame["score"]
    # positives .9 .8 .6 .4 .2 vs negatives .7 .6 .4 .3 .1 .1 .05: wins 7 + 7 + 5.5 + 4.5 + 3 = 27 of 35 pairs
    assert roc_auc(y, p) == pytest.approx(27 / 35)
    # thresholds .9 .8 .7 .6 .4 .3 .2: recall steps of 0.2 at precision 1, 1, 3/5, 4/7, 5/9
    assert pr_auc(y, p) == pytest.approx(0.2 * (1 + 1 + 3 / 5 + 4 / 7 + 5 / 9))
    # squared errors: positives .01 .36 .04 .64 .16, negatives .49 .16 .01 .09 .01 .36 .0025
    assert brier(y, p) == pytest.approx(2.3325 / 12)


def test_expected_calibration_error_equal_frequency_bins():
    y = [0, 0, 1, 0, 1, 1]
    p = [0.1, 0.2, 0.3, 0.4, 0.6, 0.8]
    # bins of two: |0 - .15| = .15, |.5 - .35| = .15, |1 - .7| = .3 -> mean .2
    assert expected_calibration_error(y, p, bins=3) == pytest.approx(0.2)
    # one row a bin: mean |y - p| = (.1 + .2 + .7 + .4 + .4 + .2) / 6
    assert expected_calibration_error(y, p, bins=10) == pytest.approx(2.0 / 6)


def test_calibration_on_hand_frame_splits_ties_by_label():
    frame = hand_frame()
    # sorted by (p, y): .05 .1 .1 .2 .3 .4(y0) | .4(y1) .6(y0) .6(y1) .7 .8 .9
    # low half: mean p 1.15/6, rate 1/6 -> gap .025; high half: mean p 4/6, rate 4/6 -> gap 0
    curve = calibration_curve(frame["relapse_12m"], frame["score"], bins=2)
    assert curve["count"].tolist() == [6, 6]
    assert curve["mean_predicted"].tolist() == pytest.approx([1.15 / 6, 4 / 6])
    assert curve["observed_rate"].tolist() == pytest.approx([1 / 6, 4 / 6])
    assert expected_calibration_error(frame["relapse_12m"], frame["score"], bins=2) == pytest.approx(0.0125)


def test_bootstrap_keeps_a_households_dates_together():
    frame = hand_frame()

    def share_of_rows_with_both_dates(sample: pd.DataFrame) -> float:
        dates = sample.groupby("household_id")["as_of"].transform("nunique")
        return float((dates == 2).mean())

    assert bootstrap_interval(frame, share_of_rows_with_both_dates, n=50) == (1.0, 1.0)
    low, high = bootstrap_interval(frame, lambda sample: roc_auc(sample["relapse_12m"], sample["score"]), n=200)
    assert 0.0 <= low < 27 / 35 < high <= 1.0
    assert bootstrap_interval(frame, lambda s: roc_auc(s["relapse_12m"], s["score"]), n=200) == (low, high)
    # the weighted fast path draws the same households and gives the same interval
    assert roc_auc_interval(frame, "score", n=200) == pytest.approx((low, high))
    assert roc_auc_interval(frame, "score", n=200, seed=1) != pytest.approx((low, high))


# ---------------------------------------------------------------- lead time

def test_lead_time_by_hand():
    frame = hand_frame()
    # capacity 1: h1 flagged on D1 -> 2023-03-15 - 2023-01-01 = 73 days.
    # h2 (case 2023-10-01) not flagged on D1, flagged on D2 -> 2023-10-01 - 2023-07-01 = 92 days.
    # h5 (case 2023-05-20) never flagged on or before discovery -> 0 days, not flagged in time.
    lead = lead_time_days(frame, "score", capacity=1)
    assert lead == pytest.approx({"median": 73.0, "q1": 36.5, "q3": 82.5, "n_cases": 3,
                                  "share_flagged_before": 2 / 3})
    # capacity 2: all flagged on D1 -> 73, 273 (h2: Jan 1 to Oct 1), 139 (h5: Jan 1 to May 20)
    lead = lead_time_days(frame, "score", capacity=2)
    assert lead["median"] == 139.0 and lead["share_flagged_before"] == 1.0


def test_flag_after_discovery_is_not_lead_time():
    frame = hand_frame()
    late = frame.assign(case_discovered_on=frame["case_discovered_on"].where(frame["household_id"] != "h2"))
    late.loc[(late["household_id"] == "h2") & (late["as_of"] == D2), "case_discovered_on"] = pd.Timestamp("2023-06-01")
    # h2 flagged on D2 = 2023-07-01, after its discovery on 2023-06-01: counts as 0, not flagged before
    lead = lead_time_days(late, "score", capacity=1)
    assert lead["n_cases"] == 3 and lead["share_flagged_before"] == pytest.approx(1 / 3)


# ---------------------------------------------------------------- evaluate and undefined metrics

def test_evaluate_by_category_and_label_part():
    metrics = evaluate(hand_frame(), capacity=1, ks=(0.01, 0.1, 0.5), n_boot=20)
    # flagged at capacity 1: D1 h1 h4, D2 h2 h4
    assert metrics["recall_at_capacity_unstable"] == pytest.approx(0.5)   # h2: missed D1, caught D2
    assert metrics["precision_at_capacity_unstable"] == pytest.approx(0.25)  # (0/2 + 1/2) / 2
    assert metrics["recall_at_capacity_edge"] == 0.0                     # h5 on D1 only; D2 has none
    assert metrics["recall_at_capacity_sudden"] == 1.0                   # h1 on D1
    assert metrics["recall_at_capacity_admin"] == pytest.approx((1 / 3 + 1) / 2)
    assert metrics["recall_at_capacity_need"] == 1.0                     # h4 on D2 only
    assert metrics["precision_at_capacity_need"] == pytest.approx(0.25)
    assert metrics["precision_at_1pct"] == 1.0 and metrics["recall_at_10pct"] == pytest.approx(5 / 12)
    assert metrics["recall_at_50pct"] == pytest.approx(5 / 6)
    assert metrics["roc_auc"] == pytest.approx(27 / 35)
    # ten bins of 12 rows sorted by (p, y): {.05 .1} {.1 .2} then one row each (.3 .4 .4 .6 .6 .7 .8 .9)
    # gaps 2 x .075 + 2 x .35 + (.3 + .4 + .6 + .6 + .4 + .7 + .2 + .1) = 4.15, over 12 rows
    assert metrics["ece"] == pytest.approx(4.15 / 12)
    assert metrics["lead_time_median_days"] == 73.0 and metrics["lead_time_cases"] == 3.0
    assert metrics["roc_auc_low"] <= metrics["roc_auc"] <= metrics["roc_auc_high"]


def test_no_positives_give_nan_not_errors():
    frame = hand_frame().assign(relapse_12m=False, label_admin=False, label_need=False,
                                label_category=None, case_discovered_on=pd.NaT)
    frame["case_discovered_on"] = frame["case_discovered_on"].astype("datetime64[us]")
    metrics = evaluate(frame, capacity=1, n_boot=10)
    for name in ("roc_auc", "roc_auc_low", "pr_auc", "recall_at_capacity", "recall_at_10pct",
                 "recall_at_capacity_sudden", "lead_time_median_days", "lead_time_share_flagged_before"):
        assert math.isnan(metrics[name]), name
    assert metrics["precision_at_capacity"] == 0.0 and metrics["lead_time_cases"] == 0.0
    assert metrics["brier"] == pytest.approx(np.mean(frame["score"] ** 2))


def test_scores_that_are_not_probabilities_get_no_calibration_metrics():
    frame = hand_frame().assign(score=lambda f: f["score"] * 3)
    metrics = evaluate(frame, capacity=1, n_boot=10)
    assert math.isnan(metrics["brier"]) and math.isnan(metrics["ece"])
    assert metrics["roc_auc"] == pytest.approx(27 / 35)


def test_evaluate_names_missing_columns_and_missing_scores():
    from stayout.errors import InputError

    with pytest.raises(InputError, match="case_discovered_on"):
        evaluate(hand_frame().drop(columns="case_discovered_on"))
    with pytest.raises(InputError, match="missing values"):
        evaluate(hand_frame().assign(score=np.nan))


def test_comparison_table_one_column_per_model():
    table = comparison_table({"model": {"roc_auc": 0.8, "ece": 0.02}, "today's rules": {"roc_auc": 0.6}})
    assert list(table.columns) == ["model", "today's rules"]
    assert list(table.index) == ["roc_auc", "ece"]
    assert table.loc["roc_auc", "today's rules"] == 0.6 and math.isnan(table.loc["ece", "today's rules"])


# ---------------------------------------------------------------- figures (smoke: they draw what they are given)

def test_figures_draw_one_line_per_model():
    from matplotlib.figure import Figure

    from training.plots import calibration_figure, calibration_figure_for, pr_figure, precision_at_k_figure, roc_figure

    frame = hand_frame()
    pairs = {"model": (frame["relapse_12m"], frame["score"]), "rules": (frame["relapse_12m"], 1 - frame["score"])}
    roc = roc_figure(pairs)
    assert isinstance(roc, Figure) and len(roc.axes[0].get_lines()) == 3  # two models and the diagonal
    assert len(pr_figure(pairs).axes[0].get_lines()) == 3  # two models and the base rate
    curve = calibration_curve(frame["relapse_12m"], frame["score"], bins=3)
    assert len(calibration_figure(curve).axes[0].get_lines()) == 2  # the model and the diagonal
    assert len(calibration_figure_for(frame["relapse_12m"], frame["score"]).axes[0].get_lines()) == 2
    at_k = precision_at_k_figure(frame.assign(rules=1 - frame["score"]), ["score", "rules"], shares=(0.1, 0.5))
    assert [len(axes.get_lines()) for axes in at_k.axes] == [2, 2]
    assert at_k.axes[1].get_lines()[0].get_ydata().tolist() == pytest.approx([5 / 12, 5 / 6])
