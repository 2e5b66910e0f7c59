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


def members_at_month_ends(latest_members, index: HouseholdIndex, first: int, months: int,
                          codes: np.ndarray | None = None) -> np.ndarray:
    """Members present at each month end: joined_on on or before that day, left_on null or after it.
    `latest_members`: a frame, or `features.context.Rows`; `codes`: their household codes, if at hand."""
    codes = index.codes(pd.Series(latest_members["household_id"])) if codes is None else codes
    joined = month_number(latest_members["joined_on"]) - first
    left_on = np.asarray(latest_members["left_on"], dtype="datetime64[us]")
    left = np.where(np.isnat(left_on), months, month_number(left_on) - first)
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
    wanted = sorted(set(years.tolist()))
    published: dict[str, dict[int, float]] = {}   # the last line given per county and year (a few rows)
    for code, year, value in zip(latest_lines["county_code"].astype("str").tolist(), latest_lines["year"].tolist(),
                                 latest_lines["line_yuan"].to_numpy(dtype=float).tolist()):
        if not np.isnan(value):
            published.setdefault(code, {})[int(year)] = value
    codes, counties = pd.factorize(pd.Series(county, dtype=object))
    per_county = np.full((len(counties) + 1, len(wanted)), np.nan)   # the last row: no county
    for row, code in enumerate(counties):
        lines = published.get(str(code), {})
        given = sorted(lines)
        for column, year in enumerate(wanted):
            if carry_forward:
                earlier = [y for y in given if y <= year]
                per_county[row, column] = lines[earlier[-1]] if earlier else np.nan
            else:
                per_county[row, column] = lines.get(year, np.nan)
    return per_county[codes][:, np.searchsorted(wanted, years)]
