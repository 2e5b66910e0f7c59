"""Figures that mean something to a township: beside today's rules, and where the rules see nothing.

- `looks_fine_figures`: households that look fine at D (none of today's three rules fires).
  Relapse among them is what today's rules miss; each list is the one made for the whole
  cohort, judged on these households' relapses, and ROC-AUC ranks them among themselves.
- `recall_differences`: recall of a list minus recall of another at the same workload, with a
  paired household-cluster bootstrap interval (both lists fixed, households resampled with all
  their dates), so "above today's rules" can be told apart from noise.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from training.baselines import rule_triggers
from training.bootstrap import recall_difference_interval
from models.lists import capacity_flags, ranking, top_share_flags
from training.metrics import LABEL, precision_recall_by_date, roc_auc, share_name


def looks_fine(frame: pd.DataFrame) -> np.ndarray:
    """Rows where none of today's rules fires."""
    return rule_triggers(frame)["triggers"].to_numpy() == 0


def workload_cuts(frame: pd.DataFrame, score: str, capacity: int, shares: Sequence[float]) -> dict[str, np.ndarray]:
    """The lists at each workload: top share of each date's cohort, and the township capacity."""
    rank = ranking(frame, score)
    cuts = {share_name(share): top_share_flags(frame, share, rank)[0].to_numpy() for share in shares}
    cuts["capacity"] = capacity_flags(frame, score, capacity).to_numpy()
    return cuts


def looks_fine_figures(frame: pd.DataFrame, scores: Sequence[str], capacity: int,
                       shares: Sequence[float]) -> pd.DataFrame:
    """One row per score: how it does on the relapses of households that look fine at D."""
    fine = looks_fine(frame)
    positive = frame[LABEL].to_numpy(dtype=bool)
    rows = []
    for score in scores:
        row = {"score": score, "rows_looking_fine": int(fine.sum()),
               "share_of_relapses_looking_fine": float(positive[fine].sum() / max(positive.sum(), 1)),
               "base_rate_looking_fine": float(positive[fine].mean()) if fine.any() else np.nan,
               "roc_auc_looking_fine": roc_auc(positive[fine], frame.loc[fine, score])}
        for cut, flagged in workload_cuts(frame, score, capacity, shares).items():
            result = precision_recall_by_date(frame["as_of"][fine], pd.Series(flagged[fine]),
                                              pd.Series(positive[fine]))
            row[f"recall_at_{cut}_looking_fine"] = result["recall"]
        rows.append(row)
    return pd.DataFrame(rows)


def recall_differences(frame: pd.DataFrame, score: str, others: dict[str, str], capacity: int,
                       shares: Sequence[float], n_boot: int, seed: int) -> dict[str, float]:
    """recall(score) - recall(other) at each workload with its 90% interval, as flat metrics
    named like `recall_at_capacity_vs_rules`, `..._low`, `..._high` (`others`: column -> short name)."""
    mine = workload_cuts(frame, score, capacity, shares)
    positive = frame[LABEL]
    out: dict[str, float] = {}
    for other, short in others.items():
        theirs = workload_cuts(frame, other, capacity, shares)
        for cut, flagged in mine.items():
            difference = (precision_recall_by_date(frame["as_of"], pd.Series(flagged), positive)["recall"]
                          - precision_recall_by_date(frame["as_of"], pd.Series(theirs[cut]), positive)["recall"])
            low, high = recall_difference_interval(frame, flagged, theirs[cut], n_boot, 0.9, seed)
            name = f"recall_at_{cut}_vs_{short}"
            out.update({name: difference, f"{name}_low": low, f"{name}_high": high})
    return out
