"""How risk comes to the county's notice: department alerts, self-reports and cadre visits."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.months import MonthGrid, lag_days, office_time, random_days_in_month
from synthetic.codes import DEP, DIF, REPORT_CHANNELS
from synthetic.lifecourse import ages, in_school
from synthetic.risk import NONE, RiskView
from synthetic.state import Households, People

# (department, rule code); the medical rules follow the provinces' out-of-pocket triggers
RULES = (
    ("medical_insurance", "MI-OOP-YEAR-50PCT"), ("medical_insurance", "MI-OOP-YEAR-100PCT"),
    ("medical_insurance", "MI-STAY-6000"), ("medical_insurance", "MI-STAY-10000"),
    ("civil_affairs", "CA-MEMBER-DEATH"), ("civil_affairs", "CA-LOW-INCOME"),
    ("education", "EDU-DROPOUT"), ("housing", "HOUSING-GRADE-CD"), ("emergency", "EM-DISASTER-LOSS"),
    ("human_resources", "HR-JOB-LOSS"), ("disabled_federation", "DPF-NEW-CERTIFICATE"),
    ("other", "OTHER-SCREENING"),
)
RULE = {code: i for i, (_, code) in enumerate(RULES)}
RULE_DEPARTMENT = np.array([DEP[dep] for dep, _ in RULES], dtype=np.int8)
PUSH_LAG_DAYS = (10, 45)
SELF_REPORT_WHEN_AT_RISK = 0.35      # a month
SELF_REPORT_AFTER_SHOCK = 0.02
SELF_REPORT_OTHERWISE = 0.0004
VISIT_RATES = {"case": 0.8, "recently_eliminated": 0.25, "ex_poor": 0.15, "ordinary": 0.04}
VISIT_FINDS_RISK = 0.9
# The concentrated checks: an autumn home visit (in the county's check month, October-December) of
# formerly poor and monitored households, which assesses their income, and a spring screening
# visit of every household (one county: visits by 15 May [S]). A few households are missed in a
# given year [E].
VISIT_KINDS = ("routine", "autumn_check", "spring_screen")
ROUTINE, AUTUMN_CHECK, SPRING_SCREEN = range(len(VISIT_KINDS))
CONCENTRATED_VISITED = 0.95
SPRING_SCREEN_MONTH = 5
SPRING_SCREEN_LAST_DAY = 15
CHANNEL_PROBS = {"app": 0.45, "hotline": 0.25, "written": 0.10, "cadre": 0.20}


@dataclass
class VisitBatch:
    """This month's household visits."""
    household: np.ndarray
    day: np.ndarray
    kind: np.ndarray                 # ROUTINE, AUTUMN_CHECK or SPRING_SCREEN
    monitored: np.ndarray            # the household had an open case at the visit
    checklist: dict[str, np.ndarray]

    def subset(self, keep: np.ndarray) -> "VisitBatch":
        return VisitBatch(household=self.household[keep], day=self.day[keep], kind=self.kind[keep],
                          monitored=self.monitored[keep], checklist={k: v[keep] for k, v in self.checklist.items()})


@dataclass
class MonthFacts:
    """What the departments' data show for this month."""
    stay_oop: np.ndarray             # hospital stays this month, out-of-pocket
    death_households: np.ndarray
    dropout_households: np.ndarray
    disaster_loss: np.ndarray


def _fire(rng, households: np.ndarray, rule: str, value: np.ndarray, share: float):
    kept = rng.random(households.size) < share
    return households[kept], np.full(int(kept.sum()), RULE[rule]), np.asarray(value, dtype=float)[kept]


def department_alerts(rng, hh: Households, grid: MonthGrid, t: int, facts: MonthFacts, view: RiskView,
                      monitored: np.ndarray, prev_rural_income: float) -> dict[str, np.ndarray]:
    strict = hh.ex_poor | monitored
    threshold = np.where(strict, 0.5, 1.0) * prev_rural_income
    crossing = hh.active & ~hh.ytd_alerted & (hh.ytd_oop > threshold)
    hh.ytd_alerted |= crossing
    nan = np.full(hh.size, np.nan)
    this_month = hh.last_difficulty == t
    low_income = hh.active & (view.income_pc_12m < 1.5 * view.line)
    fired = [
        _fire(rng, np.flatnonzero(crossing & strict), "MI-OOP-YEAR-50PCT", hh.ytd_oop[crossing & strict], 1.0),
        _fire(rng, np.flatnonzero(crossing & ~strict), "MI-OOP-YEAR-100PCT", hh.ytd_oop[crossing & ~strict], 1.0),
        _fire(rng, np.flatnonzero(strict & (facts.stay_oop > 6_000)), "MI-STAY-6000",
              facts.stay_oop[strict & (facts.stay_oop > 6_000)], 1.0),
        _fire(rng, np.flatnonzero(~strict & (facts.stay_oop > 10_000)), "MI-STAY-10000",
              facts.stay_oop[~strict & (facts.stay_oop > 10_000)], 1.0),
        _fire(rng, facts.death_households, "CA-MEMBER-DEATH", nan[facts.death_households], 0.7),
        _fire(rng, np.flatnonzero(low_income & (view.state != NONE)), "CA-LOW-INCOME",
              np.round(view.income_pc_12m[low_income & (view.state != NONE)], -1), 0.06),
        _fire(rng, np.flatnonzero(low_income & (view.state == NONE)), "CA-LOW-INCOME",
              np.round(view.income_pc_12m[low_income & (view.state == NONE)], -1), 0.01),
        _fire(rng, facts.dropout_households, "EDU-DROPOUT", nan[facts.dropout_households], 0.9),
        _fire(rng, np.flatnonzero(this_month[:, DIF["housing"]]), "HOUSING-GRADE-CD", nan[this_month[:, DIF["housing"]]], 0.8),
        _fire(rng, np.flatnonzero(facts.disaster_loss > 3_000), "EM-DISASTER-LOSS",
              np.round(facts.disaster_loss[facts.disaster_loss > 3_000], -1), 0.7),
        _fire(rng, np.flatnonzero(this_month[:, DIF["unemployment"]]), "HR-JOB-LOSS", nan[this_month[:, DIF["unemployment"]]], 0.35),
        _fire(rng, np.flatnonzero(this_month[:, DIF["disability"]]), "DPF-NEW-CERTIFICATE",
              nan[this_month[:, DIF["disability"]]], 0.8),
        _other_screening(rng, hh),
    ]
    household = np.concatenate([f[0] for f in fired])
    rule = np.concatenate([f[1] for f in fired]).astype(np.int64)
    value = np.concatenate([f[2] for f in fired])
    fact_day = random_days_in_month(rng, grid, t, household.size)
    pushed = office_time(rng, fact_day + lag_days(rng, *PUSH_LAG_DAYS, household.size))
    return {"household": household, "rule": rule, "value": value, "pushed": pushed}


def _other_screening(rng, hh: Households):
    households = np.flatnonzero(hh.active & (rng.random(hh.size) < 0.0015))
    return households, np.full(households.size, RULE["OTHER-SCREENING"]), np.full(households.size, np.nan)


def self_reports(rng, hh: Households, grid: MonthGrid, t: int, view: RiskView, main_difficulty: np.ndarray):
    recent_shock = (t - hh.last_major_shock) <= 2
    chance = np.where(view.state != NONE, SELF_REPORT_WHEN_AT_RISK * np.where(hh.ex_poor, 1.0, 0.4),
                      np.where(recent_shock, SELF_REPORT_AFTER_SHOCK, SELF_REPORT_OTHERWISE))
    households = np.flatnonzero(hh.active & (rng.random(hh.size) < chance))
    channel = rng.choice(len(REPORT_CHANNELS), households.size, p=[CHANNEL_PROBS[c] for c in REPORT_CHANNELS])
    received = office_time(rng, random_days_in_month(rng, grid, t, households.size))
    return {"household": households, "channel": channel, "difficulty": main_difficulty[households],
            "received": received}


def visit_households(rng, hh: Households, grid: MonthGrid, t: int, check_month: np.ndarray,
                     monitored: np.ndarray, recently_eliminated: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Households visited this month, the kind of each visit and its day."""
    month = grid.calendar_month(t)
    autumn = (check_month[hh.county] == month) & (hh.ex_poor | monitored)
    spring = month == SPRING_SCREEN_MONTH
    rate = np.select([monitored, recently_eliminated, hh.ex_poor],
                     [VISIT_RATES["case"], VISIT_RATES["recently_eliminated"], VISIT_RATES["ex_poor"]],
                     VISIT_RATES["ordinary"])
    rate = np.where(autumn | spring, CONCENTRATED_VISITED, rate)
    visited = np.flatnonzero(hh.active & (rng.random(hh.size) < rate))
    kind = np.where(autumn[visited], AUTUMN_CHECK, SPRING_SCREEN if spring else ROUTINE).astype(np.int8)
    last_day = np.where(kind == SPRING_SCREEN, SPRING_SCREEN_LAST_DAY, grid.days_in(t))
    return visited, kind, grid.first_day(t) + rng.integers(0, last_day)


def visit_checklist(hh: Households, people: People, grid: MonthGrid, t: int, view: RiskView,
                    households: np.ndarray) -> dict[str, np.ndarray]:
    """The two-assurances-three-guarantees checklist as the visit finds it."""
    year = grid.year(t)
    age = ages(people, year)
    out_of_school = people.present & (age >= 6) & (age <= 15) & ~in_school(people, year, t)
    uninsured = people.present & ~people.insured
    n = hh.size
    missing_school = np.bincount(people.household, weights=out_of_school, minlength=n) > 0
    no_insurance = np.bincount(people.household, weights=uninsured, minlength=n) > 0
    heavy_oop = view.oop_12m > 0.3 * view.income_pc_12m * np.maximum(view.members, 1)
    return {
        "food_clothing_ok": (view.income_pc_12m > 0.5 * view.line)[households],
        "education_ok": ~missing_school[households],
        "medical_ok": ~(no_insurance | heavy_oop)[households],
        "housing_ok": (hh.house_grade <= 1)[households],
        "water_ok": hh.water_ok[households],
    }


def main_difficulty(flags: np.ndarray) -> np.ndarray:
    """The first difficulty a household has (flags in difficulty order)."""
    return np.argmax(flags, axis=1).astype(np.int8)
