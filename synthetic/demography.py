"""Births, deaths, marriages, moving away, and households that cease to exist."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.months import MonthGrid, random_days_in_month
from synthetic.codes import DIF, EVT, HLT, REL
from synthetic.frames import NO_DAY
from synthetic.lifecourse import SCHOOL_END_AGE, ages, draw_final_education
from synthetic.population import WORKS_EX_POOR, WORKS_ORDINARY, draw_wage_base
from synthetic.records import Recorder, record_shocks
from synthetic.state import NEVER, Households, People

MOVE_AWAY = 0.003                    # households a year
MARRY_IN = 0.08                      # unmarried sons 22-35 a year
MARRY_OUT = 0.09                     # unmarried daughters 20-32 a year
FUNERAL_MEDIAN = 12_000.0


@dataclass
class MonthDemography:
    funeral: np.ndarray              # yuan per household
    deaths: np.ndarray               # person slots who died
    dropouts: np.ndarray             # person slots who left compulsory school


def mortality(people: People, year: int) -> np.ndarray:
    age = ages(people, year)
    yearly = np.minimum(np.exp(-9.8 + 0.087 * age), 0.5)
    yearly *= np.where(people.health == HLT["serious"], 3.0, 1.0)
    yearly *= np.where((people.health == HLT["disabled"]) & (people.disability_grade <= 2), 1.5, 1.0)
    return yearly / 12


def leave(people: People, slots: np.ndarray, days: np.ndarray) -> None:
    people.present[slots] = False
    people.left_day[slots] = np.maximum(days, people.joined_day[slots])


def deaths(rng, hh: Households, people: People, grid: MonthGrid, t: int, extra: np.ndarray, rec: Recorder):
    dying = people.present & (rng.random(people.capacity) < mortality(people, grid.year(t)))
    dying[extra] = people.present[extra]
    slots = np.flatnonzero(dying)
    days = random_days_in_month(rng, grid, t, slots.size)
    leave(people, slots, days)
    owner = people.household[slots]
    working_age = (ages(people, grid.year(t))[slots] >= 16) & (ages(people, grid.year(t))[slots] < 60)
    hh.last_major_shock[owner[working_age]] = t
    cost = np.round(rng.lognormal(np.log(FUNERAL_MEDIAN), 0.5, slots.size), -2)
    record_shocks(rec, rng, owner, slots, EVT["death"], days, np.where(working_age, 3, 2), cost)
    return slots, np.bincount(owner, weights=cost, minlength=hh.size)


def births(rng, hh: Households, people: People, grid: MonthGrid, t: int) -> None:
    year = grid.year(t)
    age = ages(people, year)
    mother_rel = np.isin(people.relation, [REL["head"], REL["spouse"], REL["other"]])
    rate = np.select([(age >= 20) & (age < 30), (age >= 30) & (age < 36), (age >= 36) & (age < 43)],
                     [0.07, 0.04, 0.01], 0.0) / 12
    mothers = np.flatnonzero(people.present & people.female & people.married & mother_rel
                             & (rng.random(people.capacity) < rate))
    owner = people.household[mothers]
    relation = np.where(people.relation[mothers] == REL["other"], REL["grandchild"], REL["child"])
    _add_people(rng, hh, people, grid, t, owner, relation, np.full(mothers.size, year),
                rng.random(mothers.size) < 0.5, people.minority[mothers], married=False)


def rank_within(groups: np.ndarray) -> np.ndarray:
    """0, 1, 2, ... for repeated values, in order of appearance."""
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    starts = np.r_[0, np.flatnonzero(ordered[1:] != ordered[:-1]) + 1]
    group_start = np.repeat(starts, np.diff(np.r_[starts, groups.size]))
    rank = np.empty(groups.size, dtype=np.int64)
    rank[order] = np.arange(groups.size) - group_start
    return rank


def _add_people(rng, hh, people, grid, t, owner, relation, birth_year, female, minority, married) -> np.ndarray:
    count = owner.size
    if count == 0:
        return owner
    seq = hh.person_seq[owner] + 1 + rank_within(owner)
    np.maximum.at(hh.person_seq, owner, seq)
    final = draw_final_education(rng, birth_year, hh.ex_poor[owner])
    migrates = rng.random(count) < 0.5
    return people.add(
        household=owner, seq=seq, relation=relation, birth_year=birth_year, female=female, minority=minority,
        final_education=final, school_end_age=SCHOOL_END_AGE[final], dropout_until=np.full(count, NEVER),
        health=np.full(count, HLT["healthy"]), disability_grade=np.zeros(count), frailty=rng.random(count),
        works=rng.random(count) < np.where(hh.ex_poor[owner], WORKS_EX_POOR, WORKS_ORDINARY), migrates=migrates,
        wage_base=draw_wage_base(rng, migrates, hh.productivity[owner]) * hh.wage_scale[owner],
        job_lost_until=np.full(count, NEVER), serious_until=np.full(count, NEVER),
        married=np.full(count, married), insured=rng.random(count) < 0.985,
        joined_day=random_days_in_month(rng, grid, t, count), left_day=np.full(count, NO_DAY),
        present=np.ones(count, bool),
    )


def marriages(rng, hh: Households, people: People, grid: MonthGrid, t: int) -> None:
    age = ages(people, grid.year(t))
    single_child = people.present & ~people.married & (people.relation == REL["child"])
    grooms = np.flatnonzero(single_child & ~people.female & (age >= 22) & (age <= 35)
                            & (rng.random(people.capacity) < MARRY_IN / 12))
    brides = np.flatnonzero(single_child & people.female & (age >= 20) & (age <= 32)
                            & (rng.random(people.capacity) < MARRY_OUT / 12))
    people.married[brides] = True
    leave(people, brides, random_days_in_month(rng, grid, t, brides.size))
    people.married[grooms] = True
    _add_people(rng, hh, people, grid, t, people.household[grooms], np.full(grooms.size, REL["other"]),
                people.birth_year[grooms] + rng.integers(0, 5, grooms.size), np.ones(grooms.size, bool),
                rng.random(grooms.size) < 0.1, married=True)


def moves_and_dissolutions(rng, hh: Households, people: People, grid: MonthGrid, t: int) -> None:
    moving = hh.active & (rng.random(hh.size) < MOVE_AWAY / 12)
    day = random_days_in_month(rng, grid, t, hh.size)
    leaving = np.flatnonzero(people.present & moving[people.household])
    leave(people, leaving, day[people.household[leaving]])
    present = np.bincount(people.household, weights=people.present, minlength=hh.size)
    ended = np.flatnonzero(hh.active & (present == 0))
    last_left = np.zeros(hh.size, dtype=np.int64)
    np.maximum.at(last_left, people.household[: people.count], people.left_day[: people.count])
    hh.dissolved_day[ended] = np.maximum(last_left[ended], grid.first_day(t))


def replace_heads(people: People, households: int) -> None:
    """When the head dies or leaves, the spouse (or else the eldest member) becomes head."""
    heads = np.bincount(people.household, weights=people.present & (people.relation == REL["head"]), minlength=households)
    members = np.bincount(people.household, weights=people.present, minlength=households)
    headless = (heads == 0) & (members > 0)
    candidates = np.flatnonzero(people.present & headless[people.household])
    if candidates.size == 0:
        return
    rank = np.where(people.relation[candidates] == REL["spouse"], 0, 1)
    order = np.lexsort((people.birth_year[candidates], rank, people.household[candidates]))
    candidates = candidates[order]
    first = np.r_[True, people.household[candidates][1:] != people.household[candidates][:-1]]
    people.relation[candidates[first]] = REL["head"]


def dropouts(rng, hh: Households, people: People, grid: MonthGrid, t: int) -> np.ndarray:
    """Children leaving compulsory school; most are brought back within months."""
    age = ages(people, grid.year(t))
    at_school = people.present & (age >= 12) & (age <= 15) & (people.dropout_until < t) & (age < people.school_end_age)
    rate = np.where(hh.ex_poor[people.household], 0.008, 0.004) / 12
    slots = np.flatnonzero(at_school & (rng.random(people.capacity) < rate))
    people.dropout_until[slots] = t + rng.geometric(0.3, slots.size)
    hh.last_difficulty[people.household[slots], DIF["education"]] = t
    return slots


def school_entries(rng, people: People, grid: MonthGrid, t: int, rec: Recorder) -> None:
    if grid.calendar_month(t) != 9:
        return
    slots = np.flatnonzero(people.present & (ages(people, grid.year(t)) == 6))
    record_shocks(rec, rng, people.household[slots], slots, EVT["school_entry"],
                  np.full(slots.size, grid.first_day(t)), 1, np.nan)
