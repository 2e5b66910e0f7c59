"""Township lists, shared by training, batch scoring and the service: one deterministic order,
capacity cuts, and the township and county a household belongs to.

Every list is made in one order: score descending, then household id ascending; rows with a
missing score go last. A household is flagged when its rank in its township's list is within the
township's capacity (how many households its staff can visit).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

TOWNSHIP_DIGITS = 9     # a village code (12 digits) starts with its township's code (9) and county's (6)
COUNTY_DIGITS = 6


def township_code(village_code: pd.Series) -> pd.Series:
    """The township of each village code (its first nine digits)."""
    return village_code.astype("str").str.slice(0, TOWNSHIP_DIGITS)


def county_code(village_code: pd.Series) -> pd.Series:
    """The county of each village code (its first six digits)."""
    return village_code.astype("str").str.slice(0, COUNTY_DIGITS)


def ranking(frame: pd.DataFrame, score_col: str = "score", within: Sequence[str] = ("as_of",)) -> pd.Series:
    """1-based position of each row in its list, one list per `within` group.

    Order: score descending, then household_id ascending; rows with a missing score go last.
    The result does not depend on the order of the input rows.
    """
    keys = [*within, score_col, "household_id"]
    ordered = frame[keys].reset_index(drop=True).sort_values(
        keys, ascending=[True] * len(within) + [False, True], na_position="last", kind="mergesort")
    position = ordered.groupby(list(within), sort=False, dropna=False).cumcount() + 1
    return pd.Series(position.sort_index().to_numpy(), index=frame.index, name="rank")


def list_size_for_share(cohort_size: np.ndarray | int, share: float) -> np.ndarray:
    """k = share of the cohort, rounded up, at least 1 (float noise such as 0.1 * 30 is ignored)."""
    exact = np.round(np.asarray(cohort_size, dtype=float) * share, 9)
    return np.maximum(1, np.ceil(exact)).astype(np.int64)


def top_share_flags(frame: pd.DataFrame, share: float, rank: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Rows within the top `share` of their as-of cohort, and k per row's date."""
    cohort_size = frame.groupby("as_of")["as_of"].transform("size").to_numpy()
    k = pd.Series(list_size_for_share(cohort_size, share), index=frame.index)
    return rank <= k, k


def capacity_flags(frame: pd.DataFrame, score_col: str = "score", capacity: int = 10) -> pd.Series:
    """True for the top `capacity` households of each (as_of, township_code)."""
    flagged = ranking(frame, score_col, within=("as_of", "township_code")) <= capacity
    return flagged.rename("flagged")
