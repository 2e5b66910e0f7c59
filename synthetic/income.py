"""Household income by source: yearly rates from the household's state, and the month's amounts."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synthetic.months import MonthGrid
from synthetic.codes import INCOME_SOURCES, LAB, SRC
from synthetic.lifecourse import LABOUR_UNITS, ages
from synthetic.state import Households, People

ANCHOR_YEAR = 2021
PENSION_2021 = 2_040.0               # basic rural pension per person aged 60+ a year
PENSION_GROWTH = 0.07
TRANSFER_GROWTH = 0.06
ILLNESS_INCOME_FACTOR = 0.94         # a major illness costs about 6% of income for 1-3 years
DISRUPTION_FACTOR = 0.70
NO_LABOUR_AGRI_FACTOR = 0.35         # land let out when nobody can farm it
MIGRANT_MAX_AGE = 58

_FLAT = np.full(12, 1 / 12)
_AGRI = np.array([0.02, 0.02, 0.03, 0.04, 0.05, 0.07, 0.10, 0.12, 0.16, 0.18, 0.13, 0.08])
_MIGRANT = np.array([0.4, 0.3] + [1.0] * 10) / 10.7
_LOCAL = np.array([0.8, 0.7] + [1.0] * 10) / 11.5
SEASON = np.tile(_FLAT, (len(INCOME_SOURCES), 1))
SEASON[SRC["agriculture"]] = _AGRI
SEASON[SRC["wage_migrant"]] = _MIGRANT
SEASON[SRC["wage_local"]] = _LOCAL
NOISE_SD = np.zeros(len(INCOME_SOURCES))
NOISE_SD[[SRC["wage_local"], SRC["wage_migrant"]]] = 0.06
NOISE_SD[SRC["agriculture"]] = 0.25
NOISE_SD[[SRC["business"], SRC["remittance"], SRC["other"]]] = 0.30


@dataclass
class SupportEffects:
    """What the assistance measures active this month do to a household's income."""
    dibao: np.ndarray                # receives dibao
    public_welfare_job: np.ndarray   # yuan a year
    employment: np.ndarray           # job placement active
    industrial: np.ndarray           # farming/business support active
    microcredit: np.ndarray
    education_aid: np.ndarray        # yuan a year
    medical_aid: np.ndarray          # out-of-pocket relief active
    insurance: np.ndarray
    housing_renovation: np.ndarray

    @classmethod
    def none(cls, households: int) -> "SupportEffects":
        no = np.zeros(households, dtype=bool)
        zero = np.zeros(households)
        return cls(no, zero, no, no, no, zero, no, no, no)


def growth_index(hh: Households, grid: MonthGrid, month_index: int) -> np.ndarray:
    return np.exp(hh.growth * grid.years_from(month_index, ANCHOR_YEAR))


def migrant_active(people: People, labour: np.ndarray, year: int, month_index: int) -> np.ndarray:
    return (people.present & people.works & people.migrates & (labour == LAB["full"])
            & (ages(people, year) <= MIGRANT_MAX_AGE) & (people.job_lost_until < month_index))


def wage_rates(hh: Households, people: People, labour: np.ndarray, year: int, month_index: int):
    """Yearly wage rates (local, migrant) per household at 2021 level, before market drift."""
    away = migrant_active(people, labour, year, month_index)
    local = (people.present & people.works & ~away & (labour != LAB["none"])
             & (people.job_lost_until < month_index))
    local_pay = people.wage_base * LABOUR_UNITS[labour] * np.where(people.migrates, 0.5, 1.0)
    migrant_sum = np.bincount(people.household, weights=np.where(away, people.wage_base, 0.0), minlength=hh.size)
    local_sum = np.bincount(people.household, weights=np.where(local, local_pay, 0.0), minlength=hh.size)
    return local_sum, migrant_sum


ADJUSTABLE_SOURCES = [SRC[s] for s in ("wage_local", "wage_migrant", "agriculture", "business", "property",
                                        "remittance", "other")]
FIXED_SOURCES = [SRC["pension"], SRC["subsidy"]]
# Households adapt to a lasting change in their labour (a worker ageing out, a child starting work,
# a migrant coming home, a birth): other members take up work, land is rented in or out, family
# support changes. The adjustable income closes this share of the gap to the household's own
# normal level a month, so such changes fade over a few years instead of piling up [E].
ADAPTATION_RATE = 0.03
ADAPTATION_LIMIT = 1.2               # at most exp(+-1.2) on the adjustable income


def own_rates(hh: Households, people: People, labour: np.ndarray, grid: MonthGrid, month_index: int,
              labour_units: np.ndarray) -> np.ndarray:
    """(sources, households) yuan a year at this month's prices that the household's people, land
    and assets bring in, before swings, shocks, adaptation and support: its structural income."""
    year = grid.year(month_index)
    years = grid.years_from(month_index, ANCHOR_YEAR)
    growth = growth_index(hh, grid, month_index)
    local, migrant = wage_rates(hh, people, labour, year, month_index)
    rates = np.zeros((len(INCOME_SOURCES), hh.size))
    rates[SRC["wage_local"]] = local * growth
    rates[SRC["wage_migrant"]] = migrant * growth
    rates[SRC["agriculture"]] = hh.agri_base * growth * np.where(labour_units > 0, 1.0, NO_LABOUR_AGRI_FACTOR)
    rates[SRC["business"]] = hh.business_base * growth
    transfer_index = (1 + TRANSFER_GROWTH) ** years
    rates[SRC["property"]] = hh.property_base * transfer_index
    rates[SRC["remittance"]] = hh.remittance_base * transfer_index
    rates[SRC["other"]] = hh.other_base * transfer_index
    elderly = np.bincount(people.household, weights=people.present & (ages(people, year) >= 60), minlength=hh.size)
    rates[SRC["pension"]] = elderly * PENSION_2021 * (1 + PENSION_GROWTH) ** years
    rates[SRC["subsidy"]] = hh.subsidy_base * transfer_index
    return rates


def adapt(hh: Households, own: np.ndarray, members: np.ndarray, grid: MonthGrid, month_index: int) -> None:
    """Move the adaptation a step towards what brings the structural income back to the
    household's normal per-capita level."""
    adjustable = own[ADJUSTABLE_SOURCES].sum(axis=0)
    fixed = own[FIXED_SOURCES].sum(axis=0)
    normal = hh.income_normal * growth_index(hh, grid, month_index) * members
    can = hh.active & (members > 0) & (adjustable >= 1.0)
    needed = np.log(np.maximum(normal - fixed, 0.2 * adjustable) / np.maximum(adjustable, 1.0))
    target = np.clip(needed, -ADAPTATION_LIMIT, ADAPTATION_LIMIT)
    hh.adaptation[:] = np.where(can, hh.adaptation + ADAPTATION_RATE * (target - hh.adaptation), hh.adaptation)


def annual_rates(hh: Households, people: People, labour: np.ndarray, grid: MonthGrid, month_index: int,
                 support: SupportEffects, dibao_standard: np.ndarray, labour_units: np.ndarray,
                 members: np.ndarray, own: np.ndarray | None = None, local_wages: float = 1.0) -> np.ndarray:
    """(sources, households) expected yuan a year at this month's prices; `local_wages` scales
    what local work pays this month (a crisis, see `synthetic.scenarios`)."""
    rates = own_rates(hh, people, labour, grid, month_index, labour_units) if own is None else own.copy()
    adapted = np.exp(hh.adaptation)
    market = adapted * np.exp(hh.drift)
    earnings = market * np.exp(hh.transitory)
    shock = np.where(hh.illness_loss_until >= month_index, ILLNESS_INCOME_FACTOR, 1.0)
    shock *= np.where(hh.disruption_until >= month_index, DISRUPTION_FACTOR, 1.0)
    rates[SRC["wage_local"]] *= earnings * shock * np.where(support.employment, 1.3, 1.0) * local_wages
    rates[SRC["wage_migrant"]] *= earnings * shock
    agri_loss = np.where(hh.agri_loss_until >= month_index, hh.agri_loss_share, 0.0)
    rates[SRC["agriculture"]] *= (market * np.exp(hh.harvest) * (1 - agri_loss)
                                  * np.where(support.industrial, 1.2, 1.0))
    rates[SRC["business"]] *= earnings * ~hh.business_down * np.where(support.microcredit, 1.2, 1.0) * shock
    for source in ("property", "remittance", "other"):
        rates[SRC[source]] *= adapted
    rates[SRC["subsidy"]] += support.education_aid
    rates[SRC["public_welfare_job"]] = support.public_welfare_job
    own = rates.sum(axis=0)
    full_gap = dibao_standard * members
    # the gap to the dibao standard, with half of the household's own income disregarded
    rates[SRC["dibao"]] = np.where(support.dibao & hh.active, np.clip(full_gap - 0.5 * own, 0.3 * full_gap, full_gap), 0.0)
    rates[:, ~hh.active] = 0.0
    return rates


def monthly_amounts(rng: np.random.Generator, rates: np.ndarray, calendar_month: int) -> np.ndarray:
    """The month's realised income per source, with seasonality and noise."""
    noise = rng.lognormal(0.0, NOISE_SD[:, None], rates.shape) * np.exp(-NOISE_SD[:, None] ** 2 / 2)
    return np.round(rates * SEASON[:, calendar_month - 1][:, None] * noise, 2)
