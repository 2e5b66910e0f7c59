"""Labels, exactly as the contract defines them, with hindsight and only once final.

`label_admin`: a case identified in [D, D + 12 months); `label_category` is the first such case's.
`label_need`: the rolling 12-month per-capita verified income is below the line at the end of any
of the 12 months starting with D's month (only windows inside the data count).
`relapse_12m` = admin or need. A label is final when D + 12 months + 90 days <= the data end (the
latest `recorded_at` of the export); before that every label column is null, never imputed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.history import latest_versions
from features.monthly import MonthlyAmounts
from features.timeline import HouseholdIndex, month_number, month_of

HORIZON_MONTHS = 12
REPORTING_LAG_DAYS = 90
LABEL_COLUMNS = ("relapse_12m", "label_admin", "label_need", "label_category")
FAR_FUTURE = pd.Timestamp("2262-01-01")


def data_end(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """The export's end: its latest `recorded_at`."""
    return max(frame["recorded_at"].max() for frame in tables.values() if len(frame))


def is_final(as_of: pd.Timestamp, end: pd.Timestamp) -> bool:
    return pd.Timestamp(as_of) + pd.DateOffset(months=HORIZON_MONTHS) + pd.Timedelta(days=REPORTING_LAG_DAYS) <= end


@dataclass(frozen=True)
class NeedGrid:
    """Per household and month end: is the rolling 12-month per-capita income below the line?"""

    first_month: int
    below: np.ndarray      # bool, households x months; False where the window is not inside the data
    index: HouseholdIndex

    @classmethod
    def build(cls, tables: dict[str, pd.DataFrame], index: HouseholdIndex) -> "NeedGrid":
        income = MonthlyAmounts.prepare(tables["income"], "source", index)
        end = data_end(tables)
        first, last = income.first_month_known(end + pd.Timedelta(days=1)), month_of(end)
        months = last - first + 1
        monthly = income.totals(end + pd.Timedelta(days=1), first, months, len(index))
        rolling = np.cumsum(monthly, axis=1)
        rolling[:, 12:] = rolling[:, 12:] - rolling[:, :-12]
        members = _members_at_month_ends(tables["members"], index, first, months)
        line = _line_at_month_ends(tables, index, first, months)
        with np.errstate(divide="ignore", invalid="ignore"):
            below = (members > 0) & (rolling / members < line)
        below[:, :11] = False  # a window must lie inside the data
        return cls(first, below, index)

    def need(self, codes: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
        start = month_of(as_of) - self.first_month
        window = self.below[:, max(start, 0):max(start + HORIZON_MONTHS, 0)]
        return window[codes].any(axis=1) if window.size else np.zeros(len(codes), dtype=bool)


def _members_at_month_ends(members: pd.DataFrame, index: HouseholdIndex, first: int, months: int) -> np.ndarray:
    """Members present at each month end (latest member rows, with hindsight)."""
    latest = latest_versions(members, "person_id", FAR_FUTURE)
    codes = index.codes(latest["household_id"])
    # present at the end of month m when joined_on <= that day and left_on is null or after it
    joined = month_number(latest["joined_on"]) - first
    left = np.where(latest["left_on"].isna(), months, month_number(latest["left_on"].fillna(FAR_FUTURE)) - first)
    start, stop = np.clip(joined, 0, months), np.clip(left, 0, months)
    keep = (codes >= 0) & (stop > start)
    change = np.zeros((len(index), months + 1))
    np.add.at(change, (codes[keep], start[keep]), 1)
    np.add.at(change, (codes[keep], stop[keep]), -1)
    return np.cumsum(change, axis=1)[:, :months]


def _line_at_month_ends(tables, index: HouseholdIndex, first: int, months: int) -> np.ndarray:
    """The line of each month end's calendar year for each household's county (NaN if none)."""
    households = latest_versions(tables["households"], "household_id", FAR_FUTURE)
    areas = latest_versions(tables["areas"], "village_code", FAR_FUTURE).set_index("village_code")
    lines = latest_versions(tables["monitoring_lines"], ["county_code", "year"], FAR_FUTURE)
    county = np.full(len(index), None, dtype=object)
    county[index.codes(households["household_id"])] = households["village_code"].map(areas["county_code"]).to_numpy()
    years = (np.arange(first, first + months) // 12 + 1970)
    table = lines.pivot_table(index="county_code", columns="year", values="line_yuan", aggfunc="last")
    table = table.reindex(columns=sorted(set(years)))
    per_county = table.reindex(pd.Index(county)).to_numpy()
    year_position = pd.Index(sorted(set(years))).get_indexer(years)
    return per_county[:, year_position]


def admin_labels(cases: pd.DataFrame, households: pd.Series, as_of: pd.Timestamp) -> tuple[np.ndarray, pd.Series]:
    """Whether each household has a case identified in [as_of, as_of + 12 months), and its category."""
    horizon_end = as_of + pd.DateOffset(months=HORIZON_MONTHS)
    window = cases[(cases["identified_on"] >= as_of) & (cases["identified_on"] < horizon_end)]
    first = window.sort_values(["identified_on", "case_id"]).drop_duplicates("household_id")
    category = households.map(first.set_index("household_id")["category"].astype("str"))
    return category.notna().to_numpy(), category


def attach_labels(features: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """`features` with the four label columns; rows whose label is not final get nulls."""
    index = HouseholdIndex.from_tables(tables)
    grid = NeedGrid.build(tables, index)
    end = data_end(tables)
    parts = []
    for as_of, rows in features.groupby("as_of", sort=False):
        rows = rows.copy()
        admin, category = admin_labels(tables["cases"], rows["household_id"], as_of)
        need = grid.need(index.codes(rows["household_id"]), as_of)
        final = is_final(as_of, end)
        rows["relapse_12m"] = pd.array(admin | need if final else [pd.NA] * len(rows), dtype="boolean")
        rows["label_admin"] = pd.array(admin if final else [pd.NA] * len(rows), dtype="boolean")
        rows["label_need"] = pd.array(need if final else [pd.NA] * len(rows), dtype="boolean")
        rows["label_category"] = pd.Series(category.to_numpy() if final else None, index=rows.index, dtype="str")
        parts.append(rows)
    return pd.concat(parts).loc[features.index] if parts else features.assign(
        **{c: pd.Series(dtype="boolean") for c in LABEL_COLUMNS[:3]}, label_category=pd.Series(dtype="str"))
