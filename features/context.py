"""The prepared export (work shared by every as-of date) and the per-date context the blocks read."""
from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.facts import Facts
from features.history import cohort_mask, existing_mask, latest_positions, present_mask
from features.monthly import MonthlyAmounts
from features.timeline import HouseholdIndex, moment, month_of

RECORD_TABLES = ("members", "events", "alerts", "self_reports", "visits", "cases", "assistance")
CODED_TABLES = ("households", "income", "expenditures", *RECORD_TABLES)  # tables whose rows carry their household code


@dataclass
class PreparedExport:
    """Validated tables plus what every as-of date needs: household codes and sorted monthly amounts."""

    tables: dict[str, pd.DataFrame]
    index: HouseholdIndex
    income: MonthlyAmounts
    spending: MonthlyAmounts
    household_codes: dict[str, np.ndarray] = field(default_factory=dict)
    series: dict[str, dict[str, pd.Series]] = field(default_factory=dict)   # each table's columns, once read

    def rows(self, name: str, positions: np.ndarray) -> "Rows":
        """Rows of table `name` at `positions`, sharing the columns already read from it."""
        return Rows(self.tables[name], positions, self.series.setdefault(name, {}))

    @classmethod
    def prepare(cls, tables: dict[str, pd.DataFrame]) -> "PreparedExport":
        index = HouseholdIndex.from_tables(tables)
        codes = {name: index.codes(tables[name]["household_id"]) for name in CODED_TABLES}
        return cls(tables, index, MonthlyAmounts.prepare(tables["income"], "source", index, codes["income"]),
                   MonthlyAmounts.prepare(tables["expenditures"], "category", index, codes["expenditures"]), codes)

    def known(self, name: str, as_of: pd.Timestamp) -> tuple["Rows", np.ndarray]:
        """Rows of a record table known before `as_of`, with their household codes."""
        frame = self.tables[name]
        mask = (frame["recorded_at"].to_numpy() < moment(as_of)) & (self.household_codes[name] >= 0)
        positions = np.flatnonzero(mask)
        return self.rows(name, positions), self.household_codes[name][positions]


class Rows:
    """Some rows of a table, each column read as a numpy array once, when first asked for.

    Comparisons on numpy arrays cost microseconds where a pandas Series operation costs tens:
    the feature blocks, run for one household or a million, read their columns here. Dates are
    datetime64[us] (NaT never compares true), codes are read through their category numbers.
    """

    def __init__(self, frame: pd.DataFrame, positions: np.ndarray, series: dict[str, pd.Series] | None = None) -> None:
        self.frame, self.positions = frame, positions
        self._columns: dict[str, np.ndarray] = {}
        self._series = {} if series is None else series   # the frame's columns, shared by its subsets

    def _column(self, name: str) -> pd.Series:
        if name not in self._series:
            self._series[name] = self.frame[name]
        return self._series[name]

    def __len__(self) -> int:
        return len(self.positions)

    def __getitem__(self, name: str) -> np.ndarray:
        """The column's values (codes and text as objects, missing as None or NaN)."""
        if name not in self._columns:
            values = self._column(name)
            if isinstance(values.dtype, np.dtype) and values.dtype != object:
                self._columns[name] = values.to_numpy()[self.positions]
            else:  # text, codes, nullable numbers: only the rows wanted are converted
                self._columns[name] = np.asarray(values.array.take(self.positions), dtype=object)
        return self._columns[name]

    def numbers(self, name: str) -> np.ndarray:
        """A numeric or boolean column as floats (NaN where missing)."""
        key = f"{name}#float"
        if key not in self._columns:
            self._columns[key] = self._column(name).to_numpy(dtype=float, na_value=np.nan)[self.positions]
        return self._columns[key]

    def isin(self, name: str, values) -> np.ndarray:
        """Whether each row's code (or text) is one of `values`; missing is not."""
        dtype = self._column(name).dtype
        if isinstance(dtype, pd.CategoricalDtype):
            return np.isin(self.code_numbers(name), _code_numbers(dtype, tuple(values)))
        return np.isin(self[name], list(values))

    def code_numbers(self, name: str) -> np.ndarray:
        """A code column's category numbers (-1: missing)."""
        key = f"{name}#codes"
        if key not in self._columns:
            self._columns[key] = self._column(name).array.codes[self.positions]
        return self._columns[key]

    def equals(self, name: str, value) -> np.ndarray:
        return self.isin(name, [value])

    def mapped(self, name: str, numbers: dict[str, float]) -> np.ndarray:
        """Each row's code as the number `numbers` gives it (NaN for a code it lacks, or none)."""
        per_code = np.array([numbers.get(str(code), np.nan) for code in self._column(name).dtype.categories] + [np.nan])
        return per_code[self.code_numbers(name)]

    def subset(self, mask_or_order: np.ndarray) -> "Rows":
        """The rows picked by a mask or put in an order (positions into these rows)."""
        return Rows(self.frame, self.positions[mask_or_order], self._series)


@functools.lru_cache(maxsize=1024)
def _code_numbers(dtype: pd.CategoricalDtype, values: tuple) -> np.ndarray:
    """The category numbers of `values` among a code column's categories (those it has)."""
    return np.flatnonzero(dtype.categories.isin(list(values)))


@dataclass
class AsOf:
    """Everything known at one as-of date that several feature blocks share."""

    prepared: PreparedExport
    facts: Facts                     # what the features need from outside the households (lines, villages)
    as_of: pd.Timestamp
    households: Rows                 # cohort: latest household rows
    codes: np.ndarray                # household codes of the cohort rows
    all_households: Rows             # latest rows of every household existing at as_of
    all_codes: np.ndarray            # their household codes
    latest_members: Rows             # latest rows of every member known at as_of (present or not)
    latest_member_codes: np.ndarray
    members: Rows                    # present members (latest rows)
    member_codes: np.ndarray
    size: np.ndarray                 # members present, per household code
    line: np.ndarray                 # this year's monitoring line, per household code
    prev_rural_income: np.ndarray    # last year's provincial rural income, per household code
    county: np.ndarray               # county code string, per household code (object)
    _moments_ago: dict[int, np.datetime64] = field(default_factory=dict, repr=False)

    @property
    def month(self) -> int:
        return month_of(self.as_of)

    @property
    def n(self) -> int:
        return len(self.prepared.index)

    def months_ago(self, months: int) -> pd.Timestamp:
        return self.as_of - pd.DateOffset(months=months)

    def moment_ago(self, months: int) -> np.datetime64:
        """`months_ago` as numpy compares it with a date column (made once per number of months)."""
        if months not in self._moments_ago:
            self._moments_ago[months] = moment(self.months_ago(months))
        return self._moments_ago[months]

    @functools.cached_property
    def moment(self) -> np.datetime64:
        return moment(self.as_of)

    def dense(self, codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per household code: the count (or weighted sum) of `codes`."""
        return np.bincount(codes, weights=weights, minlength=self.n).astype(float)


def as_of_context(prepared: PreparedExport, as_of: pd.Timestamp, facts: Facts) -> AsOf:
    tables, codes = prepared.tables, prepared.household_codes
    as_of = pd.Timestamp(as_of)
    member_rows = latest_positions(tables["members"], "person_id", as_of)
    latest_members = prepared.rows("members", member_rows)
    latest_member_codes = codes["members"][member_rows]
    present = present_mask(latest_members, as_of)
    member_codes = latest_member_codes[present]
    household_rows = latest_positions(tables["households"], "household_id", as_of)
    latest = prepared.rows("households", household_rows)
    latest_codes = codes["households"][household_rows]
    exists = existing_mask(latest, as_of)
    in_cohort = cohort_mask(latest, tables["cases"], as_of)
    n = len(prepared.index)
    county, line, prev_income = _lines_per_household(facts, latest, latest_codes, as_of, n)
    size = np.bincount(member_codes[member_codes >= 0], minlength=n).astype(float)
    return AsOf(prepared, facts, as_of, latest.subset(in_cohort), latest_codes[in_cohort], latest.subset(exists),
                latest_codes[exists], latest_members, latest_member_codes, latest_members.subset(present),
                member_codes, size, line, prev_income, county)


def _lines_per_household(facts: Facts, households: Rows, codes: np.ndarray, as_of: pd.Timestamp, n: int):
    """County, monitoring line and last year's rural income for each household, as known at `as_of`."""
    counties, by_county = facts.lines_at(as_of)
    village_county = _looked_up(counties, households["village_code"], None)
    county = np.full(n, None, dtype=object)
    line = np.full(n, np.nan)
    prev_income = np.full(n, np.nan)
    county[codes] = village_county
    line[codes] = _looked_up(by_county["line_yuan"], village_county, np.nan).astype(float)
    prev_income[codes] = _looked_up(by_county["prev_rural_income_yuan"], village_county, np.nan).astype(float)
    return county, line, prev_income


def _looked_up(table: pd.Series, keys: np.ndarray, missing) -> np.ndarray:
    """`table`'s value for each key (`missing` where it has none), as `Series.map` gives it."""
    positions = table.index.get_indexer(pd.Index(keys, dtype=object))
    values = np.append(table.to_numpy(dtype=object), missing)
    return values[positions]
