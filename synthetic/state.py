"""The simulated county's state: one array per attribute, over households and over people.

People live in slots; slots beyond `count` are unused, and a slot whose `present` is false is
someone who died or left. Month indexes that mean "never" are NEVER.
"""
from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from synthetic.codes import DIFFICULTIES

NEVER = -10_000


@dataclass
class Households:
    county: np.ndarray
    village: np.ndarray
    ex_poor: np.ndarray
    exit_year: np.ndarray            # 0 for none
    house_grade: np.ndarray          # position in HOUSE_GRADES
    land_mu: np.ndarray
    water_ok: np.ndarray
    dissolved_day: np.ndarray        # NO_DAY while the household exists
    person_seq: np.ndarray           # last person number used in the household
    # income potential, yuan a year at 2021 level
    productivity: np.ndarray
    wage_scale: np.ndarray           # calibration factor on wages, farming and business
    growth: np.ndarray               # log growth per year
    drift: np.ndarray                # persistent log deviation of earnings (AR(1) over months)
    transitory: np.ndarray           # short-lived log deviation of earnings (AR(1) over months)
    harvest: np.ndarray              # this year's log deviation of farm income (yield and prices)
    income_normal: np.ndarray        # the household's normal per-capita income at 2021 level
    adaptation: np.ndarray           # log factor on adjustable income: adapting to labour changes
    agri_base: np.ndarray
    business_base: np.ndarray
    property_base: np.ndarray
    remittance_base: np.ndarray
    subsidy_base: np.ndarray
    other_base: np.ndarray
    savings_share: np.ndarray        # savings as a share of a year's income, spent on rigid costs first
    assessment_error: np.ndarray     # log error of the county's own view of the income in its decisions
                                     # (risk.assessed_at_risk); recorded figures: assessment_error.py
    app_user: np.ndarray             # self-reports income through the app
    dept_wage_feed: np.ndarray       # no longer written: no department holds most rural wages (ledger); still
                                     # drawn so that the population stream keeps its sequence
    # shock after-effects
    illness_loss_until: np.ndarray
    agri_loss_until: np.ndarray
    agri_loss_share: np.ndarray
    disruption_until: np.ndarray
    business_down: np.ndarray
    last_difficulty: np.ndarray      # (households, difficulties) month of the latest shock of each kind
    last_major_shock: np.ndarray
    # administrative process
    case_row: np.ndarray             # row of the open case in the case book, -1 when none
    stable_months: np.ndarray        # consecutive months without real risk
    ytd_oop: np.ndarray              # medical out-of-pocket this calendar year
    ytd_alerted: np.ndarray          # year-to-date medical rule already fired this year

    @property
    def size(self) -> int:
        return self.county.size

    @property
    def active(self) -> np.ndarray:
        return self.dissolved_day < 0


@dataclass
class People:
    count: int
    household: np.ndarray
    seq: np.ndarray                  # number within the household
    relation: np.ndarray
    birth_year: np.ndarray
    female: np.ndarray
    minority: np.ndarray
    final_education: np.ndarray      # education reached at the end of schooling
    school_end_age: np.ndarray
    dropout_until: np.ndarray        # out of compulsory school until this month
    health: np.ndarray
    disability_grade: np.ndarray     # 0 for none
    frailty: np.ndarray              # uniform; chronic illness limits work when high
    works: np.ndarray                # takes paid work when able
    migrates: np.ndarray             # works away from home when able
    wage_base: np.ndarray            # yuan a year at 2021 level when working
    job_lost_until: np.ndarray
    serious_until: np.ndarray
    married: np.ndarray
    insured: np.ndarray
    joined_day: np.ndarray
    left_day: np.ndarray
    present: np.ndarray
    migrant_history: np.ndarray      # (12, slots) months worked away, ring buffer

    @property
    def capacity(self) -> int:
        return self.household.size

    def reserve(self, extra: int) -> None:
        """Make room for `extra` more people, doubling the slots when needed."""
        if self.count + extra <= self.capacity:
            return
        new_capacity = max(2 * self.capacity, self.count + extra)
        for f in fields(self):
            if f.name == "count":
                continue
            old = getattr(self, f.name)
            shape = (old.shape[0], new_capacity) if old.ndim == 2 else (new_capacity,)
            grown = np.zeros(shape, dtype=old.dtype)
            grown[..., : old.shape[-1]] = old
            setattr(self, f.name, grown)

    def add(self, **values: np.ndarray) -> np.ndarray:
        """Append people; columns not given start at zero. Returns their slots."""
        n = len(values["household"])
        self.reserve(n)
        slots = np.arange(self.count, self.count + n)
        for name, value in values.items():
            getattr(self, name)[slots] = value
        self.count += n
        return slots


def empty_difficulty_matrix(households: int) -> np.ndarray:
    return np.full((households, len(DIFFICULTIES)), NEVER, dtype=np.int32)
