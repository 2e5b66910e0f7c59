"""Contract tables from the simulation's records: ids, codes, types, and the export cut.

`cut` is the export cut in seconds: a later status (elimination, outcome, end) dated from it on is
not yet known and stays null."""
from __future__ import annotations

import numpy as np
import pandas as pd

from features.contract import table
from synthetic import codes as C
from synthetic.months import SECONDS_PER_DAY
from synthetic.detection import RULE_DEPARTMENT, RULES
from synthetic.frames import NO_DAY, as_dates, as_str, as_timestamps, ids, nullable_int, take_str


def household_ids(village_codes: np.ndarray, village: np.ndarray) -> np.ndarray:
    """户编号: the village code and a 4-digit number within the village."""
    order = np.argsort(village, kind="stable")
    first = np.searchsorted(village[order], village[order])
    number = np.empty(village.size, dtype=np.int64)
    number[order] = np.arange(village.size) - first + 1
    return np.array([f"{v}{n:04d}" for v, n in zip(village_codes[village], number)], dtype=object)


def person_ids(hh_ids: np.ndarray, household: np.ndarray, seq: np.ndarray) -> np.ndarray:
    return np.array([f"{h}{s:02d}" for h, s in zip(hh_ids[household], seq)], dtype=object)


def ordered(name: str, columns: dict) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    return frame[list(table(name).column_names)]


def members_frame(m: dict, hh_ids, pids) -> pd.DataFrame:
    return ordered("members", {
        "person_id": take_str(pids, m["person"]), "household_id": take_str(hh_ids, m["household"]),
        "relation": take_str(C.RELATIONS, m["relation"]), "birth_year": m["birth_year"].astype(np.int64),
        "sex": take_str(C.SEXES, np.where(m["female"], C.SEXES.index("F"), C.SEXES.index("M"))),
        "minority": m["minority"].astype(bool), "education": take_str(C.EDUCATION, m["education"]),
        "in_school": m["in_school"].astype(bool), "health": take_str(C.HEALTH, m["health"]),
        "disability_grade": nullable_int(m["disability_grade"], m["disability_grade"] == 0),
        "labour": take_str(C.LABOUR, m["labour"]), "migrant_months": m["migrant_months"].astype(np.int64),
        "medical_insured": m["insured"].astype(bool), "joined_on": as_dates(m["joined_day"]),
        "left_on": as_dates(m["left_day"]), "recorded_at": as_timestamps(m["recorded"]),
    })


def households_frame(h: dict, hh, hh_ids, village_codes) -> pd.DataFrame:
    i = h["household"]
    return ordered("households", {
        "household_id": take_str(hh_ids, i), "village_code": take_str(village_codes, hh.village[i]),
        "household_type": take_str(C.HOUSEHOLD_TYPES, np.where(hh.ex_poor[i], C.EX_POOR, 1 - C.EX_POOR)),
        "exit_year": nullable_int(hh.exit_year[i], hh.exit_year[i] == 0),
        "house_grade": take_str(C.HOUSE_GRADES, h["house_grade"]),
        "cultivated_land_mu": hh.land_mu[i].astype(float), "water_ok": h["water_ok"].astype(bool),
        "dissolved_on": as_dates(h["dissolved_day"]), "recorded_at": as_timestamps(h["recorded"]),
    })


def measure_frame(name: str, r: dict, hh_ids, code_list) -> pd.DataFrame:
    code_column = "source" if name == "income" else "category"
    return ordered(name, {
        "household_id": take_str(hh_ids, r["household"]), "period_start": as_dates(r["start"]),
        "period_end": as_dates(r["end"]), code_column: take_str(code_list, r["code"]),
        "amount_yuan": r["amount"].astype(float), "data_source": take_str(C.DATA_SOURCES, r["source"]),
        "recorded_at": as_timestamps(r["recorded"]),
    })


def events_frame(e: dict, hh_ids, pids, exported_people: np.ndarray) -> pd.DataFrame:
    person = np.where(np.isin(e["person"], exported_people), e["person"], -1)
    names = np.r_[pids, np.array([None], dtype=object)]
    return ordered("events", {
        "event_id": as_str(ids("EV", e["household"].size)), "household_id": take_str(hh_ids, e["household"]),
        "person_id": as_str(names[person]), "event_type": take_str(C.EVENT_TYPES, e["event_type"]),
        "occurred_on": as_dates(e["day"]), "severity": e["severity"].astype(np.int64),
        "est_loss_yuan": e["loss"].astype(float), "data_source": take_str(C.DATA_SOURCES, e["data_source"]),
        "recorded_at": as_timestamps(e["recorded"]),
    })


def alerts_frame(a: dict, hh_ids, cut: int) -> pd.DataFrame:
    open_ = a["resolved"] >= cut
    return ordered("alerts", {
        "alert_id": as_str(ids("AL", a["household"].size)), "household_id": take_str(hh_ids, a["household"]),
        "department": take_str(C.DEPARTMENTS, RULE_DEPARTMENT[a["rule"]]),
        "rule_code": take_str(np.array([code for _, code in RULES], dtype=object), a["rule"]),
        "value": a["value"].astype(float), "pushed_at": as_timestamps(a["pushed"]),
        "outcome": as_str(np.where(open_, None, np.asarray(C.OUTCOMES, dtype=object)[a["outcome"]])),
        "resolved_at": as_timestamps(a["resolved"], open_), "recorded_at": as_timestamps(a["recorded"]),
    })


def self_reports_frame(s: dict, hh_ids, cut: int) -> pd.DataFrame:
    open_ = s["resolved"] >= cut
    return ordered("self_reports", {
        "report_id": as_str(ids("SR", s["household"].size)), "household_id": take_str(hh_ids, s["household"]),
        "channel": take_str(C.REPORT_CHANNELS, s["channel"]), "difficulty": take_str(C.DIFFICULTIES, s["difficulty"]),
        "received_at": as_timestamps(s["received"]),
        "outcome": as_str(np.where(open_, None, np.asarray(C.OUTCOMES, dtype=object)[s["outcome"]])),
        "resolved_at": as_timestamps(s["resolved"], open_), "recorded_at": as_timestamps(s["recorded"]),
    })


def visits_frame(v: dict, hh_ids) -> pd.DataFrame:
    return ordered("visits", {
        "visit_id": as_str(ids("VS", v["household"].size)), "household_id": take_str(hh_ids, v["household"]),
        "visited_on": as_dates(v["day"]), "recorded_at": as_timestamps(v["recorded"]),
        "income_pc_12m_yuan": v["income"].astype(float),
        **{k: v[k].astype(bool) for k in ("food_clothing_ok", "education_ok", "medical_ok", "housing_ok", "water_ok")},
    })


def cases_frame(c: dict, hh_ids, cut: int) -> pd.DataFrame:
    eliminated = np.where(c["eliminated_day"] * SECONDS_PER_DAY >= cut, NO_DAY, c["eliminated_day"])
    return ordered("cases", {
        "case_id": as_str(ids("CS", c["household"].size)), "household_id": take_str(hh_ids, c["household"]),
        "category": take_str(C.CASE_CATEGORIES, c["category"]), "risk_codes": as_str(c["risk_codes"]),
        "discovered_on": as_dates(c["discovered_day"]), "channel": take_str(C.CASE_CHANNELS, c["channel"]),
        "identified_on": as_dates(c["identified_day"]), "eliminated_on": as_dates(eliminated),
        "recorded_at": as_timestamps(c["recorded"]),
    })


def assistance_frame(m: dict, hh_ids, cut: int) -> pd.DataFrame:
    ended = np.where(m["end_day"] * SECONDS_PER_DAY >= cut, NO_DAY, m["end_day"])
    return ordered("assistance", {
        "measure_id": as_str(ids("AS", m["household"].size)), "household_id": take_str(hh_ids, m["household"]),
        "measure": take_str(C.MEASURES, m["measure"]), "start_on": as_dates(m["start_day"]),
        "end_on": as_dates(ended), "amount_yuan": m["amount"].astype(float), "recorded_at": as_timestamps(m["recorded"]),
    })
