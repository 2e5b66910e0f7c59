"""Income and spending features: resolved monthly amounts over windows before the as-of month."""
from __future__ import annotations

import numpy as np

from features.catalogue import WINDOWS
from features.context import AsOf

LONGEST = max(WINDOWS)
WAGE_LOCAL = ("wage_local",)
WAGE_MIGRANT = ("wage_migrant",)
FARM_BUSINESS = ("agriculture", "business")
TRANSFERS = ("public_welfare_job", "pension", "dibao", "subsidy", "remittance")


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = numerator / denominator
    out[~np.isfinite(out)] = np.nan
    return out


def income_features(ctx: AsOf) -> dict[str, np.ndarray]:
    """Per household code: every income feature of the catalogue."""
    income = ctx.prepared.income
    first = ctx.month - LONGEST
    monthly = income.totals(ctx.as_of, first, LONGEST, ctx.n)
    export_start = income.first_month_known(ctx.as_of)
    history_months = 0 if export_start is None else max(ctx.month - export_start, 0)
    out: dict[str, np.ndarray] = {}
    for window in WINDOWS:
        months = min(window, history_months)
        total = monthly[:, LONGEST - window:].sum(axis=1)
        yearly = total * 12 / months if months else np.full(ctx.n, np.nan)
        out[f"income_pc_{window}m"] = _divide(yearly, ctx.size)
        out[f"income_line_ratio_{window}m"] = _divide(out[f"income_pc_{window}m"], ctx.line)
    recent, before = monthly[:, -6:].sum(axis=1), monthly[:, -12:-6].sum(axis=1)
    trend = _divide((recent - before) * 2, ctx.size * ctx.line)
    out["income_trend_6m"] = trend if history_months >= 12 else np.full(ctx.n, np.nan)
    last_year = monthly[:, -min(12, max(history_months, 1)):]
    out["income_volatility_12m"] = _divide(last_year.std(axis=1), last_year.mean(axis=1))
    total_12m = monthly[:, -12:].sum(axis=1)
    for name, sources in (("share_wage_local", WAGE_LOCAL), ("share_wage_migrant", WAGE_MIGRANT),
                          ("share_farm_business", FARM_BUSINESS), ("share_transfers", TRANSFERS)):
        part = income.totals(ctx.as_of, ctx.month - 12, 12, ctx.n, sources).sum(axis=1)
        out[name] = _divide(part, total_12m)
    last = income.last_month_recorded(ctx.as_of, ctx.n)
    out["months_since_income_record"] = np.where(np.isfinite(last), ctx.month - last, np.nan)
    recorded_months = income.record_counts(ctx.as_of, first, LONGEST, ctx.n) > 0
    out["income_coverage_24m"] = recorded_months.sum(axis=1) / LONGEST
    out["_income_12m_total"] = total_12m
    return out


def spending_features(ctx: AsOf, income_12m_total: np.ndarray) -> dict[str, np.ndarray]:
    spending = ctx.prepared.spending
    first = ctx.month - 12
    oop = spending.totals(ctx.as_of, first, 12, ctx.n, ("medical_oop",))
    oop_12m = oop.sum(axis=1)
    ex_poor = np.zeros(ctx.n, dtype=bool)
    ex_poor[ctx.prepared.index.codes(ctx.all_households["household_id"])] = (
        ctx.all_households["household_type"] == "ex_poor").to_numpy()
    trigger = ctx.prev_rural_income * np.where(ex_poor, 0.5, 1.0)
    return {
        "medical_oop_3m": oop[:, -3:].sum(axis=1),
        "medical_oop_12m": oop_12m,
        "medical_oop_income_ratio_12m": _divide(oop_12m, income_12m_total),
        "medical_oop_rule_ratio_12m": _divide(oop_12m, trigger),
        "education_spend_12m": spending.totals(ctx.as_of, first, 12, ctx.n, ("education",)).sum(axis=1),
        "housing_disaster_spend_12m": spending.totals(
            ctx.as_of, first, 12, ctx.n, ("housing_repair", "disaster_loss")).sum(axis=1),
    }
