"""A slow, obviously correct reference for a representative subset of features: a loop per household.

Written from the contract's text, not from the fast path: every record is checked one by one.
"""
from __future__ import annotations

import math

import pandas as pd

PRECEDENCE = {"department": 0, "survey": 1, "self_report": 2}
SUBSET = ("assessed_income_pc_12m", "assessed_income_line_ratio", "assessed_income_age_months",
          "assessed_months_24m", "department_income_pc_12m", "household_size", "dependency_ratio",
          "workers", "elderly_only", "head_schooling_years", "medical_oop_12m", "shocks_illness_12m",
          "shocks_disaster_12m", "alerts_12m", "self_reports_12m", "past_cases", "assistance_active",
          "visit_checklist_failures", "house_unsafe")
TRANSFERS = ("pension", "dibao", "subsidy", "public_welfare_job")
SCHOOLING = {"none": 0, "primary": 6, "junior": 9, "senior": 12, "vocational": 12, "tertiary": 15}


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


def _covers(row: dict, month: int) -> bool:
    return _month_index(row["period_start"]) <= month <= _month_index(row["period_end"])


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
                                  areas, lines, people, as_of))
    return pd.DataFrame(out).sort_values("household_id").reset_index(drop=True)


def _line(lines: pd.DataFrame, county: str, year: int, as_of) -> float:
    """The line of `year` known at `as_of` (the latest earlier year's when that year has none)."""
    known = [r for r in lines.to_dict("records") if r["county_code"] == county and r["recorded_at"] < as_of
             and r["year"] <= year]
    newest_year = max(r["year"] for r in known)
    return max((r for r in known if r["year"] == newest_year), key=lambda r: r["recorded_at"])["line_yuan"]


def _members_at_month_end(people: dict[str, list[dict]], household_id: str, month: int, as_of) -> int:
    last_day = pd.Timestamp(year=month // 12, month=month % 12 + 1, day=1) + pd.offsets.MonthEnd(0)
    count = 0
    for rows in people.values():
        member = _latest(rows, as_of)
        if member and member["household_id"] == household_id and member["joined_on"] <= last_day and (
                pd.isna(member["left_on"]) or member["left_on"] > last_day):
            count += 1
    return count


def _latest_assessment(household_id, income, people, lines, county, as_of) -> tuple[float, float, float]:
    """(per-capita income, ratio to the line, last month) of the latest 12 consecutive months before
    the as-of month covered by survey rows known at the as-of date (NaN when there is none)."""
    month = _month_index(as_of)
    assessed = {m for r in income if r["data_source"] == "survey" and r["recorded_at"] < as_of
                for m in range(_month_index(r["period_start"]), _month_index(r["period_end"]) + 1)}
    for end in range(month - 1, month - 49 + 11, -1):
        if all(m in assessed for m in range(end - 11, end + 1)):
            sources = {str(r["source"]) for r in income}
            total = round(sum(_monthly_amount(income, ("source", s), m, as_of) for s in sources
                              for m in range(end - 11, end + 1)), 2)  # money to the fen
            size = _members_at_month_end(people, household_id, end, as_of)
            per_capita = total / size if size else math.nan
            return per_capita, per_capita / _line(lines, county, end // 12, as_of), float(end)
    return math.nan, math.nan, math.nan


def _one_household(household, members, income, spending, records, areas, lines, people, as_of) -> dict:
    month = _month_index(as_of)
    size = len(members)
    ages = [as_of.year - m["birth_year"] for m in members]
    county = areas[household["village_code"]]["county_code"]
    per_capita, ratio, assessed_end = _latest_assessment(household["household_id"], income, people, lines, county,
                                                         as_of)
    survey_months = {m for r in income if r["data_source"] == "survey" and r["recorded_at"] < as_of
                     for m in range(month - 24, month) if _covers(r, m)}
    transfers = sum(_monthly_amount(income, ("source", s), m, as_of) for s in TRANSFERS
                    for m in range(month - 12, month)
                    if any(_covers(r, m) and r["data_source"] == "department" and str(r["source"]) == s
                           and r["recorded_at"] < as_of for r in income))
    heads = [m for m in members if m["relation"] == "head"]
    year_ago = as_of - pd.DateOffset(months=12)
    events = [e for e in records["events"] if e["recorded_at"] < as_of and year_ago <= e["occurred_on"] < as_of]
    visits = sorted((v for v in records["visits"] if v["recorded_at"] < as_of),
                    key=lambda v: (v["visited_on"], v["recorded_at"]))
    checklist = ("food_clothing_ok", "education_ok", "medical_ok", "housing_ok", "water_ok")
    dependants = sum(1 for a in ages if a < 16 or a >= 60)
    working = sum(1 for a in ages if 16 <= a < 60)
    return {
        "household_id": household["household_id"],
        "assessed_income_pc_12m": per_capita,
        "assessed_income_line_ratio": ratio,
        "assessed_income_age_months": month - assessed_end,
        "assessed_months_24m": len(survey_months),
        "department_income_pc_12m": transfers / size if size else math.nan,
        "head_schooling_years": SCHOOLING[str(heads[0]["education"])] if heads else math.nan,
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
    }
