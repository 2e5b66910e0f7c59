"""Evaluation figures. Each function returns a matplotlib Figure drawn on an Agg canvas.

Nothing is shown or saved, and pyplot is never imported, so no global figure state is kept;
saving (and closing, if the caller uses pyplot) is the caller's job.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import precision_recall_curve, roc_curve

from training.fairness import FAIR_BAND
from training.metrics import LABEL, ArrayLike, calibration_curve, pr_auc, precision_recall_by_share, roc_auc

SHARES = (0.01, 0.02, 0.05, 0.10, 0.15, 0.20, 0.30)
FLAGGED_COLOR, OK_COLOR, REFERENCE_COLOR = "#c0392b", "#2c7fb8", "#7f7f7f"


def roc_figure(results: Mapping[str, tuple[ArrayLike, ArrayLike]]) -> Figure:
    """ROC curves, one per model name -> (y, p); a model without both classes is left out of the legend."""
    figure, axes = _figure()
    for name, (y, p) in results.items():
        labels, scores = np.asarray(y, dtype=bool), np.asarray(p, dtype=float)
        if np.unique(labels).size < 2:
            continue
        false_positive_rate, true_positive_rate, _ = roc_curve(labels, scores)
        axes.plot(false_positive_rate, true_positive_rate, label=f"{name} (AUC {roc_auc(labels, scores):.3f})")
    axes.plot([0, 1], [0, 1], linestyle=":", color=REFERENCE_COLOR, label="chance")
    _finish(axes, "false positive rate", "true positive rate (recall)", "ROC curve")
    return figure


def pr_figure(results: Mapping[str, tuple[ArrayLike, ArrayLike]]) -> Figure:
    """Precision-recall curves, one per model name -> (y, p), with the first model's base rate."""
    figure, axes = _figure()
    base_rate = None
    for name, (y, p) in results.items():
        labels, scores = np.asarray(y, dtype=bool), np.asarray(p, dtype=float)
        if not labels.any():
            continue
        precision, recall, _ = precision_recall_curve(labels, scores)
        axes.plot(recall, precision, label=f"{name} (AP {pr_auc(labels, scores):.3f})")
        base_rate = labels.mean() if base_rate is None else base_rate
    if base_rate is not None:
        axes.axhline(base_rate, linestyle=":", color=REFERENCE_COLOR, label=f"base rate {base_rate:.3f}")
    _finish(axes, "recall", "precision", "Precision-recall curve")
    return figure


def calibration_figure(curves: pd.DataFrame | Mapping[str, pd.DataFrame]) -> Figure:
    """Observed rate against mean predicted probability per bin (`metrics.calibration_curve` output).

    Pass one curve, or a mapping of model name -> curve.
    """
    named = {"model": curves} if isinstance(curves, pd.DataFrame) else dict(curves)
    figure, axes = _figure()
    for name, curve in named.items():
        axes.plot(curve["mean_predicted"], curve["observed_rate"], marker="o", label=name)
    axes.plot([0, 1], [0, 1], linestyle=":", color=REFERENCE_COLOR, label="perfect calibration")
    _finish(axes, "mean predicted probability (equal-frequency bins)", "observed relapse rate", "Calibration")
    return figure


def calibration_figure_for(y: ArrayLike, p: ArrayLike, bins: int = 10, name: str = "model") -> Figure:
    """`calibration_figure` of `metrics.calibration_curve(y, p, bins)`."""
    return calibration_figure({name: calibration_curve(y, p, bins)})


def precision_at_k_figure(frame: pd.DataFrame, score_cols: Sequence[str], shares: Iterable[float] = SHARES,
                          label_col: str = LABEL) -> Figure:
    """Precision and recall at the top share of each as-of cohort (averaged over dates), one line per model.

    `frame` is the evaluation frame with one score column per model; the column name is the
    model's name in the legend.
    """
    figure = Figure(figsize=(10.0, 4.2), layout="constrained")
    FigureCanvasAgg(figure)
    precision_axes, recall_axes = figure.subplots(1, 2, sharex=True)
    shares = tuple(shares)
    for score_col in score_cols:
        table = precision_recall_by_share(frame, score_col, shares, label_col)
        percent = table["share"] * 100
        precision_axes.plot(percent, table["precision"], marker="o", label=score_col)
        recall_axes.plot(percent, table["recall"], marker="o", label=score_col)
    _finish(precision_axes, "top % of households listed per as-of date", "precision", "Precision at k")
    _finish(recall_axes, "top % of households listed per as-of date", "recall", "Recall at k")
    return figure


def fairness_figure(audit: pd.DataFrame, metric: str = "recall") -> Figure:
    """Bars of each group's `metric` disparity with its interval, against the fair band 0.8-1.25.

    Flagged groups are red; "too few" groups get an empty bar and say so in their label.
    """
    labels = [f"{row.attribute}={row.value}" + _group_note(row) for row in audit.itertuples(index=False)]
    estimate = audit[f"{metric}_disparity"].to_numpy(dtype=float)
    low = audit[f"{metric}_disparity_low"].to_numpy(dtype=float)
    high = audit[f"{metric}_disparity_high"].to_numpy(dtype=float)
    error = np.nan_to_num(np.clip(np.vstack([estimate - low, high - estimate]), 0.0, None))
    colors = np.where(audit[f"{metric}_flag"].to_numpy(dtype=bool), FLAGGED_COLOR, OK_COLOR)
    figure, axes = _figure(width=8.0, height=max(3.0, 0.35 * len(audit) + 1.2))
    axes.axvspan(*FAIR_BAND, color="#d9f0d3", label=f"fair band {FAIR_BAND[0]}-{FAIR_BAND[1]}")
    positions = np.arange(len(audit))
    axes.barh(positions, np.nan_to_num(estimate), xerr=error, color=colors, capsize=3)
    axes.axvline(1.0, color=REFERENCE_COLOR, linewidth=1)
    axes.set_yticks(positions, labels)
    axes.invert_yaxis()
    _finish(axes, f"{metric} of the group / {metric} of the reference group", "",
            f"{metric.capitalize()} disparity at capacity, 90% intervals")
    return figure


def _group_note(row) -> str:
    if row.status != "ok":
        return " (too few)"
    return " (reference)" if row.value == row.reference else ""


def _figure(width: float = 6.0, height: float = 4.5) -> tuple[Figure, object]:
    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot()


def _finish(axes, x_label: str, y_label: str, title: str) -> None:
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend(loc="best", fontsize="small")
