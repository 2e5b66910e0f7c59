"""The labelled frame of every planned as-of date, with the columns evaluation needs."""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from features.build import build_features
from features.history import latest_versions
from features.context import PreparedExport
from features.labels import HORIZON_MONTHS, NeedGrid, attach_labels
from models.lists import county_code, township_code
from training.splits import SplitPlan

EVALUATION_COLUMNS = ("township_code", "county_code", "case_discovered_on", "disabled_member", "part", "refit_part")


def labelled_frame(tables: dict[str, pd.DataFrame], plan: SplitPlan,
                   progress: Callable[[Iterable], Iterable] | None = None,
                   exported_at: pd.Timestamp | None = None, prepared: PreparedExport | None = None,
                   grid: NeedGrid | None = None) -> pd.DataFrame:
    """Features and labels of every planned date (built in one call), plus the evaluation columns.

    `relapse_12m` is the plan's label: with `plan.label == "admin"` it is `label_admin`, and the
    contract's own value stays in `relapse_12m_contract`. `part` says train, validation, test or
    refit (a date only the refit learns from); `refit_part` says train or validation for the rows
    the refitted model learns from, and is empty for the others (and for held-out counties).
    """
    frame = attach_labels(build_features(tables, plan.all_dates, progress=progress, prepared=prepared), tables,
                          exported_at, grid)
    if plan.label == "admin":
        frame["relapse_12m_contract"] = frame["relapse_12m"]
        frame["relapse_12m"] = frame["label_admin"]
    frame = frame.merge(_places(tables, plan.all_dates), on=["household_id", "as_of"], how="left")
    frame["case_discovered_on"] = _first_case_discovered(tables["cases"], frame)
    frame["disabled_member"] = frame["disabled_members"] > 0
    frame["part"] = frame["as_of"].map({d: plan.part_of(d) for d in plan.all_dates}).astype("str")
    refit = {**{d: "train" for d in plan.refit_train}, **{d: "validation" for d in plan.refit_validation}}
    frame["refit_part"] = frame["as_of"].map(refit).astype(object).fillna("").astype("str")
    held_out = frame["county_code"].isin(plan.holdout_counties)
    frame.loc[held_out, "refit_part"] = ""
    return frame[~(held_out & frame["part"].ne("test"))].reset_index(drop=True)


def _places(tables: dict[str, pd.DataFrame], dates: Iterable[pd.Timestamp]) -> pd.DataFrame:
    """Township and county of each household as known at each date (village codes carry both)."""
    parts = []
    for as_of in dates:
        latest = latest_versions(tables["households"], "household_id", as_of)
        village = latest["village_code"].astype("str")
        parts.append(pd.DataFrame({"household_id": latest["household_id"].astype("str"),
                                   "as_of": np.datetime64(as_of, "us"),
                                   "township_code": township_code(village), "county_code": county_code(village)}))
    return pd.concat(parts, ignore_index=True)


def _first_case_discovered(cases: pd.DataFrame, frame: pd.DataFrame) -> pd.Series:
    """discovered_on of the first case identified in [as_of, as_of + 12 months) (NaT when none)."""
    pairs = frame[["household_id", "as_of"]].merge(
        cases[["household_id", "identified_on", "discovered_on", "case_id"]].astype({"household_id": "str"}),
        on="household_id", how="inner")
    horizon_end = pairs["as_of"] + pd.DateOffset(months=HORIZON_MONTHS)
    inside = pairs[(pairs["identified_on"] >= pairs["as_of"]) & (pairs["identified_on"] < horizon_end)]
    first = inside.sort_values(["identified_on", "case_id"]).drop_duplicates(["household_id", "as_of"])
    found = frame[["household_id", "as_of"]].merge(first[["household_id", "as_of", "discovered_on"]],
                                                   on=["household_id", "as_of"], how="left")
    return found["discovered_on"].to_numpy()


def part(frame: pd.DataFrame, name: str, column: str = "part") -> pd.DataFrame:
    return frame[frame[column] == name].reset_index(drop=True)
