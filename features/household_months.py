"""Per household and month end: the members present and the monitoring line, from given rows.

Both take the rows as known at some date (latest versions) and return household x month
arrays over months `first`..`first + months - 1` (months since 1970-01), so features (rows
known at D) and labels (every row, with hindsight) share one definition.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from features.timeline import HouseholdIndex, month_number

FAR_FUTURE = pd.Timestamp("2262-01-01")


def members_at_month_ends(latest_members: pd.DataFrame, index: HouseholdIndex, first: int,
                          months: int) -> np.ndarray:
    """Members present at each month end: joined_on on or before that day, left_on null or after it."""
    codes = index.codes(latest_members["household_id"])
    joined = month_number(latest_members["joined_on"]) - first
    left = np.where(latest_members["left_on"].isna(), months,
                    month_number(latest_members["left_on"].fillna(FAR_FUTURE)) - first)
    start, stop = np.clip(joined, 0, months), np.clip(left, 0, months)
    keep = (codes >= 0) & (stop > start)
    change = np.zeros((len(index), months + 1))
    np.add.at(change, (codes[keep], start[keep]), 1)
    np.add.at(change, (codes[keep], stop[keep]), -1)
    return np.cumsum(change, axis=1)[:, :months]


def county_of_households(latest_households: pd.DataFrame, latest_areas: pd.DataFrame,
                         index: HouseholdIndex) -> np.ndarray:
    """County code per household code (None for a household without a known area)."""
    county = np.full(len(index), None, dtype=object)
    by_village = latest_areas.set_index("village_code")["county_code"]
    county[index.codes(latest_households["household_id"])] = latest_households["village_code"].map(
        by_village).to_numpy()
    return county


def line_at_month_ends(latest_lines: pd.DataFrame, county: np.ndarray, first: int, months: int,
                       carry_forward: bool) -> np.ndarray:
    """The line of each month's calendar year for each household's county (NaN where none).

    With `carry_forward`, a year without a line takes the latest earlier year's (a line not yet
    published is read as last year's); without it, only that very year's line counts.
    """
    years = np.arange(first, first + months) // 12 + 1970
    wanted = sorted(set(years))
    table = latest_lines.pivot_table(index="county_code", columns="year", values="line_yuan", aggfunc="last")
    if carry_forward:
        table = table.reindex(columns=sorted(set(table.columns) | set(wanted))).ffill(axis=1)
    table = table.reindex(columns=wanted)
    per_county = table.reindex(pd.Index(county)).to_numpy(dtype=float)
    return per_county[:, pd.Index(wanted).get_indexer(years)]
