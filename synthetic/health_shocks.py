"""Illness, disability and accidents: who is struck this month and what it costs."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.months import MonthGrid, random_days_in_month
from synthetic.codes import DIF, EVT, HLT
from synthetic.lifecourse import ages
from synthetic.records import Recorder, record_shocks
from synthetic.state import Households, People

MAJOR_ILLNESS_BASE = 0.0015          # a year, per person, rising with age; x2.5 when chronically ill
MAJOR_ILLNESS_PER_YEAR_OF_AGE = 0.0002
CHRONIC_ONSET_BASE = 0.003
DISABILITY_ONSET = 0.003             # a year per person (age-weighted)
ACCIDENT = 0.004                     # a year per household
STAY_COST_MEDIAN = 32_000.0          # total cost of the hospital stay that opens a major illness
ILLNESS_INCOME_LOSS_MONTHS = (12, 37)


@dataclass
class StayCosts:
    """Hospital stays this month, per household (yuan)."""
    total: np.ndarray
    oop: np.ndarray                  # before medical aid / insurance measures


def pick_member(rng: np.random.Generator, people: People, households: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """One eligible person per given household (-1 when none is eligible)."""
    slots = np.flatnonzero(eligible[: people.count])
    owner = people.household[slots]
    order = np.lexsort((rng.random(slots.size), owner))
    slots, owner = slots[order], owner[order]
    last = np.r_[owner[1:] != owner[:-1], True][: owner.size]
    chosen = np.full(int(max(owner.max(initial=-1), households.max(initial=-1))) + 2, -1, dtype=np.int64)
    chosen[owner[last]] = slots[last]
    return chosen[households] if households.size else np.zeros(0, dtype=np.int64)


def _mark(hh: Households, households: np.ndarray, difficulty: str, month_index: int, major: bool) -> None:
    hh.last_difficulty[households, DIF[difficulty]] = month_index
    if major:
        hh.last_major_shock[households] = month_index


def chronic_onsets(rng, hh: Households, people: People, grid: MonthGrid, t: int, rec: Recorder) -> None:
    age = ages(people, grid.year(t))
    rate = (CHRONIC_ONSET_BASE + 0.0004 * np.maximum(age - 30, 0)) / 12
    struck = people.present & (people.health == HLT["healthy"]) & (rng.random(people.capacity) < rate)
    slots = np.flatnonzero(struck)
    people.health[slots] = HLT["chronic"]
    days = random_days_in_month(rng, grid, t, slots.size)
    record_shocks(rec, rng, people.household[slots], slots, EVT["illness_chronic_onset"], days, 1, np.nan)


def major_illnesses(rng, hh: Households, people: People, grid: MonthGrid, t: int, rec: Recorder) -> StayCosts:
    age = ages(people, grid.year(t))
    rate = (MAJOR_ILLNESS_BASE + MAJOR_ILLNESS_PER_YEAR_OF_AGE * np.maximum(age - 25, 0)) / 12
    rate = rate * np.where(people.health == HLT["chronic"], 2.5, 1.0) * np.where(hh.ex_poor[people.household], 1.1, 1.0)
    struck = people.present & (people.health != HLT["serious"]) & (rng.random(people.capacity) < rate)
    slots = np.flatnonzero(struck)
    owner = people.household[slots]
    people.health[slots] = np.where(people.health[slots] == HLT["disabled"], HLT["disabled"], HLT["serious"])
    people.serious_until[slots] = t + rng.geometric(1 / 6, slots.size)
    hh.illness_loss_until[owner] = t + rng.integers(*ILLNESS_INCOME_LOSS_MONTHS, slots.size)
    _mark(hh, owner, "illness", t, major=True)
    total = rng.lognormal(np.log(STAY_COST_MEDIAN), 0.85, slots.size)
    oop = total * rng.uniform(0.28, 0.45, slots.size)
    severity = np.where(total > 80_000, 3, 2)
    record_shocks(rec, rng, owner, slots, EVT["illness_major"], random_days_in_month(rng, grid, t, slots.size),
                  severity, np.round(oop * 1.6, -2))
    return StayCosts(total=np.bincount(owner, weights=total, minlength=hh.size),
                     oop=np.bincount(owner, weights=oop, minlength=hh.size))


def disability_onsets(rng, hh: Households, people: People, grid: MonthGrid, t: int, rec: Recorder) -> None:
    age = ages(people, grid.year(t))
    rate = DISABILITY_ONSET * np.clip(age / 45, 0.2, 2.5) / 12
    struck = people.present & (people.health != HLT["disabled"]) & (rng.random(people.capacity) < rate)
    slots = np.flatnonzero(struck)
    people.health[slots] = HLT["disabled"]
    people.disability_grade[slots] = rng.choice([1, 2, 3, 4], slots.size, p=[.15, .25, .30, .30])
    owner = people.household[slots]
    _mark(hh, owner, "disability", t, major=True)
    record_shocks(rec, rng, owner, slots, EVT["disability_onset"], random_days_in_month(rng, grid, t, slots.size),
                  np.where(people.disability_grade[slots] <= 2, 3, 2), np.nan)


def accidents(rng, hh: Households, people: People, grid: MonthGrid, t: int, rec: Recorder) -> tuple[StayCosts, np.ndarray]:
    """Accidents; returns their hospital costs and the people who die of them."""
    struck = np.flatnonzero(hh.active & (rng.random(hh.size) < ACCIDENT / 12))
    age = ages(people, grid.year(t))
    person = pick_member(rng, people, struck, people.present & (age >= 12) & (age <= 75))
    struck, person = struck[person >= 0], person[person >= 0]
    outcome = rng.random(person.size)
    disabled = (outcome < 0.15) & (people.health[person] != HLT["disabled"])
    people.health[person[disabled]] = HLT["disabled"]
    people.disability_grade[person[disabled]] = rng.choice([1, 2, 3, 4], int(disabled.sum()), p=[.1, .2, .35, .35])
    hurt = (outcome >= 0.15) & (outcome < 0.75) & (people.health[person] != HLT["disabled"])
    people.health[person[hurt]] = HLT["serious"]
    people.serious_until[person[hurt]] = t + rng.integers(1, 5, int(hurt.sum()))
    _mark(hh, struck, "accident", t, major=True)
    total = rng.lognormal(np.log(12_000), 0.8, person.size)
    oop = total * rng.uniform(0.35, 0.6, person.size)
    record_shocks(rec, rng, struck, person, EVT["accident"], random_days_in_month(rng, grid, t, person.size),
                  np.where(disabled | (outcome > 0.96), 3, np.where(hurt, 2, 1)), np.round(oop, -2))
    costs = StayCosts(total=np.bincount(struck, weights=total, minlength=hh.size),
                      oop=np.bincount(struck, weights=oop, minlength=hh.size))
    return costs, person[outcome > 0.96]


def recoveries(rng, people: People, t: int) -> None:
    """Serious illness ends: chronic for most, healthy for some."""
    ending = people.present & (people.health == HLT["serious"]) & (people.serious_until < t)
    slots = np.flatnonzero(ending)
    people.health[slots] = np.where(rng.random(slots.size) < 0.6, HLT["chronic"], HLT["healthy"])
