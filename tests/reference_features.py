"""A slow, obviously correct reference for a representative subset of features: a loop per household.

Written from the contract's text, not from the fast path: every record is checked one by one.
"""
from __future__ import annotations

import math

import pandas as pd

PRECEDENCE = {"department": 0, "survey": 1, "self_report": 2}
SUBSET = ("income_pc_3m", "income_pc_12m", "income_line_ratio_12m", "household_size", "dependency_ratio",
          "workers", "elderly_only", "medical_oop_12m", "shocks_illness_12m", "shocks_disaster_12m",
          "alerts_12m", "self_reports_12m", "past_cases", "assistance_active", "visit_checklist_failures",
          "house_unsafe", "months_since_income_record")


def _latest(rows: list[dict], as_of) -> dict | None:
    known = [(r["recorded_at"], i, r) for i, r in enumerate(rows) if r["recorded_at"] < as_of]
    return max(known, key=lambda item: (item[0], item[1]))[2] if known else None


def _by(frame: pd.DataFrame, column: str) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for record in frame.to_dict("records"):
        grouped.setdefault(str(record[column]), []).append(record)
    return grouped


def _month_index(timestamp) -> int:
    return timestamp.year * 12 + timestamp.month - 1


def _monthly_amount(rows: list[dict], item: str, month: int, as_of) -> float:
    """The winning row for one month and item, as the contract documents, spread evenly."""
    best = None
    for order, row in enumerate(rows):
        first, last = _month_index(row["period_start"]), _month_index(row["period_end"])
        if row["recorded_at"] >= as_of or not first <= month <= last:
            continue
        rank = (PRECEDENCE[row["data_source"]], -row["recorded_at"].value, -order)
        if str(row[item[0]]) == item[1] and (best is None or rank < best[0]):
            best = (rank, row["amount_yuan"] / (last - first + 1))
    return best[1] if best else 0.0


def reference_features(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> pd.DataFrame:
    households = _by(tables["households"], "household_id")
    people = _by(tables["members"], "person_id")
    income, spending = _by(tables["income"], "household_id"), _by(tables["expenditures"], "household_id")
    by_household = {name: _by(tables[name], "household_id")
                    for name in ("events", "alerts", "self_reports", "visits", "cases", "assistance")}
    areas = {code: _latest(rows, as_of) for code, rows in _by(tables["areas"], "village_code").items()}
    lines = tables["monitoring_lines"]
    present: dict[str, list[dict]] = {}
    for rows in people.values():
        member = _latest(rows, as_of)
        if member and member["joined_on"] < as_of and (pd.isna(member["left_on"]) or member["left_on"] >= as_of):
            present.setdefault(member["household_id"], []).append(member)
    known_months = [_month_index(r["period_start"]) for r in tables["income"].to_dict("records")
                    if r["recorded_at"] < as_of]
    history = _month_index(as_of) - min(known_months) if known_months else 0
    out = []
    for household_id, rows in households.items():
        household = _latest(rows, as_of)
        if household is None or not (pd.isna(household["dissolved_on"]) or household["dissolved_on"] >= as_of):
            continue
        cases = [c for c in by_household["cases"].get(household_id, []) if c["recorded_at"] < as_of]
        if any(c["identified_on"] < as_of and (pd.isna(c["eliminated_on"]) or c["eliminated_on"] >= as_of)
               for c in cases):
            continue
        out.append(_one_household(household, present.get(household_id, []), income.get(household_id, []),
                                  spending.get(household_id, []), {k: v.get(household_id, []) for k, v in
                                                                  by_household.items()},
                                  areas, lines, history, as_of))
    return pd.DataFrame(out).sort_values("household_id").reset_index(drop=True)


def _one_household(household, members, income, spending, records, areas, lines, history, as_of) -> dict:
    month = _month_index(as_of)
    sources = {str(r["source"]) for r in income}
    monthly = {m: sum(_monthly_amount(income, ("source", s), m, as_of) for s in sources)
               for m in range(month - 12, month)}
    size = len(members)
    ages = [as_of.year - m["birth_year"] for m in members]
    county = areas[household["village_code"]]["county_code"]
    known_lines = [r for r in lines.to_dict("records") if r["county_code"] == county and r["recorded_at"] < as_of
                   and r["year"] <= as_of.year]
    newest_year = max(r["year"] for r in known_lines)
    line = max((r for r in known_lines if r["year"] == newest_year), key=lambda r: r["recorded_at"])["line_yuan"]

    def per_capita(months: int) -> float:
        used = min(months, history)
        if not used or not size:
            return math.nan
        return sum(monthly[m] for m in range(month - months, month)) * 12 / used / size

    year_ago = as_of - pd.DateOffset(months=12)
    events = [e for e in records["events"] if e["recorded_at"] < as_of and year_ago <= e["occurred_on"] < as_of]
    visits = sorted((v for v in records["visits"] if v["recorded_at"] < as_of),
                    key=lambda v: (v["visited_on"], v["recorded_at"]))
    checklist = ("food_clothing_ok", "education_ok", "medical_ok", "housing_ok", "water_ok")
    last_income = [_month_index(r["period_end"]) for r in income if r["recorded_at"] < as_of]
    dependants = sum(1 for a in ages if a < 16 or a >= 60)
    working = sum(1 for a in ages if 16 <= a < 60)
    return {
        "household_id": household["household_id"],
        "income_pc_3m": per_capita(3),
        "income_pc_12m": per_capita(12),
        "income_line_ratio_12m": per_capita(12) / line,
        "household_size": size,
        "dependency_ratio": min(dependants / working, 10.0) if working else 10.0,
        "workers": sum(1 for m, a in zip(members, ages) if m["labour"] != "none" and 16 <= a <= 64),
        "elderly_only": size > 0 and all(a >= 60 for a in ages),
        "medical_oop_12m": sum(_monthly_amount(spending, ("category", "medical_oop"), m, as_of)
                               for m in range(month - 12, month)),
        "shocks_illness_12m": sum(1 for e in events if e["event_type"] in ("illness_major", "illness_chronic_onset")),
        "shocks_disaster_12m": sum(1 for e in events if str(e["event_type"]).startswith("disaster")),
        "alerts_12m": sum(1 for a in records["alerts"] if a["recorded_at"] < as_of and year_ago <= a["pushed_at"]),
        "self_reports_12m": sum(1 for r in records["self_reports"]
                                if r["recorded_at"] < as_of and year_ago <= r["received_at"]),
        "past_cases": sum(1 for c in records["cases"] if c["recorded_at"] < as_of and c["identified_on"] < as_of),
        "assistance_active": sum(1 for a in records["assistance"] if a["recorded_at"] < as_of
                                 and a["start_on"] < as_of and not (a["end_on"] < as_of)),
        "visit_checklist_failures": sum(1 for c in checklist if not visits[-1][c]) if visits else 0,
        "house_unsafe": household["house_grade"] in ("C", "D"),
        "months_since_income_record": month - max(last_income) if last_income else math.nan,
    }
