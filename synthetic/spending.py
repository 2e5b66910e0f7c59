"""Household spending each month: medical (total and out-of-pocket) and schooling."""
from __future__ import annotations

import numpy as np

from synthetic.codes import EDU, HLT
from synthetic.health_shocks import StayCosts
from synthetic.income import SupportEffects
from synthetic.lifecourse import education_now, in_school
from synthetic.state import Households, People

MEDICAL_AID_OOP_FACTOR = 0.4
INSURANCE_OOP_FACTOR = 0.8
# health: (chance of spending in a month, median total, share paid out of pocket)
ROUTINE_CARE = {
    HLT["healthy"]: (0.03, 600.0, 0.6),
    HLT["chronic"]: (0.6, 350.0, 0.5),
    HLT["serious"]: (1.0, 2_500.0, 0.4),
    HLT["disabled"]: (0.3, 300.0, 0.5),
}
SCHOOL_TERM_MONTHS = (3, 9)
TERM_COST_MEDIAN = {EDU["primary"]: 400.0, EDU["junior"]: 600.0, EDU["senior"]: 2_500.0,
                    EDU["vocational"]: 2_000.0, EDU["tertiary"]: 6_000.0}


def medical_spending(rng: np.random.Generator, hh: Households, people: People, stays: list[StayCosts],
                     support: SupportEffects) -> tuple[np.ndarray, np.ndarray]:
    """(total, out-of-pocket) medical spending per household this month."""
    total_person = np.zeros(people.capacity)
    oop_person = np.zeros(people.capacity)
    for health, (chance, median, oop_share) in ROUTINE_CARE.items():
        spends = people.present & (people.health == health) & (rng.random(people.capacity) < chance)
        amount = np.where(spends, rng.lognormal(np.log(median), 0.6, people.capacity), 0.0)
        total_person += amount
        oop_person += amount * oop_share
    total = np.bincount(people.household, weights=total_person, minlength=hh.size)
    oop = np.bincount(people.household, weights=oop_person, minlength=hh.size)
    for stay in stays:
        total += stay.total
        oop += stay.oop
    oop *= np.where(support.medical_aid, MEDICAL_AID_OOP_FACTOR, 1.0) * np.where(support.insurance, INSURANCE_OOP_FACTOR, 1.0)
    return np.round(total, 2), np.round(np.minimum(oop, total), 2)


def education_spending(rng: np.random.Generator, hh: Households, people: People, year: int, month_index: int,
                       calendar_month: int, education_aid: np.ndarray) -> np.ndarray:
    if calendar_month not in SCHOOL_TERM_MONTHS:
        return np.zeros(hh.size)
    students = people.present & in_school(people, year, month_index)
    level = education_now(people, year)
    median = np.zeros(people.capacity)
    for code, cost in TERM_COST_MEDIAN.items():
        median[level == code] = cost
    cost = np.where(students & (median > 0), rng.lognormal(np.log(np.maximum(median, 1)), 0.5), 0.0)
    per_household = np.bincount(people.household, weights=cost, minlength=hh.size)
    return np.round(per_household * np.where(education_aid > 0, 0.5, 1.0), -1)
