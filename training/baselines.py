"""Today's rules (domain.md, "Today's rules"): the baseline every model must beat at equal workload.

At as-of date D a household is flagged when any trigger fires:
1. income: the latest assessed 12-month per-capita income known at D below 1.1x its line (no
   assessment, no income trigger);
2. medical: 12-month out-of-pocket medical costs above the department threshold (50% of last
   year's provincial rural income for formerly poor households, 100% for others);
3. signal: an alert or self-report in the last 3 months not resolved as false alarm or excluded.
A list of k households: most triggers first, then the lowest assessed income-to-line ratio
(households without an assessment after every assessed one), then household id. `rule_scores`
encodes that order in one number so the shared `metrics.ranking` (score descending, household id ascending) reproduces it exactly.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from training.metrics import require_columns

INCOME_BUFFER = 1.1          # income trigger: ratio to the line below this
MEDICAL_RULE_RATIO = 1.0     # medical trigger: out-of-pocket over the department threshold above this
RULE_COLUMNS = ("assessed_income_line_ratio", "medical_oop_rule_ratio_12m", "open_signals_3m")
RATIO_WEIGHT = 0.5           # the ratio part of the score stays within [0, 0.5]: below one trigger


def rule_triggers(features: pd.DataFrame) -> pd.DataFrame:
    """Bool columns income_trigger, medical_trigger, signal_trigger and int `triggers` (0-3).

    An unknown (NaN) ratio or signal count does not fire its trigger.
    """
    require_columns(features, RULE_COLUMNS, "feature frame")
    income_ratio = _floats(features["assessed_income_line_ratio"])
    medical_ratio = _floats(features["medical_oop_rule_ratio_12m"])
    open_signals = _floats(features["open_signals_3m"])
    triggers = pd.DataFrame({
        "income_trigger": income_ratio < INCOME_BUFFER,
        "medical_trigger": medical_ratio > MEDICAL_RULE_RATIO,
        "signal_trigger": open_signals > 0,
    }, index=features.index)
    triggers["triggers"] = triggers.sum(axis=1).astype(np.int64)
    return triggers


def rule_scores(features: pd.DataFrame) -> pd.Series:
    """Score = triggers + 0.5 x closeness of the income ratio; higher is listed first.

    Closeness is 1 for the lowest known ratio in the frame and falls by equal steps to 1/m
    for the highest of m distinct known ratios (dense rank, so equal ratios tie and the
    household id decides); an unknown ratio gets 0. Within one trigger count this orders
    lowest ratio first and unknown last; the ratio part never reaches the next trigger.
    The score orders households; it is not a probability.
    """
    triggers = rule_triggers(features)["triggers"].to_numpy(dtype=float)
    ratio = pd.Series(_floats(features["assessed_income_line_ratio"]))
    known = ratio.notna().to_numpy()
    distinct_known = max(int(ratio[known].nunique()), 1)
    dense_rank = ratio.rank(method="dense").to_numpy()  # 1 = lowest known ratio, NaN stays NaN
    closeness = np.where(known, 1.0 - (dense_rank - 1.0) / distinct_known, 0.0)
    return pd.Series(triggers + RATIO_WEIGHT * closeness, index=features.index, name="rule_score")


def _floats(values: pd.Series) -> np.ndarray:
    return pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan)
