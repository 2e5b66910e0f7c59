"""Labels, exactly as contract version 2 defines them, with hindsight and only once final.

`label_admin`: a case identified in [D, D + 12 months); `label_category` is the first such case's.
`label_need`: let W be the 12 calendar months starting with D's month. When every month of W is
assessed (covered by a survey income row) and somebody is present at the end of W's last month,
the verified income over W per member present then is below the line of that month's year;
otherwise unknown (null). A month without a survey row is never read as zero income.
`relapse_12m` = admin or need (an unknown need counts as not shown). A label is final when
D + 12 months + 90 days is on or before the data's end (`exported_at`, else the latest
`recorded_at` of the export); before that every label column is null, never imputed.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.history import latest_versions
from features.household_months import (FAR_FUTURE, county_of_households, line_at_month_ends,
                                       members_at_month_ends)
from features.monthly import MonthlyAmounts
from features.timeline import HouseholdIndex, month_of

LABEL_SCHEMA_VERSION = "2"
HORIZON_MONTHS = 12
REPORTING_LAG_DAYS = 90
LABEL_COLUMNS = ("relapse_12m", "label_admin", "label_need", "label_category")


def data_end(tables: dict[str, pd.DataFrame], exported_at: pd.Timestamp | None = None) -> pd.Timestamp:
    """The export's end: when it was taken (`export.json`), else its latest `recorded_at`."""
    if exported_at is not None:
        return pd.Timestamp(exported_at)
    return max(frame["recorded_at"].max() for frame in tables.values() if len(frame))


def is_final(as_of: pd.Timestamp, end: pd.Timestamp) -> bool:
    return pd.Timestamp(as_of) + pd.DateOffset(months=HORIZON_MONTHS) + pd.Timedelta(days=REPORTING_LAG_DAYS) <= end


@dataclass(frozen=True)
class NeedGrid:
    """Per household and month: assessed, verified income, members at the month end, the line."""

    first_month: int
    assessed_to: np.ndarray      # int, households x (months + 1): cumulative count of assessed months
    income_to: np.ndarray        # float, households x (months + 1): cumulative verified income
    members: np.ndarray          # households x months: members present at the month end
    line: np.ndarray             # households x months: the line of the month's year (NaN if none)
    index: HouseholdIndex

    @classmethod
    def build(cls, tables: dict[str, pd.DataFrame], index: HouseholdIndex,
              income: MonthlyAmounts | None = None) -> "NeedGrid":
        """From the tables; `income` is their income already prepared for `index`, when at hand."""
        income = income if income is not None else MonthlyAmounts.prepare(tables["income"], "source", index)
        covered = income.month_range()
        first, last = covered if covered else (0, 0)
        months = last - first + 1
        monthly = income.totals(FAR_FUTURE, first, months, len(index))
        assessed = income.assessed(FAR_FUTURE, first, months, len(index))
        members = members_at_month_ends(latest_versions(tables["members"], "person_id", FAR_FUTURE), index,
                                        first, months)
        county = county_of_households(latest_versions(tables["households"], "household_id", FAR_FUTURE),
                                      latest_versions(tables["areas"], "village_code", FAR_FUTURE), index)
        lines = latest_versions(tables["monitoring_lines"], ["county_code", "year"], FAR_FUTURE)
        line = line_at_month_ends(lines, county, first, months, carry_forward=False)
        pad = np.zeros((len(index), 1))
        return cls(first, np.concatenate([pad, np.cumsum(assessed, axis=1)], axis=1).astype(np.int64),
                   np.concatenate([pad, np.cumsum(monthly, axis=1)], axis=1), members, line, index)

    def need(self, codes: np.ndarray, as_of: pd.Timestamp) -> pd.array:
        """`label_need` of the households with `codes` at `as_of` (nullable boolean)."""
        start = month_of(as_of) - self.first_month
        stop = start + HORIZON_MONTHS
        months = self.members.shape[1]
        if start < 0 or stop > months or not len(codes):
            return pd.array([pd.NA] * len(codes), dtype="boolean")
        assessed = self.assessed_to[codes, stop] - self.assessed_to[codes, start]
        income = np.round(self.income_to[codes, stop] - self.income_to[codes, start], 2)  # to the fen, so an
        # income exactly at the line is not below it by a floating-point hair
        members, line = self.members[codes, stop - 1], self.line[codes, stop - 1]
        known = (assessed == HORIZON_MONTHS) & (members > 0) & np.isfinite(line)
        with np.errstate(divide="ignore", invalid="ignore"):
            below = income / members < line
        return _nullable(below, known)


def _nullable(values: np.ndarray, known: np.ndarray) -> pd.array:
    out = pd.array(values.astype(bool), dtype="boolean")
    out[~known] = pd.NA
    return out


def admin_labels(cases: pd.DataFrame, households: pd.Series, as_of: pd.Timestamp) -> tuple[np.ndarray, pd.Series]:
    """Whether each household has a case identified in [as_of, as_of + 12 months), and its category."""
    horizon_end = as_of + pd.DateOffset(months=HORIZON_MONTHS)
    window = cases[(cases["identified_on"] >= as_of) & (cases["identified_on"] < horizon_end)]
    first = window.sort_values(["identified_on", "case_id"]).drop_duplicates("household_id")
    category = households.map(first.set_index("household_id")["category"].astype("str"))
    return category.notna().to_numpy(), category


def attach_labels(features: pd.DataFrame, tables: dict[str, pd.DataFrame],
                  exported_at: pd.Timestamp | None = None, grid: NeedGrid | None = None) -> pd.DataFrame:
    """`features` with the four label columns; rows whose label is not final get nulls. `grid` is
    the tables' `NeedGrid`, when already built."""
    grid = grid if grid is not None else NeedGrid.build(tables, HouseholdIndex.from_tables(tables))
    index = grid.index
    end = data_end(tables, exported_at)
    parts = []
    for as_of, rows in features.groupby("as_of", sort=False):
        rows = rows.copy()
        final = is_final(as_of, end)
        admin, category = admin_labels(tables["cases"], rows["household_id"], as_of)
        need = grid.need(index.codes(rows["household_id"]), as_of)
        nulls = pd.array([pd.NA] * len(rows), dtype="boolean")
        rows["relapse_12m"] = pd.array(admin | need.fillna(False).to_numpy(dtype=bool), dtype="boolean") \
            if final else nulls
        rows["label_admin"] = pd.array(admin, dtype="boolean") if final else nulls
        rows["label_need"] = need if final else nulls
        rows["label_category"] = pd.Series(category.to_numpy() if final else None, index=rows.index, dtype="str")
        parts.append(rows)
    return pd.concat(parts).loc[features.index] if parts else features.assign(
        **{c: pd.Series(dtype="boolean") for c in LABEL_COLUMNS[:3]}, label_category=pd.Series(dtype="str"))
