"""Group audit at the capacity cut: hand-computed rates, the "too few" state, flags raised and not raised."""
from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from tests.test_metrics import hand_frame
from training.fairness import fairness_audit, fairness_flags

GROUP_FLAGS = ("head_minority", "head_female", "elderly_only", "disabled_member", "key_county")


def county_frame(female_positives_ranked_low: bool, seed: int = 3) -> pd.DataFrame:
    """600 households in 30 townships of 20, two as-of dates, about 20% positive rows.

    Scores: uniform noise + 0.8 for a positive row, except (when asked) for positive rows of
    female-headed households, which get no lift, so the capacity list misses them.
    """
    rng = np.random.default_rng(seed)
    n_households, dates = 600, [pd.Timestamp("2023-01-01"), pd.Timestamp("2023-07-01")]
    index = np.arange(n_households)
    frames = []
    for as_of in dates:
        positive = rng.random(n_households) < 0.2
        female = index % 2 == 1
        lift = np.where(female & female_positives_ranked_low, 0.0, 0.8)
        frames.append(pd.DataFrame({
            "household_id": [f"h{i:04d}" for i in index], "as_of": as_of,
            "township_code": [f"1101010{i // 20:02d}" for i in index],
            "score": rng.random(n_households) + lift * positive, "relapse_12m": positive,
            "head_female": female, "head_minority": index < 80, "elderly_only": index < 10,
            "disabled_member": False, "key_county": index >= 300,
        }))
    frame = pd.concat(frames, ignore_index=True)
    minority_positive = frame.index[frame["head_minority"] & frame["relapse_12m"]]
    frame.loc[minority_positive[3:], "relapse_12m"] = False  # leave the minority group 3 positive rows
    return frame


def audit_row(audit: pd.DataFrame, attribute: str, value: bool) -> pd.Series:
    rows = audit[(audit["attribute"] == attribute) & (audit["value"] == value)]
    assert len(rows) == 1
    return rows.iloc[0]


def test_rates_and_disparities_by_hand():
    frame = hand_frame()
    frame["head_female"] = frame["household_id"].isin(["h2", "h5"])
    audit = fairness_audit(frame, capacity=1, groups=("head_female",), n_boot=20, min_households=1, min_positives=1)
    # flagged at capacity 1: D1 h1 h4, D2 h2 h4
    # female rows: h2 D1 (pos), h5 D1 (pos), h2 D2 (pos, flagged), h5 D2 -> 3 positives, 1 flagged, 1 hit
    female = audit_row(audit, "head_female", True)
    assert (female["size"], female["rows"], female["positives"], female["flagged"]) == (2, 4, 3, 1)
    assert female[["base_rate", "recall", "miss_rate", "precision", "share_flagged"]].tolist() == pytest.approx(
        [3 / 4, 1 / 3, 2 / 3, 1.0, 1 / 4])
    # male rows: h1 h3 h4 h6 on both dates -> positives h1 D1, h4 D2; flagged h1 D1, h4 D1, h4 D2
    male = audit_row(audit, "head_female", False)
    assert male[["recall", "precision", "share_flagged"]].tolist() == pytest.approx([1.0, 2 / 3, 3 / 8])
    # the reference is the larger group (4 households against 2)
    assert female["reference"] == False  # noqa: E712
    assert female["recall_disparity"] == pytest.approx(1 / 3)
    assert female["precision_disparity"] == pytest.approx(1.5)
    assert (male["recall_disparity"], male["precision_disparity"]) == (1.0, 1.0)
    assert not male["flag"]


def test_constructed_disparity_is_flagged():
    audit = fairness_audit(county_frame(female_positives_ranked_low=True), capacity=4, n_boot=200)
    female = audit_row(audit, "head_female", True)
    assert female["status"] == "ok" and female["reference"] == False  # noqa: E712  (300 vs 300 households: first level)
    assert female["recall_disparity"] < 0.5
    assert female["recall_disparity_high"] < 0.8
    assert female["flag"] and female["recall_flag"]
    assert not audit_row(audit, "head_female", False)["flag"]
    lines = fairness_flags(audit)
    pattern = r"recall of head_female=True is 0\.\d\dx that of head_female=False \(90% CI 0\.\d\d-0\.\d\d\)"
    assert any(re.fullmatch(pattern, line) for line in lines), lines


def test_fair_ranking_is_not_flagged():
    audit = fairness_audit(county_frame(female_positives_ranked_low=False), capacity=4, n_boot=200)
    female = audit_row(audit, "head_female", True)
    assert female["status"] == "ok"
    assert 0.8 <= female["recall_disparity"] <= 1.25
    assert female["recall_disparity_low"] < 1.0 < female["recall_disparity_high"]
    assert not audit.loc[audit["attribute"] == "head_female", "flag"].any()
    assert not any("head_female" in line for line in fairness_flags(audit))


def test_disparity_outside_the_band_is_not_flagged_when_its_interval_includes_one():
    frame = county_frame(female_positives_ranked_low=False)
    frame["small_group"] = frame["household_id"].isin([f"h{i:04d}" for i in range(500, 560)])
    audit = fairness_audit(frame, capacity=4, groups=("small_group",), n_boot=200)
    small = audit_row(audit, "small_group", True)  # 60 households, 27 positive rows, 16 of them listed
    assert small["status"] == "ok"
    assert small["recall_disparity"] < 0.8  # 16/27 against 152/205: 0.799, by chance
    assert small["recall_disparity_low"] < 1.0 < small["recall_disparity_high"]
    assert not small["flag"] and fairness_flags(audit) == []


def test_small_groups_are_too_few_not_numbers():
    audit = fairness_audit(county_frame(female_positives_ranked_low=True), capacity=4, n_boot=50)
    elderly = audit_row(audit, "elderly_only", True)  # 10 households
    assert elderly["status"] == "too few" and elderly["size"] == 10
    minority = audit_row(audit, "head_minority", True)  # 80 households but 3 positive rows
    assert minority["status"] == "too few" and minority["positives"] == 3
    for row in (elderly, minority):
        assert all(math.isnan(row[column]) for column in (
            "recall", "miss_rate", "precision", "recall_disparity", "recall_disparity_low", "precision_disparity"))
        assert not row["flag"]


def test_empty_group_does_not_crash():
    audit = fairness_audit(county_frame(female_positives_ranked_low=True), capacity=4, n_boot=50)
    disabled = audit_row(audit, "disabled_member", True)  # no household has a disabled member
    assert disabled["size"] == 0 and disabled["rows"] == 0 and disabled["status"] == "too few"
    assert math.isnan(disabled["recall"]) and not disabled["flag"]
    everyone = audit_row(audit, "disabled_member", False)
    assert everyone["status"] == "ok" and everyone["recall_disparity"] == 1.0


def test_all_groups_too_few_gives_nan_disparities():
    audit = fairness_audit(hand_frame(), capacity=1, n_boot=20)  # 6 households: below 50 everywhere
    assert set(audit["status"]) == {"too few"}
    assert audit["recall_disparity"].isna().all() and not audit["flag"].any()
    assert audit["reference"].isna().all()
    assert fairness_flags(audit) == []
    assert len(audit) == 2 * len(GROUP_FLAGS)  # both values of every boolean attribute


def test_audit_does_not_depend_on_row_order():
    frame = county_frame(female_positives_ranked_low=True)
    first = fairness_audit(frame, capacity=4, n_boot=30)
    again = fairness_audit(frame.sample(frac=1.0, random_state=1).reset_index(drop=True), capacity=4, n_boot=30)
    pd.testing.assert_frame_equal(first, again)


def test_fairness_figure_draws_a_bar_per_group():
    from training.plots import fairness_figure

    audit = fairness_audit(county_frame(female_positives_ranked_low=True), capacity=4, n_boot=30)
    figure = fairness_figure(audit)
    assert len(figure.axes[0].patches) >= len(audit)  # one bar per row (plus the fair band)
    labels = [label.get_text() for label in figure.axes[0].get_yticklabels()]
    assert "head_female=True" in labels and any("too few" in label for label in labels)
