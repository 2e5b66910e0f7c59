"""Features from dated records: shocks, alerts, self-reports, visits, past cases, assistance, place."""
from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalogue import SHOCK_EVENT_TYPES
from features.context import AsOf
from features.facts import VILLAGE_SHARES
from features.timeline import first_of_runs, last_of_runs, months_from

CLOSED_AS_NOT_NEEDED = ("false_alarm", "excluded")
CHECKLIST = ("food_clothing_ok", "education_ok", "medical_ok", "housing_ok", "water_ok")
TYPICAL_TERM_MONTHS = 12


def _months_since_latest(ctx: AsOf, codes: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Months from each household's latest date in `dates` to the as-of date (NaN when none)."""
    out = np.full(ctx.n, np.nan)
    moments = dates.view(np.int64)
    known = ~np.isnat(dates)
    if known.any():
        latest = np.full(ctx.n, np.iinfo(np.int64).min)
        np.maximum.at(latest, codes[known], moments[known])
        has = np.flatnonzero(latest > np.iinfo(np.int64).min)
        out[has] = months_from(ctx.moment, latest[has].view(dates.dtype))
    return out


def _zero_if_missing(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), 0.0, values)


def shock_features(ctx: AsOf) -> dict[str, np.ndarray]:
    events, codes = ctx.prepared.known("events", ctx.as_of)
    happened = events["occurred_on"] < ctx.moment
    events, codes = events.subset(happened), codes[happened]
    occurred = events["occurred_on"]
    last_year = occurred >= ctx.moment_ago(12)
    out = {}
    for group, types in SHOCK_EVENT_TYPES.items():
        of_group = events.isin("event_type", types)
        out[f"shocks_{group}_12m"] = ctx.dense(codes[of_group & last_year])
        out[f"months_since_{group}"] = _months_since_latest(ctx, codes[of_group], occurred[of_group])
    severity = np.zeros(ctx.n)
    np.maximum.at(severity, codes[last_year], events.numbers("severity")[last_year])
    out["shock_severity_max_12m"] = severity
    loss = _zero_if_missing(events.numbers("est_loss_yuan"))
    out["shock_loss_12m"] = ctx.dense(codes[last_year], loss[last_year])
    return out


def signal_features(ctx: AsOf, assessed_income_pc: np.ndarray) -> dict[str, np.ndarray]:
    alerts, a_codes = ctx.prepared.known("alerts", ctx.as_of)
    pushed = alerts["pushed_at"]
    a_year = pushed >= ctx.moment_ago(12)
    closed = (alerts["resolved_at"] < ctx.moment) & alerts.isin("outcome", CLOSED_AS_NOT_NEEDED)
    reports, r_codes = ctx.prepared.known("self_reports", ctx.as_of)
    received = reports["received_at"]
    r_year = received >= ctx.moment_ago(12)
    r_closed = (reports["resolved_at"] < ctx.moment) & reports.isin("outcome", CLOSED_AS_NOT_NEEDED)
    a_recent = pushed >= ctx.moment_ago(3)
    r_recent = received >= ctx.moment_ago(3)
    out = {
        "alerts_3m": ctx.dense(a_codes[a_recent]),
        "open_signals_3m": ctx.dense(a_codes[a_recent & ~closed]) + ctx.dense(r_codes[r_recent & ~r_closed]),
        "alerts_12m": ctx.dense(a_codes[a_year]),
        "alerts_medical_12m": ctx.dense(a_codes[a_year & alerts.equals("department", "medical_insurance")]),
        "alerts_false_alarm_12m": ctx.dense(a_codes[a_year & closed]),
        "months_since_alert": _months_since_latest(ctx, a_codes, pushed),
        "self_reports_12m": ctx.dense(r_codes[r_year]),
        "self_reports_illness_12m": ctx.dense(r_codes[r_year & reports.equals("difficulty", "illness")]),
        "months_since_self_report": _months_since_latest(ctx, r_codes, received),
    }
    out.update(_visit_features(ctx, assessed_income_pc))
    return out


def _visit_features(ctx: AsOf, assessed_income_pc: np.ndarray) -> dict[str, np.ndarray]:
    visits, codes = ctx.prepared.known("visits", ctx.as_of)
    order = np.lexsort((visits["recorded_at"], visits["visited_on"], codes))
    visits, codes = visits.subset(order), codes[order]
    last = last_of_runs(codes)
    latest, latest_codes = visits.subset(last), codes[last]
    failures = np.full(ctx.n, 0.0)
    failures[latest_codes] = sum((latest.numbers(name) == 0).astype(float) for name in CHECKLIST)
    visit_income = np.full(ctx.n, np.nan)
    visit_income[latest_codes] = latest.numbers("income_pc_12m_yuan")
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
    identified = cases["identified_on"] < ctx.moment
    cases, codes = cases.subset(identified), codes[identified]
    eliminated_on = cases["eliminated_on"]
    eliminated = np.where(eliminated_on < ctx.moment, eliminated_on, np.datetime64("NaT"))
    order = np.lexsort((cases["identified_on"], codes))
    ordered_codes = codes[order]
    reentry = cases["identified_on"][order] > _earlier_maximum(ordered_codes, eliminated[order])
    has_elimination = ~np.isnat(eliminated)
    out = {
        "past_cases": ctx.dense(codes),
        "months_since_elimination": _months_since_latest(ctx, codes[has_elimination], eliminated[has_elimination]),
        "reentries": ctx.dense(ordered_codes[reentry]),
    }
    out.update(_assistance_features(ctx))
    return out


def _earlier_maximum(groups: np.ndarray, moments: np.ndarray) -> np.ndarray:
    """For each row of rows sorted by group: the latest of the moments of the group's rows before it,
    NaT where the row just before has none (or it is the group's first), as pandas' shift and cummax
    give it. Moments are ranked (NaT lowest) and the group is put above the rank,
    so one running maximum over all rows never crosses from a group into the next."""
    if not len(groups):
        return moments
    known = ~np.isnat(moments)
    distinct, inverse = np.unique(moments[known], return_inverse=True)
    distinct = np.concatenate([np.array(["NaT"], dtype=moments.dtype), distinct])  # rank 0: none yet
    rank = np.zeros(len(moments), dtype=np.int64)
    rank[known] = inverse.reshape(-1) + 1
    starts = first_of_runs(groups)
    previous = np.where(starts, 0, np.roll(rank, 1))   # the rank of the row before, in the same group
    group = np.cumsum(starts) - 1
    span = len(distinct)
    running = np.maximum.accumulate(group * span + previous) - group * span
    return distinct[np.where(previous > 0, running, 0)]  # after a row without a moment: none (as pandas' cummax)


def _assistance_features(ctx: AsOf) -> dict[str, np.ndarray]:
    measures, codes = ctx.prepared.known("assistance", ctx.as_of)
    start_on = measures["start_on"]
    started = start_on < ctx.moment
    ended = measures["end_on"] < ctx.moment
    active = started & ~ended
    recent = started & (start_on >= ctx.moment_ago(12))
    term_ending = active & (start_on < ctx.moment_ago(TYPICAL_TERM_MONTHS - 3))
    amount = _zero_if_missing(measures.numbers("amount_yuan"))
    return {
        "assistance_active": ctx.dense(codes[active]),
        "assistance_amount_12m": ctx.dense(codes[recent], amount[recent]),
        "assistance_ending_3m": ctx.dense(codes[term_ending]),
    }


def place_features(ctx: AsOf) -> dict[str, np.ndarray]:
    households, codes = ctx.all_households, ctx.all_codes
    village = pd.Index(households["village_code"], dtype=object)

    def per_household(values) -> np.ndarray:
        out = np.full(ctx.n, np.nan)
        out[codes] = np.asarray(values, dtype=float)
        return out

    def of_village(table: pd.DataFrame, positions: np.ndarray, column: str) -> np.ndarray:
        """Each household's village's value (NaN for a village the table lacks)."""
        return np.where(positions >= 0, table[column].to_numpy(dtype=float)[positions], np.nan)

    areas = ctx.facts.latest_areas(ctx.as_of)
    in_areas = pd.Index(areas["village_code"]).get_indexer(village)
    villages = ctx.facts.villages_at(ctx.as_of)
    in_villages = villages.index.get_indexer(village)
    out = {
        "ex_poor": per_household(households.equals("household_type", "ex_poor")) == 1,
        "years_since_exit": per_household(ctx.as_of.year - households.numbers("exit_year")),
        "house_unsafe": per_household(households.isin("house_grade", ["C", "D"])) == 1,
        "cultivated_land_mu": per_household(households.numbers("cultivated_land_mu")),
        "water_unsafe": per_household(households.numbers("water_ok") == 0) == 1,
        "key_county": per_household(of_village(areas, in_areas, "key_county") == 1) == 1,
        "relocation_site": per_household(of_village(areas, in_areas, "relocation_site") == 1) == 1,
    }
    for name in VILLAGE_SHARES:
        out[name] = per_household(of_village(villages, in_villages, name))
    return out
