"""Households and members as the registry holds them: a baseline export, then a new version
(a new row with a later recorded_at) whenever something the registry shows has changed."""
from __future__ import annotations

import numpy as np

from synthetic.months import MonthGrid, office_time, random_days_in_month
from synthetic.frames import NO_DAY
from synthetic.lifecourse import education_now, in_school
from synthetic.records import Recorder
from synthetic.state import Households, People

# member fields whose change is reported when it happens; the others wait for the yearly check,
# except migrant work, counted every month for the households whose migrant work is tracked
REPORTED_AT_ONCE = ("relation", "health", "disability_grade", "insured", "left_day")
COUNTED_MONTHLY = ("migrant_months",)
MEMBER_FIELDS = REPORTED_AT_ONCE + ("education", "in_school", "labour") + COUNTED_MONTHLY
HOUSEHOLD_FIELDS = ("house_grade", "water_ok", "dissolved_day")
CHANGE_LAG_DAYS = (5, 45)


def member_state(people: People, labour: np.ndarray, grid: MonthGrid, t: int) -> dict[str, np.ndarray]:
    year = grid.year(t)
    n = people.count
    return {
        "relation": people.relation[:n], "health": people.health[:n], "disability_grade": people.disability_grade[:n],
        "insured": people.insured[:n], "left_day": people.left_day[:n],
        "education": education_now(people, year)[:n], "in_school": in_school(people, year, t)[:n],
        "labour": labour[:n], "migrant_months": people.migrant_history.sum(axis=0)[:n].astype(np.int64),
    }


class Registry:
    def __init__(self) -> None:
        self.members: dict[str, np.ndarray] = {}
        self.member_recorded = np.zeros(0, dtype=np.int64)
        self.households: dict[str, np.ndarray] = {}
        self.household_recorded = np.zeros(0, dtype=np.int64)

    def baseline(self, rng, rec: Recorder, hh: Households, people: People, state: dict, day: int) -> None:
        """Export everyone as of the day before the data starts."""
        n = people.count
        recorded = office_time(rng, np.full(n, day))
        self._export_members(rec, people, state, np.arange(n), recorded)
        self._export_households(rec, hh, np.arange(hh.size), office_time(rng, np.full(hh.size, day)))

    def month(self, rng, rec: Recorder, grid: MonthGrid, t: int, hh: Households, people: People,
              state: dict, yearly_check: np.ndarray, migrant_tracked: np.ndarray) -> None:
        """New versions of what changed; `yearly_check` marks the households at their yearly check
        this month, `migrant_tracked` those whose migrant work is counted every month."""
        self._member_versions(rng, rec, grid, t, people, state, yearly_check, migrant_tracked)
        changed = np.zeros(hh.size, dtype=bool)
        for name in HOUSEHOLD_FIELDS:
            changed |= getattr(hh, name) != self.households[name]
        households = np.flatnonzero(changed)
        day = np.where(hh.dissolved_day[households] != NO_DAY, hh.dissolved_day[households],
                       random_days_in_month(rng, grid, t, households.size))
        recorded = office_time(rng, day + rng.integers(*CHANGE_LAG_DAYS, households.size))
        recorded = np.maximum(recorded, self.household_recorded[households] + 3600)
        self._export_households(rec, hh, households, recorded)

    def _member_versions(self, rng, rec, grid, t, people, state, yearly_check, migrant_tracked) -> None:
        n = people.count
        known = self.member_recorded.size
        gone = np.r_[self.members["left_day"] != NO_DAY, np.zeros(n - known, dtype=bool)]
        changed = np.r_[np.zeros(known, dtype=bool), np.ones(n - known, dtype=bool)]
        check_now = yearly_check[people.household[:n]]
        counted = check_now | migrant_tracked[people.household[:n]]
        for name in MEMBER_FIELDS:
            differs = np.r_[state[name][:known] != self.members[name], np.zeros(n - known, dtype=bool)]
            due = True if name in REPORTED_AT_ONCE else counted if name in COUNTED_MONTHLY else check_now
            changed |= differs & due
        slots = np.flatnonzero(changed & ~gone)
        day = random_days_in_month(rng, grid, t, slots.size)
        day = np.maximum(day, np.maximum(people.joined_day[slots], people.left_day[slots]))
        lag = np.where(check_now[slots], rng.integers(3, 28, slots.size), rng.integers(*CHANGE_LAG_DAYS, slots.size))
        recorded = office_time(rng, day + lag)
        previous = np.r_[self.member_recorded, np.zeros(n - known, dtype=np.int64)]
        recorded = np.maximum(recorded, previous[slots] + 3600)
        self._export_members(rec, people, state, slots, recorded)

    def _export_members(self, rec: Recorder, people: People, state: dict, slots: np.ndarray, recorded) -> None:
        n = people.count
        for name in MEMBER_FIELDS:
            stored = self.members.get(name, np.zeros(0, dtype=state[name].dtype))
            grown = np.zeros(n, dtype=state[name].dtype)
            grown[: stored.size] = stored
            grown[slots] = state[name][slots]
            self.members[name] = grown
        grown = np.zeros(n, dtype=np.int64)
        grown[: self.member_recorded.size] = self.member_recorded
        grown[slots] = recorded
        self.member_recorded = grown
        rec.add("members", person=slots, household=people.household[slots], birth_year=people.birth_year[slots],
                female=people.female[slots], minority=people.minority[slots], joined_day=people.joined_day[slots],
                recorded=recorded, **{name: state[name][slots] for name in MEMBER_FIELDS})

    def _export_households(self, rec: Recorder, hh: Households, households: np.ndarray, recorded) -> None:
        if not self.households:
            self.households = {name: getattr(hh, name).copy() for name in HOUSEHOLD_FIELDS}
            self.household_recorded = np.zeros(hh.size, dtype=np.int64)
        for name in HOUSEHOLD_FIELDS:
            self.households[name][households] = getattr(hh, name)[households]
        self.household_recorded[households] = recorded
        rec.add("households", household=households, house_grade=hh.house_grade[households],
                water_ok=hh.water_ok[households], dissolved_day=hh.dissolved_day[households], recorded=recorded)
