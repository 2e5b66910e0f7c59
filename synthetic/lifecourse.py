"""What follows from age, health and schooling: education reached, enrolment, labour capacity."""
from __future__ import annotations

import numpy as np

from synthetic.codes import EDU, HLT, LAB
from synthetic.state import People

# school leaving age by the education a person finally reaches (none, primary, junior, senior, vocational, tertiary)
SCHOOL_END_AGE = np.array([6, 12, 15, 18, 18, 22])
# rank of each education code: senior and vocational are the same stage
EDUCATION_RANK = np.array([0, 1, 2, 3, 3, 4])
RANK_TO_CODE = np.array([EDU["none"], EDU["primary"], EDU["junior"], EDU["senior"], EDU["tertiary"]])
STAGE_START_AGES = np.array([6, 12, 15, 18])
LABOUR_UNITS = np.zeros(len(LAB))
LABOUR_UNITS[LAB["full"]] = 1.0
LABOUR_UNITS[LAB["partial"]] = 0.5


def ages(people: People, year: int) -> np.ndarray:
    return year - people.birth_year


def draw_final_education(rng: np.random.Generator, birth_year: np.ndarray, ex_poor: np.ndarray) -> np.ndarray:
    """Final education by birth cohort; younger cohorts stay in school longer."""
    n = birth_year.size
    cohort = np.clip((birth_year - 1940) / 70, 0, 1)            # 0 for 1940, 1 for 2010
    poorer = np.where(ex_poor, 0.08, 0.0)
    p_none = np.clip(0.45 - 0.45 * cohort, 0, None)
    p_primary = np.clip(0.40 - 0.35 * cohort + poorer, 0, None)
    p_junior = 0.12 + 0.33 * cohort
    p_senior = 0.02 + 0.14 * cohort - poorer / 2
    p_vocational = 0.01 + 0.14 * cohort
    p_tertiary = np.clip(0.0 + 0.20 * cohort - poorer / 2, 0, None)
    probs = np.stack([p_none, p_primary, p_junior, p_senior, p_vocational, p_tertiary], axis=1)
    probs /= probs.sum(axis=1, keepdims=True)
    draws = rng.random(n)[:, None] > np.cumsum(probs, axis=1)
    return draws.sum(axis=1).clip(0, 5).astype(np.int8)


def in_school(people: People, year: int, month_index: int) -> np.ndarray:
    age = ages(people, year)
    return (age >= 6) & (age < people.school_end_age) & (people.dropout_until < month_index)


def education_now(people: People, year: int) -> np.ndarray:
    age = ages(people, year)
    stage_rank = np.searchsorted(STAGE_START_AGES, age, side="right")
    final_rank = EDUCATION_RANK[people.final_education]
    reached = np.minimum(stage_rank, final_rank)
    return np.where(reached == final_rank, people.final_education, RANK_TO_CODE[reached]).astype(np.int8)


def labour_now(people: People, year: int, month_index: int) -> np.ndarray:
    age = ages(people, year)
    schooling = in_school(people, year, month_index)
    disabled = people.health == HLT["disabled"]
    none = ((age < 16) | schooling | (age >= 75) | (people.health == HLT["serious"])
            | (disabled & (people.disability_grade <= 2)))
    partial = ((age >= 65) | disabled
               | ((people.health == HLT["chronic"]) & (people.frailty > 0.75)))
    labour = np.where(none, LAB["none"], np.where(partial, LAB["partial"], LAB["full"]))
    return labour.astype(np.int8)


def household_labour_units(people: People, labour: np.ndarray, households: int) -> np.ndarray:
    units = np.where(people.present, LABOUR_UNITS[labour], 0.0)
    return np.bincount(people.household, weights=units, minlength=households)


def members_present(people: People, households: int) -> np.ndarray:
    return np.bincount(people.household, weights=people.present, minlength=households).astype(np.int64)
