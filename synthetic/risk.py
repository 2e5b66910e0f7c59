"""Real risk, from the truth: rolling 12-month income and rigid spending against the line."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NONE, NEED, SHOCK = 0, 1, 2
RISK_STATES = ("none", "need", "shock")


class Rolling:
    """12-month ring buffers per household: income, out-of-pocket medical, other rigid spending, relief."""

    def __init__(self, households: int, monthly_income: np.ndarray) -> None:
        self.income = np.tile(monthly_income, (12, 1))
        self.oop = np.zeros((12, households))
        self.other_rigid = np.zeros((12, households))
        self.relief = np.zeros((12, households))

    def push(self, month_index: int, income: np.ndarray, oop: np.ndarray, other_rigid: np.ndarray) -> None:
        slot = month_index % 12
        self.income[slot] = income
        self.oop[slot] = oop
        self.other_rigid[slot] = other_rigid
        self.relief[slot] = 0.0

    def add_relief(self, month_index: int, households: np.ndarray, amount: np.ndarray) -> None:
        np.add.at(self.relief[month_index % 12], households, amount)


@dataclass
class RiskView:
    """One month's real position of every household."""
    members: np.ndarray
    line: np.ndarray
    income_pc_12m: np.ndarray
    rate_pc: np.ndarray              # expected yearly income per person at this month's rates
    net_pc_12m: np.ndarray           # income minus rigid spending plus relief, per person
    oop_12m: np.ndarray
    state: np.ndarray                # NONE, NEED or SHOCK

    def assessed_at_risk(self, rng: np.random.Generator, persistent_error: np.ndarray) -> np.ndarray:
        """What a household check concludes: the same rule on incomes assessed with an error that
        is mostly the county's standing view of the household, plus a little per check."""
        err = np.exp(persistent_error + rng.normal(0, 0.015, self.line.size))
        return (np.minimum(self.income_pc_12m, self.net_pc_12m) * err < self.line) & (self.members > 0)


def assess(rolling: Rolling, rates: np.ndarray, members: np.ndarray, line: np.ndarray,
           savings_share: np.ndarray) -> RiskView:
    """Need: 12-month income per person under the line. Shock: what is left of it after rigid
    spending (out-of-pocket medical costs, disaster losses) not covered by savings or relief."""
    people = np.maximum(members, 1)
    income = rolling.income.sum(axis=0)
    oop = rolling.oop.sum(axis=0)
    uncovered = np.maximum(oop + rolling.other_rigid.sum(axis=0) - savings_share * income, 0.0)
    net = income + rolling.relief.sum(axis=0) - uncovered
    income_pc, rate_pc, net_pc = income / people, rates.sum(axis=0) / people, net / people
    need = income_pc < line
    shock = ~need & (net_pc < line)
    state = np.where(members == 0, NONE, np.where(need, NEED, np.where(shock, SHOCK, NONE)))
    return RiskView(members=members, line=line, income_pc_12m=income_pc, rate_pc=rate_pc, net_pc_12m=net_pc,
                    oop_12m=oop, state=state.astype(np.int8))
