"""The checks that say when a test window's figures are too easy to believe."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from training.predictability import (
    audit_metrics,
    audit_record,
    late_discoveries,
    predictability_audit,
    single_feature_auc,
    single_feature_scan,
    within_groups,
)


def county_frame(seed: int = 3, rows: int = 4000) -> pd.DataFrame:
    """Two groups with very different base rates; inside each group the score is pure noise."""
    rng = np.random.default_rng(seed)
    ex_poor = rng.random(rows) < 0.3
    y = rng.random(rows) < np.where(ex_poor, 0.20, 0.01)
    need = y & (rng.random(rows) < 0.5)
    as_of = pd.to_datetime(np.where(rng.random(rows) < 0.5, "2024-01-01", "2024-02-01"))
    delay = np.where(rng.random(rows) < 0.5, 30, 200)
    return pd.DataFrame({
        "household_id": [f"H{i:05d}" for i in range(rows)], "as_of": as_of,
        "relapse_12m": pd.array(y, dtype="boolean"), "label_admin": pd.array(y & ~need, dtype="boolean"),
        "label_need": pd.array(need, dtype="boolean"), "ex_poor": ex_poor,
        "case_discovered_on": pd.Series(as_of + pd.to_timedelta(delay, unit="D")).where(y & ~need),
        "copy_of_label": y.astype(float),                       # re-derives the label
        "noise": rng.normal(size=rows),
        "group_only": ex_poor.astype(float) + rng.normal(0, 0.01, rows),   # knows only the group
        "village_type": pd.Categorical(rng.choice(["a", "b"], rows)),
    })


def test_single_feature_auc_is_direction_free_and_nan_for_constants():
    y = pd.Series([True, True, False, False, False])
    up = pd.Series([5.0, 4.0, 3.0, 2.0, 1.0])
    assert single_feature_auc(up, y) == pytest.approx(1.0)
    assert single_feature_auc(-up, y) == pytest.approx(1.0)
    assert np.isnan(single_feature_auc(pd.Series([1.0] * 5), y))
    # missing values rank with the lowest: here they sit with the negatives, so the AUC stays 1
    assert single_feature_auc(pd.Series([5.0, 4.0, np.nan, np.nan, 1.0]), y) == pytest.approx(1.0)


def test_a_feature_that_copies_the_label_is_flagged_and_noise_is_not():
    scan = single_feature_scan(county_frame(), ["noise", "copy_of_label", "village_type", "group_only"])
    assert scan["feature"].tolist()[0] == "copy_of_label"
    assert "village_type" not in scan["feature"].tolist()          # categories carry no direction
    flagged = dict(zip(scan["feature"], scan["suspicious"]))
    assert flagged == {"copy_of_label": True, "group_only": False, "noise": False}
    assert scan.loc[scan["feature"] == "noise", "auc"].item() < 0.6


def test_within_groups_shows_when_the_split_between_groups_does_the_work():
    frame = county_frame()
    frame["model"] = frame["group_only"]
    groups = within_groups(frame, ["model"]).set_index("group")
    assert groups.loc["all households", "rows"] == len(frame)
    assert groups.loc["all households", "auc model"] > 0.8         # pooled looks good...
    for inside in ("formerly poor", "ordinary"):                   # ...inside each group it is a coin
        assert abs(groups.loc[inside, "auc model"] - 0.5) < 0.08
    audit = predictability_audit(frame, ["noise", "copy_of_label"], ["model"])
    assert any("gap between the groups" in note for note in audit["notes"])
    assert any(note.startswith("copy_of_label alone") for note in audit["notes"])


def test_late_discoveries_count_only_cases_found_90_days_or_more_later():
    frame = county_frame()
    frame["model"] = frame["copy_of_label"]
    late = late_discoveries(frame, ["model"]).iloc[0]
    delay = (frame["case_discovered_on"] - frame["as_of"]).dt.days
    assert late["positives"] == int((frame["relapse_12m"].astype(bool) & (delay >= 90)).sum())
    assert late["auc model"] == pytest.approx(1.0)


def test_audit_is_json_ready_and_gives_the_numbers_worth_tracking():
    import json

    frame = county_frame()
    frame["model"] = frame["noise"]
    audit = predictability_audit(frame, ["noise", "copy_of_label"], ["model"])
    json.dumps(audit_record(audit))
    metrics = audit_metrics(audit, "model")
    assert set(metrics) == {"max_single_feature_auc", "roc_auc_late_discoveries",
                            "roc_auc_formerly_poor", "roc_auc_ordinary"}
    assert metrics["max_single_feature_auc"] == pytest.approx(1.0)


def test_the_strongest_input_inside_each_group_is_named_when_it_decides_alone():
    frame = county_frame()
    ordinary = ~frame["ex_poor"]
    # inside ordinary households one fact of the present decides; inside formerly poor ones it is noise
    frame["no_one_can_work"] = np.where(ordinary, frame["relapse_12m"].astype(float), frame["noise"])
    groups = within_groups(frame, ["group_only"], ["noise", "no_one_can_work"])
    row = groups.set_index("group").loc["ordinary"]
    assert row["strongest_input"] == "no_one_can_work" and row["strongest_input_auc"] == pytest.approx(1.0)
    audit = predictability_audit(frame.assign(score=frame["group_only"]), ["noise", "no_one_can_work"], ["score"])
    assert any("inside ordinary households no_one_can_work alone" in note for note in audit["notes"])
    assert not any("inside formerly poor households" in note for note in audit["notes"])


def test_single_feature_auc_equals_the_pooled_roc_auc_with_ties_and_gaps():
    from training.metrics import roc_auc

    rng = np.random.default_rng(5)
    values = pd.Series(np.round(rng.normal(size=3000), 1)).where(rng.random(3000) > 0.1)
    y = pd.Series(rng.random(3000) < 0.2 + 0.1 * (values.fillna(-9) > 0))
    expected = roc_auc(y, values.fillna(values.min() - 1.0))
    assert single_feature_auc(values, y) == pytest.approx(max(expected, 1 - expected), abs=1e-12)
