"""Today's rules: triggers on hand rows, and the rule score reproduces the domain's list order exactly."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from training.baselines import rule_scores, rule_triggers
from models.lists import ranking

NAN = float("nan")
D1, D2 = pd.Timestamp("2023-01-01"), pd.Timestamp("2023-07-01")


def features(rows: list[tuple]) -> pd.DataFrame:
    """rows of (household_id, as_of, assessed_income_line_ratio, medical_oop_rule_ratio_12m, open_signals_3m)."""
    return pd.DataFrame(rows, columns=["household_id", "as_of", "assessed_income_line_ratio",
                                       "medical_oop_rule_ratio_12m", "open_signals_3m"])


def test_triggers_on_hand_rows():
    frame = features([
        ("a", D1, 0.80, 1.20, 2),      # all three fire
        ("b", D1, 1.10, 1.00, 0),      # exactly at 1.1x the line and exactly at the threshold: none fires
        ("c", D1, NAN, NAN, 1),        # unknown ratios never fire; one open signal does
        ("d", D1, 1.0999, 1.0001, 0),  # just under the buffer, just over the threshold
        ("e", D1, 3.00, 0.20, 0),      # nothing
    ])
    triggers = rule_triggers(frame)
    assert triggers["income_trigger"].tolist() == [True, False, False, True, False]
    assert triggers["medical_trigger"].tolist() == [True, False, False, True, False]
    assert triggers["signal_trigger"].tolist() == [True, False, True, False, False]
    assert triggers["triggers"].tolist() == [3, 0, 1, 2, 0]
    assert triggers["triggers"].dtype == np.int64


def listed_order(frame: pd.DataFrame, scores: pd.Series, as_of: pd.Timestamp) -> list[str]:
    ranked = frame.assign(score=scores)
    ranked = ranked.assign(rank=ranking(ranked, "score"))
    return ranked[ranked["as_of"] == as_of].sort_values("rank")["household_id"].tolist()


def test_rule_list_order_by_hand():
    frame = features([
        ("h1", D1, 0.90, 0.0, 0),   # 1 trigger (income), ratio .9
        ("h2", D1, NAN, 0.0, 1),    # 1 trigger (signal), ratio unknown
        ("h3", D1, 1.50, 2.0, 1),   # 2 triggers (medical, signal)
        ("h4", D1, 0.90, 0.0, 0),   # same as h1: h1 first by id
        ("h5", D1, 2.00, 0.0, 0),   # no trigger, ratio 2
        ("h6", D1, NAN, 0.0, 0),    # no trigger, ratio unknown
        ("h7", D1, 1.30, 1.5, 0),   # 1 trigger (medical), ratio 1.3
    ])
    assert listed_order(frame, rule_scores(frame), D1) == ["h3", "h1", "h4", "h7", "h2", "h5", "h6"]


def explicit_order(frame: pd.DataFrame, as_of: pd.Timestamp) -> list[str]:
    """The domain rule as a plain sort: most triggers, lowest known ratio (unknown last), household id."""
    triggers = rule_triggers(frame)["triggers"]
    rows = [(-triggers[i], math.isnan(ratio), 0.0 if math.isnan(ratio) else ratio, household)
            for i, (household, ratio, date) in enumerate(
                zip(frame["household_id"], frame["assessed_income_line_ratio"], frame["as_of"])) if date == as_of]
    return [row[-1] for row in sorted(rows)]


RATIOS = st.one_of(st.just(NAN), st.sampled_from([0.0, 0.5, 1.0, 1.0999, 1.1, 1.5]),
                   st.floats(min_value=-1.0, max_value=1e6, allow_nan=False))
ROW = st.tuples(RATIOS, st.sampled_from([NAN, 0.0, 1.0, 1.0001, 5.0]), st.sampled_from([NAN, 0, 1, 3]),
                st.sampled_from([D1, D2]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(ROW, min_size=1, max_size=40), id_seed=st.integers(0, 10_000))
def test_rule_score_order_equals_the_explicit_sort(rows, id_seed):
    household_ids = np.random.default_rng(id_seed).permutation(len(rows))
    frame = features([(f"h{household:03d}", as_of, income, medical, signals)
                      for household, (income, medical, signals, as_of) in zip(household_ids, rows)])
    scores = rule_scores(frame)
    for as_of in (D1, D2):
        assert listed_order(frame, scores, as_of) == explicit_order(frame, as_of)


def test_rule_scores_do_not_depend_on_row_order():
    frame = features([(f"h{i}", D1, ratio, 0.0, signals)
                      for i, (ratio, signals) in enumerate([(0.5, 0), (NAN, 1), (1.5, 0), (0.5, 2), (1.05, 0)])])
    scores = rule_scores(frame)
    reordered = frame.iloc[::-1]
    pd.testing.assert_series_equal(rule_scores(reordered).sort_index(), scores)
