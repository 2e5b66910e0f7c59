"""Income swings (market drift, transitory earnings, harvests, migrant spells), disasters, job
losses, business failures and house damage."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.months import MonthGrid, random_days_in_month
from synthetic.codes import EVT
from synthetic.health_shocks import _mark
from synthetic.income import MIGRANT_MAX_AGE, migrant_active
from synthetic.lifecourse import ages
from synthetic.codes import LAB
from synthetic.records import Recorder, record_shocks
from synthetic.scenarios import Scenario
from synthetic.state import Households, People

# Year-to-year income churn. Rural panels (CFPS) show log per-capita income correlating only about
# 0.45-0.65 from one year to the next and most poverty spells lasting about a year [E]; the
# processes below carry that churn: a persistent earnings deviation, short-lived swings in work
# and pay, harvest and price swings, and migrant work spells that start and end.
DRIFT_PERSISTENCE = 0.985            # per month: about 0.83 a year [E]
DRIFT_STEADY_SD = 0.12               # persistent log deviation of earnings [E]
TRANSITORY_PERSISTENCE = 0.80        # per month: days worked, overtime, odd jobs, sales [E]
TRANSITORY_STEADY_SD = 0.28
HARVEST_VILLAGE_SD = 0.15            # yield and price, shared by the village, a year [E]
HARVEST_HOUSEHOLD_SD = 0.20
MIGRANT_RETURN = 0.05                # a year, a migrant worker stays home for the year's work [E]
MIGRANT_HOME_AFTER_JOB_LOSS = 0.7    # a migrant who loses the job comes home to look for work [E]
MIGRANT_START = (0.10, 0.03)         # a year, a local worker leaves for work away: under 45 / 45+ [E]
MIGRANT_START_MAX_AGE = 50
MIGRANT_PAY_RATIO = 2.0              # pay away vs at home for the same worker (see income.wage_rates)
# households start part-way through adapting to earlier changes in their labour (see
# income.ADAPTATION_RATE): the spread the adaptation has once it has run for a few years
ADAPTATION_START_SD = 0.22
SPRING_FESTIVAL_MONTH = 3            # migrant work is decided when the new year's work starts
# village-level monthly hazard by disaster type and calendar month
DISASTER_SEASONS = {
    "disaster_flood": (0.011, (6, 7, 8, 9)),
    "disaster_drought": (0.008, (4, 5, 6, 7)),
    "disaster_hail": (0.007, (5, 6, 7, 8)),
    "disaster_landslide": (0.005, (7, 8, 9)),
    "disaster_earthquake": (0.0004, tuple(range(1, 13))),
    "disaster_other": (0.0014, tuple(range(1, 13))),
}
SHARE_OF_VILLAGE_AFFECTED = 0.5
MIGRANT_JOB_LOSS = 0.07              # a year per migrant worker (domain 5-8% [E])
LOCAL_JOB_LOSS = 0.02
JOB_SEARCH_MONTHS = 2.5
BUSINESS_FAILURE = 0.04
HOUSE_DAMAGE = 0.003


@dataclass
class MonthLosses:
    """Spending caused by this month's shocks, per household (yuan)."""
    disaster_loss: np.ndarray
    housing_repair: np.ndarray


def start_income_swings(rng: np.random.Generator, hh: Households) -> None:
    """The swings at their steady spread, drawn once the income level is calibrated without them."""
    hh.drift[:] = rng.normal(0, DRIFT_STEADY_SD, hh.size)
    hh.adaptation[:] = rng.normal(0, ADAPTATION_START_SD, hh.size)
    hh.transitory[:] = rng.normal(0, TRANSITORY_STEADY_SD, hh.size)
    new_harvest(rng, hh)


def drift_markets(rng: np.random.Generator, hh: Households, grid: MonthGrid, t: int) -> None:
    """Monthly update of the persistent and transitory earnings deviations; a new harvest outlook
    each January."""
    for name, persistence, steady in (("drift", DRIFT_PERSISTENCE, DRIFT_STEADY_SD),
                                      ("transitory", TRANSITORY_PERSISTENCE, TRANSITORY_STEADY_SD)):
        innovation = steady * np.sqrt(1 - persistence ** 2)
        value = getattr(hh, name)
        value[:] = persistence * value + rng.normal(0, innovation, hh.size)
    if grid.calendar_month(t) == 1:
        new_harvest(rng, hh)


def new_harvest(rng: np.random.Generator, hh: Households) -> None:
    village = rng.normal(0, HARVEST_VILLAGE_SD, int(hh.village.max()) + 1)
    hh.harvest[:] = village[hh.village] + rng.normal(0, HARVEST_HOUSEHOLD_SD, hh.size)


def migrant_spells(rng, people: People, labour: np.ndarray, grid: MonthGrid, t: int) -> None:
    """After the Spring Festival some migrant workers stay home to work locally and some local
    workers leave for work away; pay changes with the place of work."""
    if grid.calendar_month(t) != SPRING_FESTIVAL_MONTH:
        return
    age = ages(people, grid.year(t))
    able = people.present & people.works & (labour == LAB["full"])
    u = rng.random(people.capacity)
    back = able & people.migrates & (age <= MIGRANT_MAX_AGE) & (u < MIGRANT_RETURN)
    start = np.where(age < 45, MIGRANT_START[0], MIGRANT_START[1])
    away = able & ~people.migrates & (age <= MIGRANT_START_MAX_AGE) & (u < start)
    people.migrates[back] = False
    people.wage_base[back] /= MIGRANT_PAY_RATIO
    people.migrates[away] = True
    people.wage_base[away] *= MIGRANT_PAY_RATIO


def disasters(rng, hh: Households, grid: MonthGrid, t: int, intensity: np.ndarray, rec: Recorder,
              scenario: Scenario = Scenario()) -> np.ndarray:
    """Disasters strike villages in season; returns the property loss per household."""
    villages = int(hh.village.max()) + 1
    village_county = np.zeros(villages, dtype=np.int64)
    village_county[hh.village] = hh.county
    loss = np.zeros(hh.size)
    month = grid.calendar_month(t)
    for name, (hazard, months) in DISASTER_SEASONS.items():
        if month not in months:
            continue
        hit = rng.random(villages) < hazard * intensity[village_county] * scenario.disaster_frequency(t)
        if not hit.any():
            continue
        struck = np.flatnonzero(hit[hh.village] & hh.active & (rng.random(hh.size) < SHARE_OF_VILLAGE_AFFECTED))
        severity = 1 + (rng.random(struck.size) < 0.45) + (rng.random(struck.size) < 0.12)
        loss[struck] += _disaster_effects(rng, hh, struck, severity, t) * scenario.disaster_losses(t)
        village_day = random_days_in_month(rng, grid, t, villages)
        record_shocks(rec, rng, struck, -1, EVT[name], village_day[hh.village[struck]], severity,
                      np.round(loss[struck], -1))
        _house_damage(rng, hh, struck[severity >= 2], np.where(severity[severity >= 2] == 3, 0.45, 0.10),
                      grid, t, rec, village_day[hh.village[struck[severity >= 2]]])
    return loss


def _disaster_effects(rng, hh: Households, struck: np.ndarray, severity: np.ndarray, t: int) -> np.ndarray:
    share = np.select([severity == 1, severity == 2], [rng.uniform(0.1, 0.3, struck.size),
                                                         rng.uniform(0.3, 0.6, struck.size)],
                      rng.uniform(0.6, 0.95, struck.size))
    hh.agri_loss_share[struck] = np.maximum(np.where(hh.agri_loss_until[struck] >= t, hh.agri_loss_share[struck], 0), share)
    hh.agri_loss_until[struck] = t + 9
    hh.disruption_until[struck] = np.where(severity == 3, t + 3, np.where(severity == 2, t + 1, hh.disruption_until[struck]))
    _mark(hh, struck, "disaster", t, major=False)
    hh.last_major_shock[struck[severity >= 2]] = t
    median = np.select([severity == 1, severity == 2], [1_000, 3_000], 10_000)
    return rng.lognormal(np.log(median), 0.6)


def _house_damage(rng, hh: Households, households: np.ndarray, probability, grid: MonthGrid, t: int,
                  rec: Recorder, days: np.ndarray) -> None:
    damaged = rng.random(households.size) < probability
    households, days = households[damaged], days[damaged]
    severe = rng.random(households.size) < 0.3
    hh.house_grade[households] = np.maximum(hh.house_grade[households], np.where(severe, 3, 2))
    _mark(hh, households, "housing", t, major=True)
    record_shocks(rec, rng, households, -1, EVT["house_damage"], days, np.where(severe, 3, 2),
                  np.round(rng.lognormal(np.log(15_000), 0.5, households.size), -2))


def other_house_damage(rng, hh: Households, grid: MonthGrid, t: int, rec: Recorder) -> None:
    struck = np.flatnonzero(hh.active & (rng.random(hh.size) < HOUSE_DAMAGE / 12))
    _house_damage(rng, hh, struck, 1.0, grid, t, rec, random_days_in_month(rng, grid, t, struck.size))


def house_repairs(rng, hh: Households, renovation: np.ndarray, t: int) -> np.ndarray:
    """Unsafe houses get repaired, faster with a renovation measure; returns the repair spending."""
    unsafe = hh.active & (hh.house_grade >= 2)
    repaired = unsafe & (rng.random(hh.size) < np.where(renovation, 0.25, 0.04))
    hh.house_grade[repaired] = 1
    cost = rng.lognormal(np.log(15_000), 0.5, hh.size) * np.where(renovation, 0.3, 1.0)
    return np.where(repaired, np.round(cost, -1), 0.0)


def job_losses(rng, hh: Households, people: People, labour: np.ndarray, grid: MonthGrid, t: int, rec: Recorder,
               scenario: Scenario = Scenario()) -> None:
    away = migrant_active(people, labour, grid.year(t), t)
    local = people.present & people.works & ~away & (labour != LAB["none"]) & (people.job_lost_until < t)
    rate = np.where(away, MIGRANT_JOB_LOSS * scenario.migrant_job_loss(t), np.where(local, LOCAL_JOB_LOSS, 0.0)) / 12
    slots = np.flatnonzero(rng.random(people.capacity) < rate)
    months = rng.geometric(1 / JOB_SEARCH_MONTHS, slots.size)
    people.job_lost_until[slots] = t + months
    owner = people.household[slots]
    _mark(hh, owner, "unemployment", t, major=True)
    monthly = people.wage_base[slots] / 12
    record_shocks(rec, rng, owner, slots, EVT["job_loss"], random_days_in_month(rng, grid, t, slots.size),
                  np.where(away[slots], 2, 1), np.round(monthly * months, -2))
    home = slots[away[slots] & (rng.random(slots.size) < MIGRANT_HOME_AFTER_JOB_LOSS)]
    people.migrates[home] = False
    people.wage_base[home] /= MIGRANT_PAY_RATIO


def employment_helps(rng, people: People, employment: np.ndarray, t: int) -> None:
    """Job placement ends job searches sooner."""
    searching = people.present & (people.job_lost_until >= t) & employment[people.household]
    found = searching & (rng.random(people.capacity) < 0.5)
    people.job_lost_until[found] = t - 1


def business_failures(rng, hh: Households, microcredit: np.ndarray, grid: MonthGrid, t: int, rec: Recorder) -> None:
    running = hh.active & (hh.business_base > 0) & ~hh.business_down
    failed = np.flatnonzero(running & (rng.random(hh.size) < BUSINESS_FAILURE / 12))
    hh.business_down[failed] = True
    _mark(hh, failed, "business", t, major=True)
    record_shocks(rec, rng, failed, -1, EVT["business_failure"], random_days_in_month(rng, grid, t, failed.size),
                  2, np.round(hh.business_base[failed] * 0.5, -2))
    restart = hh.business_down & (rng.random(hh.size) < np.where(microcredit, 0.12, 0.04))
    hh.business_down[restart] = False
    hh.business_base[restart] *= 0.7
