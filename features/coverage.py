"""How much of the outcome an export can show at each as-of date: known `need`, cases to come.

Where income is assessed once a year, `need` of the latest final dates is often still unknown
(the assessment covering the last months of their window comes up to a year later), and
ordinary households are assessed only when flagged. The training plan reads these shares to
keep the label's meaning the same in every part; reports print them.
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from features.history import cohort
from features.labels import NeedGrid, admin_labels
from features.timeline import HouseholdIndex

TYPES = ("ex_poor", "ordinary")


def need_coverage(tables: dict[str, pd.DataFrame], dates: Iterable[pd.Timestamp],
                  grid: NeedGrid | None = None) -> pd.DataFrame:
    """Per as-of date (hindsight, whether final or not): cohort size, the share of the cohort whose
    `need` is known, the same by household type, the `need` rate among the known, and the share
    with a case identified within 12 months."""
    grid = grid if grid is not None else NeedGrid.build(tables, HouseholdIndex.from_tables(tables))
    index = grid.index
    rows = []
    for as_of in dates:
        members = cohort(tables["households"], tables["cases"], as_of)
        need = grid.need(index.codes(members["household_id"]), as_of)
        known = ~need.isna()
        admin, _ = admin_labels(tables["cases"], members["household_id"], as_of)
        kind = members["household_type"].astype("str").to_numpy()
        row = {"as_of": as_of, "households": len(members), "need_known": _share(known),
               "need_rate_known": float(np.mean(need[known].astype(bool))) if known.any() else np.nan,
               "admin_rate": _share(admin), "admin_positives": int(admin.sum())}
        for household_type in TYPES:
            row[f"need_known_{household_type}"] = _share(known[kind == household_type])
        rows.append(row)
    columns = ["as_of", "households", "need_known", *[f"need_known_{t}" for t in TYPES], "need_rate_known",
               "admin_rate", "admin_positives"]
    return pd.DataFrame(rows, columns=columns).set_index("as_of")


def _share(mask: np.ndarray) -> float:
    return float(np.mean(mask)) if len(mask) else np.nan
