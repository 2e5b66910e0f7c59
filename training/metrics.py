"""Evaluation metrics: lists at a workload, pooled discrimination and calibration, lead time.

Input is the evaluation frame: one row per (household, as-of date) of the test window with
`household_id`, `as_of`, `township_code`, a score column (higher = riskier), `relapse_12m`,
`label_admin`, `label_need`, `label_category` and `case_discovered_on`.

Every list is made per as-of date in one deterministic order: score descending, then household
id ascending (`ranking`). Workload metrics are computed per as-of date, then averaged over dates.
Metrics that need positives are NaN when there are none, never an exception.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from stayout.errors import InputError
from models.lists import capacity_flags, ranking, top_share_flags
from training.bootstrap import roc_auc_interval

LABEL = "relapse_12m"
CATEGORIES = ("unstable", "edge", "sudden")
LABEL_PARTS = {"admin": "label_admin", "need": "label_need"}
DEFAULT_SHARES = (0.01, 0.05, 0.10)
BASE_COLUMNS = ("household_id", "as_of", "township_code", LABEL)

ArrayLike = np.ndarray | pd.Series | Sequence[float]


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str = "evaluation frame") -> None:
    """Raise an InputError naming every missing column."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise InputError(f"{what} is missing column(s) {', '.join(missing)}; "
                         f"build it with these columns (present: {', '.join(map(str, frame.columns))})")


def precision_recall_by_date(as_of: pd.Series, flagged: pd.Series, positive: pd.Series) -> dict[str, float]:
    """Precision and recall per as-of date, then the mean over dates (dates where undefined skipped)."""
    counts = pd.DataFrame({"as_of": as_of.to_numpy(), "flagged": flagged.to_numpy(dtype=bool),
                           "positive": positive.to_numpy(dtype=bool)})
    counts["hit"] = counts["flagged"] & counts["positive"]
    per_date = counts.groupby("as_of")[["flagged", "positive", "hit"]].sum()
    precision = per_date["hit"] / per_date["flagged"].where(per_date["flagged"] > 0)
    recall = per_date["hit"] / per_date["positive"].where(per_date["positive"] > 0)
    return {"precision": _mean(precision), "recall": _mean(recall), "flagged_mean": _mean(per_date["flagged"])}


def precision_recall_at_k(frame: pd.DataFrame, score_col: str = "score", share: float = 0.10,
                          label_col: str = LABEL) -> dict[str, float]:
    """Precision and recall of the top `share` of each as-of cohort, averaged over dates; mean k."""
    row = precision_recall_by_share(frame, score_col, [share], label_col).iloc[0]
    return {"precision": float(row["precision"]), "recall": float(row["recall"]), "k_mean": float(row["k_mean"])}


def precision_recall_by_share(frame: pd.DataFrame, score_col: str = "score",
                              shares: Iterable[float] = DEFAULT_SHARES, label_col: str = LABEL) -> pd.DataFrame:
    """`precision_recall_at_k` for several shares with one ranking: DataFrame(share, precision, recall, k_mean)."""
    rank = ranking(frame, score_col)
    rows = []
    for share in shares:
        flagged, k = top_share_flags(frame, share, rank)
        result = precision_recall_by_date(frame["as_of"], flagged, frame[label_col])
        k_mean = _mean(k.groupby(frame["as_of"].to_numpy()).first())
        rows.append({"share": share, "precision": result["precision"], "recall": result["recall"], "k_mean": k_mean})
    return pd.DataFrame(rows, columns=["share", "precision", "recall", "k_mean"])


def precision_recall_at_capacity(frame: pd.DataFrame, score_col: str = "score", capacity: int = 10,
                                 label_col: str = LABEL) -> dict[str, float]:
    """Precision and recall of the top `capacity` per township, per as-of date, averaged over dates."""
    flagged = capacity_flags(frame, score_col, capacity)
    return precision_recall_by_date(frame["as_of"], flagged, frame[label_col])


def roc_auc(y: ArrayLike, p: ArrayLike) -> float:
    """Pooled ROC-AUC; NaN unless both classes are present."""
    labels, scores = _arrays(y, p)
    if np.unique(labels).size < 2:
        return float("nan")
    return float(roc_auc_score(labels, scores))


def pr_auc(y: ArrayLike, p: ArrayLike) -> float:
    """Pooled average precision; NaN without positives."""
    labels, scores = _arrays(y, p)
    if not labels.any():
        return float("nan")
    return float(average_precision_score(labels, scores))


def brier(y: ArrayLike, p: ArrayLike) -> float:
    """Mean squared difference between probability and outcome; NaN on no rows.

    Summed exactly (fsum), so the value does not depend on row order.
    """
    labels, scores = _arrays(y, p)
    return math.fsum((scores - labels) ** 2) / labels.size if labels.size else float("nan")


def calibration_curve(y: ArrayLike, p: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Equal-frequency bins: DataFrame(bin, mean_predicted, observed_rate, count).

    Rows are sorted by p (ties by y, so the bins do not depend on row order) and split into
    `bins` nearly equal groups; empty groups (fewer rows than bins) are dropped.
    """
    labels, scores = _arrays(y, p)
    order = np.lexsort((labels, scores))
    groups = [group for group in np.array_split(order, bins) if group.size]
    return pd.DataFrame({
        "bin": np.arange(len(groups), dtype=np.int64),
        "mean_predicted": [scores[group].mean() for group in groups],
        "observed_rate": [labels[group].mean() for group in groups],
        "count": np.array([group.size for group in groups], dtype=np.int64),
    })


def expected_calibration_error(y: ArrayLike, p: ArrayLike, bins: int = 10) -> float:
    """Count-weighted mean |observed rate - mean predicted| over equal-frequency bins; NaN on no rows."""
    curve = calibration_curve(y, p, bins)
    if curve.empty:
        return float("nan")
    gap = (curve["observed_rate"] - curve["mean_predicted"]).abs()
    return float(np.average(gap, weights=curve["count"]))


def lead_time_days(frame: pd.DataFrame, score_col: str = "score", capacity: int = 10) -> dict[str, float]:
    """Days between the first capacity flag and official discovery, per case in the test window.

    A case is (household_id, case_discovered_on). Its lead is discovered_on minus the earliest
    as_of at which the household was within its township's capacity, counting only as-of dates
    on or before discovery; a case never flagged in time counts as 0 days.
    """
    with_case = frame["case_discovered_on"].notna().to_numpy()
    flagged = capacity_flags(frame, score_col, capacity).to_numpy()[with_case]
    rows = frame.loc[with_case, ["household_id", "case_discovered_on", "as_of"]]
    in_time = flagged & (rows["as_of"] <= rows["case_discovered_on"]).to_numpy()
    rows = rows.assign(flagged_as_of=rows["as_of"].where(in_time))
    first_flag = rows.groupby(["household_id", "case_discovered_on"])["flagged_as_of"].min()
    discovered = first_flag.index.get_level_values("case_discovered_on")
    lead = pd.Series((discovered - pd.DatetimeIndex(first_flag.to_numpy())).days, dtype=float)
    if lead.empty:
        nan = float("nan")
        return {"median": nan, "q1": nan, "q3": nan, "n_cases": 0, "share_flagged_before": nan}
    days = lead.fillna(0.0)
    return {"median": float(days.median()), "q1": float(days.quantile(0.25)), "q3": float(days.quantile(0.75)),
            "n_cases": int(lead.size), "share_flagged_before": float(lead.notna().mean())}


def evaluate(frame: pd.DataFrame, score_col: str = "score", capacity: int = 10,
             ks: Sequence[float] = DEFAULT_SHARES, n_boot: int = 200, seed: int = 0) -> dict[str, float]:
    """Every metric of this module as one flat dict of floats (see the module doc)."""
    require_columns(frame, [*BASE_COLUMNS, score_col, "label_admin", "label_need", "label_category",
                            "case_discovered_on"])
    if frame[score_col].isna().any():
        raise InputError(f"score column {score_col} has {int(frame[score_col].isna().sum())} missing values; "
                         "score every row of the evaluation frame")
    return {**_population_metrics(frame), **_pooled_metrics(frame, score_col, n_boot, seed),
            **_workload_metrics(frame, score_col, capacity, ks), **_lead_time_metrics(frame, score_col, capacity)}


def comparison_table(results: Mapping[str, Mapping[str, float]]) -> pd.DataFrame:
    """One row per metric (in order of first appearance), one column per model name."""
    metrics = list(dict.fromkeys(name for result in results.values() for name in result))
    table = pd.DataFrame({model: [result.get(metric, np.nan) for metric in metrics]
                          for model, result in results.items()}, index=pd.Index(metrics, name="metric"))
    return table.astype(float)


def share_name(share: float) -> str:
    """0.01 -> '1pct', 0.025 -> '2.5pct'."""
    return f"{round(share * 100, 6):g}pct"


def label_variants(frame: pd.DataFrame) -> dict[str, tuple[pd.Series, np.ndarray]]:
    """Metric-name suffix -> (positives, rows judged): the label, each category, each label part.

    Figures about `need` alone use only the rows where it is known; the others use every row.
    """
    every = np.ones(len(frame), dtype=bool)
    variants = {"": (frame[LABEL].astype(bool), every)}
    for category in CATEGORIES:
        variants[f"_{category}"] = (frame["label_category"].eq(category).fillna(False).astype(bool), every)
    for part, column in LABEL_PARTS.items():
        known = frame[column].notna().to_numpy() if part == "need" else every
        variants[f"_{part}"] = (frame[column].fillna(False).astype(bool), known)
    return variants


def _population_metrics(frame: pd.DataFrame) -> dict[str, float]:
    positive = frame[LABEL].astype(bool)
    return {"rows": float(len(frame)), "households": float(frame["household_id"].nunique()),
            "as_of_dates": float(frame["as_of"].nunique()), "positives": float(positive.sum()),
            "base_rate": float(positive.mean()) if len(frame) else float("nan")}


def _pooled_metrics(frame: pd.DataFrame, score_col: str, n_boot: int, seed: int) -> dict[str, float]:
    y, p = frame[LABEL], frame[score_col]
    low, high = roc_auc_interval(frame, score_col, n_boot, 0.9, seed)
    is_probability = bool(len(p)) and bool(p.between(0.0, 1.0).all())
    nan = float("nan")
    return {"roc_auc": roc_auc(y, p), "roc_auc_low": low, "roc_auc_high": high, "pr_auc": pr_auc(y, p),
            "brier": brier(y, p) if is_probability else nan,
            "ece": expected_calibration_error(y, p) if is_probability else nan}


def _workload_metrics(frame: pd.DataFrame, score_col: str, capacity: int, ks: Sequence[float]) -> dict[str, float]:
    rank = ranking(frame, score_col)
    cuts = {share_name(share): top_share_flags(frame, share, rank)[0] for share in ks}
    cuts["capacity"] = capacity_flags(frame, score_col, capacity)
    metrics: dict[str, float] = {}
    for suffix, (positive, judged) in label_variants(frame).items():
        for cut, flagged in cuts.items():
            result = precision_recall_by_date(frame["as_of"][judged], flagged[judged], positive[judged])
            metrics[f"precision_at_{cut}{suffix}"] = result["precision"]
            metrics[f"recall_at_{cut}{suffix}"] = result["recall"]
            if not suffix:
                metrics[f"flagged_mean_at_{cut}"] = result["flagged_mean"]
    return metrics


def _lead_time_metrics(frame: pd.DataFrame, score_col: str, capacity: int) -> dict[str, float]:
    lead = lead_time_days(frame, score_col, capacity)
    return {"lead_time_median_days": lead["median"], "lead_time_q1_days": lead["q1"],
            "lead_time_q3_days": lead["q3"], "lead_time_cases": float(lead["n_cases"]),
            "lead_time_share_flagged_before": lead["share_flagged_before"]}


def _arrays(y: ArrayLike, p: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray(y, dtype=bool).astype(float), np.asarray(p, dtype=float)


def _mean(values: pd.Series) -> float:
    values = values.astype(float).dropna()
    return float(values.mean()) if len(values) else float("nan")
