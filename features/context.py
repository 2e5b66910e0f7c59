"""The prepared export (work shared by every as-of date) and the per-date context the blocks read."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.facts import Facts
from features.history import cohort_of, latest_versions, present_of
from features.monthly import MonthlyAmounts
from features.timeline import HouseholdIndex, month_of

RECORD_TABLES = ("members", "events", "alerts", "self_reports", "visits", "cases", "assistance")


@dataclass
class PreparedExport:
    """Validated tables plus what every as-of date needs: household codes and sorted monthly amounts."""

    tables: dict[str, pd.DataFrame]
    index: HouseholdIndex
    income: MonthlyAmounts
    spending: MonthlyAmounts
    household_codes: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def prepare(cls, tables: dict[str, pd.DataFrame]) -> "PreparedExport":
        index = HouseholdIndex.from_tables(tables)
        prepared = cls(tables, index, MonthlyAmounts.prepare(tables["income"], "source", index),
                       MonthlyAmounts.prepare(tables["expenditures"], "category", index))
        for name in RECORD_TABLES:
            prepared.household_codes[name] = index.codes(tables[name]["household_id"])
        return prepared

    def known(self, name: str, as_of: pd.Timestamp) -> tuple[pd.DataFrame, np.ndarray]:
        """Rows of a record table known before `as_of`, with their household codes."""
        frame = self.tables[name]
        mask = (frame["recorded_at"] < as_of).to_numpy() & (self.household_codes[name] >= 0)
        return frame[mask], self.household_codes[name][mask]


@dataclass
class AsOf:
    """Everything known at one as-of date that several feature blocks share."""

    prepared: PreparedExport
    facts: Facts                     # what the features need from outside the households (lines, villages)
    as_of: pd.Timestamp
    households: pd.DataFrame         # cohort: latest household rows
    codes: np.ndarray                # household codes of the cohort rows
    all_households: pd.DataFrame     # latest rows of every household existing at as_of
    latest_members: pd.DataFrame     # latest rows of every member known at as_of (present or not)
    members: pd.DataFrame            # present members (latest rows)
    member_codes: np.ndarray
    size: np.ndarray                 # members present, per household code
    line: np.ndarray                 # this year's monitoring line, per household code
    prev_rural_income: np.ndarray    # last year's provincial rural income, per household code
    county: np.ndarray               # county code string, per household code (object)

    @property
    def month(self) -> int:
        return month_of(self.as_of)

    @property
    def n(self) -> int:
        return len(self.prepared.index)

    def months_ago(self, months: int) -> pd.Timestamp:
        return self.as_of - pd.DateOffset(months=months)

    def dense(self, codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per household code: the count (or weighted sum) of `codes`."""
        return np.bincount(codes, weights=weights, minlength=self.n).astype(float)


def as_of_context(prepared: PreparedExport, as_of: pd.Timestamp, facts: Facts) -> AsOf:
    tables = prepared.tables
    as_of = pd.Timestamp(as_of)
    latest_members = latest_versions(tables["members"], "person_id", as_of)
    members = present_of(latest_members, as_of)
    member_codes = prepared.index.codes(members["household_id"])
    latest = latest_versions(tables["households"], "household_id", as_of)
    existing = latest[latest["dissolved_on"].isna() | (latest["dissolved_on"] >= as_of)].reset_index(drop=True)
    in_cohort = cohort_of(latest, tables["cases"], as_of)
    n = len(prepared.index)
    county, line, prev_income = _lines_per_household(prepared, facts, latest, as_of, n)
    size = np.bincount(member_codes[member_codes >= 0], minlength=n).astype(float)
    return AsOf(prepared, facts, as_of, in_cohort, prepared.index.codes(in_cohort["household_id"]), existing,
                latest_members, members, member_codes, size, line, prev_income, county)


def _lines_per_household(prepared: PreparedExport, facts: Facts, households: pd.DataFrame, as_of: pd.Timestamp,
                         n: int):
    """County, monitoring line and last year's rural income for each household, as known at `as_of`."""
    counties, by_county = facts.lines_at(as_of)
    village_county = households["village_code"].map(counties)
    codes = prepared.index.codes(households["household_id"])
    county = np.full(n, None, dtype=object)
    line = np.full(n, np.nan)
    prev_income = np.full(n, np.nan)
    county[codes] = village_county.to_numpy()
    line[codes] = village_county.map(by_county["line_yuan"]).to_numpy(dtype=float)
    prev_income[codes] = village_county.map(by_county["prev_rural_income_yuan"]).to_numpy(dtype=float)
    return county, line, prev_income
