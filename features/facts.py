"""The facts a household's features need from outside its own records, computed once and passed in.

A household's features depend on its own rows and on these facts only, so that the whole county,
a chunk of households, one household posted to the service and one Spark partition give it the
same values:

- `areas` and `monitoring_lines`: the contract's reference tables (which villages are in which
  county, key counties, relocation sites; each county's line and last year's rural income);
- `villages`: village-level aggregates per as-of date, computed from the whole export: how many
  households exist in the village and the shares of them with a recent disaster or a recent case.

Nothing that only labels may know (the data's end) is in here.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from features.history import latest_versions
from stayout.errors import InputError

VILLAGE_SHARES = ("village_disaster_share_12m", "village_case_share_12m")
VILLAGE_COLUMNS = ("village_code", "as_of", "village_households", *VILLAGE_SHARES)
REFERENCE_TABLES = ("areas", "monitoring_lines")


@dataclass(frozen=True)
class Facts:
    areas: pd.DataFrame
    monitoring_lines: pd.DataFrame
    villages: pd.DataFrame          # VILLAGE_COLUMNS, one row per village and as-of date
    _known: dict = field(default_factory=dict, init=False, repr=False, compare=False)  # per date (_kept)

    @classmethod
    def from_tables(cls, tables: dict[str, pd.DataFrame], as_of_dates: Iterable[pd.Timestamp]) -> "Facts":
        """Facts of the whole export for the given as-of dates."""
        dates = sorted({pd.Timestamp(d) for d in as_of_dates})
        parts = [village_aggregates(tables, as_of) for as_of in dates]
        villages = pd.concat(parts, ignore_index=True) if parts else _empty_villages()
        return cls(tables["areas"], tables["monitoring_lines"], villages)

    @property
    def as_of_dates(self) -> list[pd.Timestamp]:
        return [pd.Timestamp(d) for d in sorted(self.villages["as_of"].unique())]

    def villages_at(self, as_of: pd.Timestamp) -> pd.DataFrame:
        """Village aggregates at `as_of`, indexed by village code (kept per date, like all below)."""
        return self._kept("villages", as_of, self._villages_at)

    def _villages_at(self, as_of: pd.Timestamp) -> pd.DataFrame:
        at = self.villages[self.villages["as_of"] == np.datetime64(pd.Timestamp(as_of), "us")]
        if at.empty and not self.villages.empty:
            known = ", ".join(f"{d:%Y-%m-%d}" for d in self.as_of_dates[:6])
            raise InputError(f"the facts passed in have no village aggregates for as-of {pd.Timestamp(as_of):%Y-%m-%d} "
                             f"(they cover {known}); compute them with Facts.from_tables for this date")
        return at.set_index("village_code")

    def latest_areas(self, as_of: pd.Timestamp) -> pd.DataFrame:
        """The latest row of each village known at `as_of`."""
        return self._kept("areas", as_of, lambda when: latest_versions(self.areas, "village_code", when))

    def latest_lines(self, as_of: pd.Timestamp) -> pd.DataFrame:
        """The latest row of each county and year's monitoring line known at `as_of`."""
        return self._kept("lines", as_of,
                          lambda when: latest_versions(self.monitoring_lines, ["county_code", "year"], when))

    def lines_at(self, as_of: pd.Timestamp) -> tuple[pd.Series, pd.DataFrame]:
        """As known at `as_of`: each village's county (indexed by village code), and each county's
        latest monitoring line of a year up to as_of's (indexed by county code)."""
        return self._kept("lines_at", as_of, self._lines_at)

    def _lines_at(self, as_of: pd.Timestamp) -> tuple[pd.Series, pd.DataFrame]:
        lines = self.latest_lines(as_of)
        lines = lines[lines["year"] <= as_of.year].sort_values("year").drop_duplicates("county_code", keep="last")
        return self.latest_areas(as_of).set_index("village_code")["county_code"], lines.set_index("county_code")

    def _kept(self, what: str, as_of: pd.Timestamp, compute):
        """What `compute` gives at `as_of`, computed once per date (the facts are never changed).
        Callers must not modify what they are given."""
        key = (what, pd.Timestamp(as_of))
        if key not in self._known:
            self._known[key] = compute(key[1])
        return self._known[key]

    def for_dates(self, as_of_dates: Iterable[pd.Timestamp]) -> "Facts":
        wanted = [np.datetime64(pd.Timestamp(d), "us") for d in as_of_dates]
        return Facts(self.areas, self.monitoring_lines,
                     self.villages[self.villages["as_of"].isin(wanted)].reset_index(drop=True))


def village_aggregates(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> pd.DataFrame:
    """Per village at `as_of`: existing households, and the shares of them with a disaster event
    that happened in the last 12 months, and with a case identified in the last 12 months (both as
    recorded before `as_of`)."""
    hits = village_hits(tables, as_of)
    grouped = hits.groupby(["village_code", "as_of"], sort=True)
    counts = grouped[["disaster", "case"]].sum().astype("int64").rename(
        columns={"disaster": "disaster_households", "case": "case_households"})
    counts.insert(0, "village_households", grouped.size().astype("int64"))
    return village_shares(counts.reset_index())


def village_hits(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> pd.DataFrame:
    """One row per household existing at `as_of`: its village then, and whether it had a disaster
    event in the last 12 months and a case identified in the last 12 months. Counted per village,
    these give `village_aggregates`; any split of the households gives parts that add up."""
    as_of = pd.Timestamp(as_of)
    year_ago = as_of - pd.DateOffset(months=12)
    latest = latest_versions(tables["households"], "household_id", as_of)
    existing = latest[latest["dissolved_on"].isna() | (latest["dissolved_on"] >= as_of)]
    ids = existing["household_id"].astype("str")
    events = tables["events"]
    disaster = events[(events["recorded_at"] < as_of).to_numpy()
                      & events["event_type"].astype("str").str.startswith("disaster").to_numpy()
                      & ((events["occurred_on"] >= year_ago) & (events["occurred_on"] < as_of)).to_numpy()]
    cases = tables["cases"]
    new_case = cases[(cases["recorded_at"] < as_of).to_numpy()
                     & ((cases["identified_on"] >= year_ago) & (cases["identified_on"] < as_of)).to_numpy()]
    return pd.DataFrame({"village_code": existing["village_code"].astype("str").to_numpy(),
                         "as_of": np.full(len(existing), np.datetime64(as_of, "us")),
                         "disaster": ids.isin(disaster["household_id"].astype("str")).to_numpy(),
                         "case": ids.isin(new_case["household_id"].astype("str")).to_numpy()})


def village_shares(counts: pd.DataFrame) -> pd.DataFrame:
    """`VILLAGE_COLUMNS` from per-village counts (village_code, as_of, village_households,
    disaster_households, case_households), ordered by date and village."""
    counts = counts.sort_values(["as_of", "village_code"], kind="mergesort").reset_index(drop=True)
    households = counts["village_households"].to_numpy(dtype="float64")
    return pd.DataFrame({
        "village_code": counts["village_code"].astype("str").to_numpy(),
        "as_of": counts["as_of"].to_numpy().astype("datetime64[us]"),
        "village_households": counts["village_households"].to_numpy(dtype="int64"),
        VILLAGE_SHARES[0]: counts["disaster_households"].to_numpy(dtype="float64") / households,
        VILLAGE_SHARES[1]: counts["case_households"].to_numpy(dtype="float64") / households,
    }, columns=list(VILLAGE_COLUMNS))


def _empty_villages() -> pd.DataFrame:
    return pd.DataFrame({"village_code": pd.Series(dtype="str"), "as_of": pd.Series(dtype="datetime64[us]"),
                         "village_households": pd.Series(dtype="int64"),
                         **{name: pd.Series(dtype="float64") for name in VILLAGE_SHARES}})


def household_tables(tables: dict[str, pd.DataFrame], household_ids: Iterable[str]) -> dict[str, pd.DataFrame]:
    """The record tables restricted to `household_ids` (reference tables kept whole)."""
    wanted = pd.Index(pd.unique(pd.Series(list(household_ids), dtype="str")))
    out = {}
    for name, frame in tables.items():
        if name in REFERENCE_TABLES or "household_id" not in frame.columns:
            out[name] = frame
        else:
            out[name] = frame[frame["household_id"].astype("str").isin(wanted).to_numpy()].reset_index(drop=True)
    return out
