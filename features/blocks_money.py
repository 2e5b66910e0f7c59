"""Income and spending features: assessed incomes, what departments alone report, rigid spending.

Income comes from assessments (see `features.assessment`): a month nobody assessed is unknown,
never zero. Department rows (transfers, checked against bank records) are read on their own,
month by month, up to the latest month they report for the household, so a feed that has not
arrived yet is not read as a fall in income. Nothing is scaled by where the export starts.
"""
from __future__ import annotations

import numpy as np

from features.assessment import LOOKBACK_MONTHS, SOURCE_GROUPS, KnownIncome, latest_assessments
from features.context import AsOf
from features.monthly import DEPARTMENT

DEPARTMENT_MONTHS = 24
DEPARTMENT_TRANSFERS = ("pension", "dibao", "subsidy", "public_welfare_job")  # checked against bank records
CHANGE_MONTHS = 3


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(numerator, dtype=float) / denominator
    out[~np.isfinite(out)] = np.nan
    return out


def income_features(ctx: AsOf) -> dict[str, np.ndarray]:
    """Per household code: every income feature of the catalogue (and the latest assessed
    household income, `_household_income_12m`, for the spending ratios)."""
    income = ctx.prepared.income
    rows = KnownIncome.at(income, ctx.as_of, ctx.month, LOOKBACK_MONTHS)
    lines = ctx.facts.latest_lines(ctx.as_of)
    found = latest_assessments(income, rows, ctx.latest_members, lines, ctx.county, ctx.prepared.index,
                               ctx.latest_member_codes)
    ratio = found.line_ratio
    below = (ratio < 1.0).sum(axis=1).astype(float)
    out = {
        "assessed_income_pc_12m": found.income_pc[:, 0],
        "assessed_income_line_ratio": ratio[:, 0],
        "assessed_income_age_months": ctx.month - found.end_month[:, 0],
        "assessed_income_change": ratio[:, 0] - ratio[:, 1],
        "assessed_years_below_line": np.where(np.isfinite(ratio[:, 0]), below, np.nan),
        "assessed_months_24m": found.assessed_months,
    }
    for name in SOURCE_GROUPS:
        out[f"share_{name}"] = _divide(found.source_income[name], found.household_income[:, 0])
    out.update(_department_features(ctx, rows))
    out["_household_income_12m"] = found.household_income[:, 0]
    return out


def _department_features(ctx: AsOf, rows: KnownIncome) -> dict[str, np.ndarray]:
    """Transfers as departments report them: the last 12 months, and the latest 3 reported months
    against the 3 before them (per person and year, over the line)."""
    income, n = ctx.prepared.income, ctx.n
    first = ctx.month - DEPARTMENT_MONTHS
    winners = rows.winners
    department = winners[(income.source_rank[winners] == DEPARTMENT) & (income.month[winners] >= first)]
    monthly = income.grid(department, first, DEPARTMENT_MONTHS, n, DEPARTMENT_TRANSFERS)
    reported = income.grid(department, first, DEPARTMENT_MONTHS, n, DEPARTMENT_TRANSFERS, weights=False) > 0
    dibao = income.grid(department, first, DEPARTMENT_MONTHS, n, ("dibao",), weights=False) > 0
    cumulative = np.concatenate([np.zeros((n, 1)), np.cumsum(monthly, axis=1)], axis=1)
    last = np.where(reported.any(axis=1), DEPARTMENT_MONTHS - 1 - np.argmax(reported[:, ::-1], axis=1), -1)
    enough = last >= 2 * CHANGE_MONTHS - 1
    stop = np.where(enough, last + 1, 2 * CHANGE_MONTHS)
    rows = np.arange(n)
    recent = cumulative[rows, stop] - cumulative[rows, stop - CHANGE_MONTHS]
    before = cumulative[rows, stop - CHANGE_MONTHS] - cumulative[rows, stop - 2 * CHANGE_MONTHS]
    yearly_change = (recent - before) * 12 / CHANGE_MONTHS
    return {
        "department_income_pc_12m": _divide(monthly[:, -12:].sum(axis=1), ctx.size),
        "department_income_change": np.where(enough, _divide(yearly_change, ctx.size * ctx.line), np.nan),
        "dibao_months_12m": dibao[:, -12:].sum(axis=1).astype(float),
    }


def spending_features(ctx: AsOf, household_income_12m: np.ndarray) -> dict[str, np.ndarray]:
    spending = ctx.prepared.spending
    first = ctx.month - 12
    oop = spending.totals(ctx.as_of, first, 12, ctx.n, ("medical_oop",))
    oop_12m = oop.sum(axis=1)
    ex_poor = np.zeros(ctx.n, dtype=bool)
    ex_poor[ctx.all_codes] = ctx.all_households.equals("household_type", "ex_poor")
    trigger = ctx.prev_rural_income * np.where(ex_poor, 0.5, 1.0)
    return {
        "medical_oop_3m": oop[:, -3:].sum(axis=1),
        "medical_oop_12m": oop_12m,
        "medical_oop_income_ratio_12m": _divide(oop_12m, household_income_12m),
        "medical_oop_rule_ratio_12m": _divide(oop_12m, trigger),
        "education_spend_12m": spending.totals(ctx.as_of, first, 12, ctx.n, ("education",)).sum(axis=1),
        "housing_disaster_spend_12m": spending.totals(
            ctx.as_of, first, 12, ctx.n, ("housing_repair", "disaster_loss")).sum(axis=1),
    }
