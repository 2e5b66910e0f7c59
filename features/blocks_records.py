"""Features from dated records: shocks, alerts, self-reports, visits, past cases, assistance, place."""
from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalogue import SHOCK_EVENT_TYPES
from features.context import AsOf
from features.facts import VILLAGE_SHARES
from features.timeline import last_of_runs, months_between

CLOSED_AS_NOT_NEEDED = ("false_alarm", "excluded")
CHECKLIST = ("food_clothing_ok", "education_ok", "medical_ok", "housing_ok", "water_ok")
TYPICAL_TERM_MONTHS = 12


def _months_since_latest(ctx: AsOf, codes: np.ndarray, dates: pd.Series) -> np.ndarray:
    """Months from each household's latest date in `dates` to the as-of date (NaN when none)."""
    out = np.full(ctx.n, np.nan)
    values = dates.to_numpy()
    moments = values.view(np.int64)
    known = ~np.isnat(values)
    if known.any():
        latest = np.full(ctx.n, np.iinfo(np.int64).min)
        np.maximum.at(latest, codes[known], moments[known])
        has = np.flatnonzero(latest > np.iinfo(np.int64).min)
        out[has] = months_between(ctx.as_of, pd.Series(latest[has].view(values.dtype))).to_numpy()
    return out


def shock_features(ctx: AsOf) -> dict[str, np.ndarray]:
    events, codes = ctx.prepared.known("events", ctx.as_of)
    happened = (events["occurred_on"] < ctx.as_of).to_numpy()
    events, codes = events[happened], codes[happened]
    last_year = (events["occurred_on"] >= ctx.months_ago(12)).to_numpy()
    kind = events["event_type"].astype("str").to_numpy()
    out = {}
    for group, types in SHOCK_EVENT_TYPES.items():
        of_group = np.isin(kind, types)
        out[f"shocks_{group}_12m"] = ctx.dense(codes[of_group & last_year])
        out[f"months_since_{group}"] = _months_since_latest(ctx, codes[of_group], events["occurred_on"][of_group])
    severity = np.zeros(ctx.n)
    np.maximum.at(severity, codes[last_year], events["severity"].to_numpy(dtype=float)[last_year])
    out["shock_severity_max_12m"] = severity
    out["shock_loss_12m"] = ctx.dense(codes[last_year], events["est_loss_yuan"].fillna(0).to_numpy()[last_year])
    return out


def signal_features(ctx: AsOf, assessed_income_pc: np.ndarray) -> dict[str, np.ndarray]:
    alerts, a_codes = ctx.prepared.known("alerts", ctx.as_of)
    pushed = alerts["pushed_at"]
    a_year = (pushed >= ctx.months_ago(12)).to_numpy()
    closed = (alerts["resolved_at"] < ctx.as_of).to_numpy() & alerts["outcome"].isin(CLOSED_AS_NOT_NEEDED).to_numpy()
    reports, r_codes = ctx.prepared.known("self_reports", ctx.as_of)
    r_year = (reports["received_at"] >= ctx.months_ago(12)).to_numpy()
    r_closed = (reports["resolved_at"] < ctx.as_of).to_numpy() & reports["outcome"].isin(
        CLOSED_AS_NOT_NEEDED).to_numpy()
    a_recent = (pushed >= ctx.months_ago(3)).to_numpy()
    r_recent = (reports["received_at"] >= ctx.months_ago(3)).to_numpy()
    out = {
        "alerts_3m": ctx.dense(a_codes[a_recent]),
        "open_signals_3m": ctx.dense(a_codes[a_recent & ~closed]) + ctx.dense(r_codes[r_recent & ~r_closed]),
        "alerts_12m": ctx.dense(a_codes[a_year]),
        "alerts_medical_12m": ctx.dense(a_codes[a_year & (alerts["department"] == "medical_insurance").to_numpy()]),
        "alerts_false_alarm_12m": ctx.dense(a_codes[a_year & closed]),
        "months_since_alert": _months_since_latest(ctx, a_codes, pushed),
        "self_reports_12m": ctx.dense(r_codes[r_year]),
        "self_reports_illness_12m": ctx.dense(r_codes[r_year & (reports["difficulty"] == "illness").to_numpy()]),
        "months_since_self_report": _months_since_latest(ctx, r_codes, reports["received_at"]),
    }
    out.update(_visit_features(ctx, assessed_income_pc))
    return out


def _visit_features(ctx: AsOf, assessed_income_pc: np.ndarray) -> dict[str, np.ndarray]:
    visits, codes = ctx.prepared.known("visits", ctx.as_of)
    order = np.lexsort((visits["recorded_at"].to_numpy(), visits["visited_on"].to_numpy(), codes))
    visits, codes = visits.iloc[order], codes[order]
    last = last_of_runs(codes)
    latest, latest_codes = visits[last], codes[last]
    failures = np.full(ctx.n, 0.0)
    failures[latest_codes] = (~latest[list(CHECKLIST)].to_numpy(dtype=bool)).sum(axis=1)
    visit_income = np.full(ctx.n, np.nan)
    visit_income[latest_codes] = latest["income_pc_12m_yuan"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(assessed_income_pc > 0, visit_income / assessed_income_pc, np.nan)
        line_ratio = visit_income / ctx.line
    return {
        "months_since_visit": _months_since_latest(ctx, codes, visits["visited_on"]),
        "visit_checklist_failures": failures,
        "visit_income_gap": gap,
        "visit_income_line_ratio": line_ratio,
    }


def history_features(ctx: AsOf) -> dict[str, np.ndarray]:
    cases, codes = ctx.prepared.known("cases", ctx.as_of)
    identified = (cases["identified_on"] < ctx.as_of).to_numpy()
    cases, codes = cases[identified], codes[identified]
    eliminated = cases["eliminated_on"].where(cases["eliminated_on"] < ctx.as_of)
    order = np.lexsort((cases["identified_on"].to_numpy(), codes))
    ordered = pd.DataFrame({"code": codes[order], "identified": cases["identified_on"].to_numpy()[order],
                            "eliminated": eliminated.to_numpy()[order]})
    previous = ordered.groupby("code")["eliminated"].shift()
    earlier_elimination = previous.groupby(ordered["code"]).cummax()
    reentry = (ordered["identified"] > earlier_elimination).to_numpy()
    has_elimination = eliminated.notna().to_numpy()
    out = {
        "past_cases": ctx.dense(codes),
        "months_since_elimination": _months_since_latest(ctx, codes[has_elimination], eliminated[has_elimination]),
        "reentries": ctx.dense(ordered["code"].to_numpy()[reentry]),
    }
    out.update(_assistance_features(ctx))
    return out


def _assistance_features(ctx: AsOf) -> dict[str, np.ndarray]:
    measures, codes = ctx.prepared.known("assistance", ctx.as_of)
    started = (measures["start_on"] < ctx.as_of).to_numpy()
    ended = (measures["end_on"] < ctx.as_of).to_numpy(dtype=bool, na_value=False)
    active = started & ~ended
    recent = started & (measures["start_on"] >= ctx.months_ago(12)).to_numpy()
    term_ending = active & (measures["start_on"] < ctx.months_ago(TYPICAL_TERM_MONTHS - 3)).to_numpy()
    return {
        "assistance_active": ctx.dense(codes[active]),
        "assistance_amount_12m": ctx.dense(codes[recent], measures["amount_yuan"].fillna(0).to_numpy()[recent]),
        "assistance_ending_3m": ctx.dense(codes[term_ending]),
    }


def place_features(ctx: AsOf) -> dict[str, np.ndarray]:
    households = ctx.all_households
    codes = ctx.prepared.index.codes(households["household_id"])
    areas = ctx.facts.latest_areas(ctx.as_of).set_index("village_code")

    def per_household(values) -> np.ndarray:
        out = np.full(ctx.n, np.nan)
        out[codes] = np.asarray(values, dtype=float)
        return out

    village = households["village_code"]
    out = {
        "ex_poor": per_household(households["household_type"] == "ex_poor") == 1,
        "years_since_exit": per_household(ctx.as_of.year - households["exit_year"].astype("float")),
        "house_unsafe": per_household(households["house_grade"].isin(["C", "D"])) == 1,
        "cultivated_land_mu": per_household(households["cultivated_land_mu"]),
        "water_unsafe": per_household(~households["water_ok"].astype(bool)) == 1,
        "key_county": per_household(village.map(areas["key_county"]).fillna(False).astype(bool)) == 1,
        "relocation_site": per_household(village.map(areas["relocation_site"]).fillna(False).astype(bool)) == 1,
    }
    villages = ctx.facts.villages_at(ctx.as_of)
    for name in VILLAGE_SHARES:
        out[name] = per_household(village.astype("str").map(villages[name]))
    return out
