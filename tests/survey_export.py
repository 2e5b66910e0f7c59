"""An export shaped like a household survey panel, built from a generated county's hidden truth.

Income once a year, written as four quarterly survey rows of source `other` with a survey's
error, entered the next March; some households missing whole years; no cases, alerts, visits,
events, spending or assistance (header rows only). The registry tables (areas, lines,
households, members) are the county's own. This is what a research panel exported in the
contract looks like; nothing in the product is told so.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from features.contract import TABLE_NAMES
from synthetic.simulate import Simulation

MISSING_YEAR_SHARE = 0.12
LOG_ERROR_SD = 0.35
EMPTY_TABLES = ("expenditures", "events", "alerts", "self_reports", "visits", "cases", "assistance")


def survey_tables(simulation: Simulation, seed: int) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    truth = simulation.truth["household_month"]
    yearly = (truth.assign(year=truth["month"].dt.year).groupby(["household_id", "year"])
              .agg(income=("income_month_true", "sum"), months=("month", "size")).reset_index())
    yearly = yearly[yearly["months"] == 12]
    kept = yearly[rng.random(len(yearly)) >= MISSING_YEAR_SHARE]
    persistent = pd.Series(rng.normal(0, 0.2, kept["household_id"].nunique()),
                           index=kept["household_id"].unique())
    error = np.exp(kept["household_id"].map(persistent).to_numpy() + rng.normal(0, 0.28, len(kept)))
    amount = np.round(np.maximum(kept["income"].to_numpy(), 0) * error / 4, -1)
    rows = []
    for quarter in range(4):
        start = pd.to_datetime(kept["year"].astype(str) + f"-{3 * quarter + 1:02d}-01")
        rows.append(pd.DataFrame({
            "household_id": kept["household_id"].to_numpy(), "period_start": start,
            "period_end": start + pd.offsets.QuarterEnd(0), "source": "other", "amount_yuan": amount,
            "data_source": "survey",
            "recorded_at": pd.to_datetime((kept["year"] + 1).astype(str) + "-03-15 10:00:00")}))
    tables = {name: simulation.tables[name] for name in ("areas", "monitoring_lines", "households", "members")}
    income = pd.concat(rows, ignore_index=True).sort_values(["household_id", "period_start"], kind="stable")
    tables["income"] = income.reset_index(drop=True)
    for name in EMPTY_TABLES:
        tables[name] = simulation.tables[name].iloc[:0]
    return {name: tables[name] for name in TABLE_NAMES}


def need_from_complete_data(tables: dict[str, pd.DataFrame], rows: pd.DataFrame) -> pd.Series:
    """Contract version 2's `need` for (household_id, as_of) rows, computed plainly from the
    fixture: every month of the 12 from D's month covered by a survey row, income over them per
    member present at the last month's end below that year's line; else unknown (None)."""
    income = tables["income"]
    monthly: dict[tuple[str, pd.Period], float] = {}
    spans: dict[tuple[pd.Timestamp, pd.Timestamp], tuple[pd.Period, ...]] = {}   # the few quarters, made once
    for row in income.itertuples(index=False):
        months = spans.get((row.period_start, row.period_end))
        if months is None:
            months = spans[(row.period_start, row.period_end)] = tuple(
                pd.period_range(row.period_start, row.period_end, freq="M"))
        for month in months:
            monthly[(row.household_id, month)] = monthly.get((row.household_id, month), 0.0) + \
                row.amount_yuan / len(months)
    members = tables["members"].sort_values("recorded_at", kind="stable").drop_duplicates("person_id", keep="last")
    county = tables["households"].drop_duplicates("household_id", keep="last").set_index("household_id")[
        "village_code"].map(tables["areas"].drop_duplicates("village_code", keep="last").set_index("village_code")[
            "county_code"])
    lines = tables["monitoring_lines"].drop_duplicates(["county_code", "year"], keep="last").set_index(
        ["county_code", "year"])["line_yuan"]
    by_household = dict(tuple(members.groupby("household_id")))
    windows: dict[pd.Timestamp, tuple[tuple[pd.Period, ...], pd.Timestamp]] = {}   # per as-of date, made once
    out = []
    for household_id, as_of in zip(rows["household_id"], rows["as_of"]):
        if as_of not in windows:
            months = tuple(pd.period_range(pd.Timestamp(as_of).to_period("M"), periods=12, freq="M"))
            windows[as_of] = months, months[-1].to_timestamp(how="end").normalize()
        window, last_day = windows[as_of]
        if not all((household_id, m) in monthly for m in window):
            out.append(None)
            continue
        mine = by_household[household_id]
        present = ((mine["joined_on"] <= last_day) & (mine["left_on"].isna() | (mine["left_on"] > last_day))).sum()
        if not present:
            out.append(None)
            continue
        total = round(sum(monthly[(household_id, m)] for m in window), 2)  # money to the fen
        out.append(bool(total / present < lines[(county[household_id], window[-1].year)]))
    return pd.Series(out, index=rows.index, dtype="object")
