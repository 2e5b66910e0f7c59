"""Household-cluster bootstrap: every date of a drawn household goes into the sample together."""
from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import numpy as np
import pandas as pd

LABEL = "relapse_12m"
ArrayLike = np.ndarray | pd.Series | Sequence[float]


def percentile_interval(estimates: ArrayLike, level: float = 0.9) -> tuple[float, float]:
    """Central percentile interval of bootstrap estimates, ignoring NaN draws; (NaN, NaN) if none."""
    values = np.asarray(estimates, dtype=float)
    values = values[~np.isnan(values)]
    if not values.size:
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(values, [tail, 1.0 - tail])
    return float(low), float(high)


def _household_samples(household_id: pd.Series, n: int, seed: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Per draw: (household codes per row, codes of the households drawn with replacement).

    Households are coded in sorted id order, so a draw does not depend on the order of the rows.
    """
    codes, households = pd.factorize(household_id, sort=True)
    rng = np.random.default_rng(seed)
    for _ in range(n):
        yield codes, rng.integers(0, len(households), len(households))


def household_weights(household_id: pd.Series, n: int, seed: int) -> Iterator[np.ndarray]:
    """Cluster bootstrap as row weights: per draw, how many times each row's household was drawn."""
    for codes, drawn in _household_samples(household_id, n, seed):
        yield np.bincount(drawn, minlength=codes.max(initial=-1) + 1)[codes]


def household_draws(household_id: pd.Series, n: int, seed: int) -> Iterator[np.ndarray]:
    """Cluster bootstrap as row positions: per draw, all rows of each drawn household (repeated as drawn).

    The same `seed` draws the same households as `household_weights`.
    """
    codes = pd.factorize(household_id, sort=True)[0]
    rows_by_household = np.argsort(codes, kind="stable")
    rows_per_household = np.bincount(codes)
    first_row = np.cumsum(rows_per_household) - rows_per_household
    for _, drawn in _household_samples(household_id, n, seed):
        lengths = rows_per_household[drawn]
        offsets = np.cumsum(lengths) - lengths
        yield rows_by_household[np.repeat(first_row[drawn] - offsets, lengths) + np.arange(lengths.sum())]


def bootstrap_interval(frame: pd.DataFrame, metric_fn: Callable[[pd.DataFrame], float], n: int = 200,
                       level: float = 0.9, seed: int = 0) -> tuple[float, float]:
    """(low, high) of `metric_fn` over `n` household-cluster resamples (all of a household's dates together)."""
    if frame.empty:
        return float("nan"), float("nan")
    estimates = [metric_fn(frame.iloc[rows]) for rows in household_draws(frame["household_id"], n, seed)]
    return percentile_interval(estimates, level)


def roc_auc_interval(frame: pd.DataFrame, score_col: str = "score", n: int = 200, level: float = 0.9,
                     seed: int = 0, label_col: str = LABEL) -> tuple[float, float]:
    """`bootstrap_interval` of the pooled ROC-AUC, computed from household weights without copying rows.

    Same draws as `bootstrap_interval(frame, roc_auc of label_col and score_col, n, level, seed)`;
    weighted Mann-Whitney: sum over positive-negative pairs of w_i w_j [s_i > s_j] (+half a tie).
    """
    if frame.empty:
        return float("nan"), float("nan")
    positive = frame[label_col].to_numpy(dtype=bool)
    score_level = np.unique(frame[score_col].to_numpy(dtype=float), return_inverse=True)[1]
    levels = int(score_level.max()) + 1
    estimates = []
    for weight in household_weights(frame["household_id"], n, seed):
        positives = np.bincount(score_level[positive], weight[positive], levels)
        negatives = np.bincount(score_level[~positive], weight[~positive], levels)
        negatives_below = np.cumsum(negatives) - negatives
        pairs = positives.sum() * negatives.sum()
        wins = np.sum(positives * (negatives_below + 0.5 * negatives))
        estimates.append(wins / pairs if pairs else np.nan)
    return percentile_interval(estimates, level)


def recall_difference_interval(frame: pd.DataFrame, flagged_a: np.ndarray, flagged_b: np.ndarray, n: int = 200,
                               level: float = 0.9, seed: int = 0, label_col: str = LABEL) -> tuple[float, float]:
    """Interval of recall(A) - recall(B) over household-cluster resamples, both lists held fixed.

    Recall is computed per as-of date and averaged over the dates with positives, as
    `metrics.precision_recall_by_date` does; the two lists are judged on the same draws (paired).
    """
    if frame.empty:
        return float("nan"), float("nan")
    positive = frame[label_col].to_numpy(dtype=bool)
    dates, _ = pd.factorize(frame["as_of"])
    size = int(dates.max()) + 1
    hits_a = positive & np.asarray(flagged_a, dtype=bool)
    hits_b = positive & np.asarray(flagged_b, dtype=bool)
    estimates = []
    for weight in household_weights(frame["household_id"], n, seed):
        positives = np.bincount(dates, weight * positive, size)
        with_positives = positives > 0
        if not with_positives.any():
            estimates.append(np.nan)
            continue
        recall_a = np.bincount(dates, weight * hits_a, size)[with_positives] / positives[with_positives]
        recall_b = np.bincount(dates, weight * hits_b, size)[with_positives] / positives[with_positives]
        estimates.append(float(recall_a.mean() - recall_b.mean()))
    return percentile_interval(estimates, level)
