"""Income and spending rows that reach the county month by month: department transfers,
self-reported wages, medical-insurance pushes and other spending. Survey income comes only from
assessments (synthetic.assessments)."""
from __future__ import annotations

import numpy as np

from synthetic.codes import DS, EXP, SRC
from synthetic.months import MonthGrid, office_time
from synthetic.records import Recorder, known_at

# Transfers (pension, dibao, subsidies, public-welfare job pay) are exact, checked against bank
# records, and reach the county every month [S]. No department holds most rural wages [S, E]:
# migrant work is tracked as monthly counts of who is working (members.migrant_months), so wages
# have no department rows.
TRANSFER_SOURCES = [SRC[s] for s in ("pension", "dibao", "subsidy", "public_welfare_job")]
WAGE_SOURCES = (SRC["wage_local"], SRC["wage_migrant"])
# The app is used to report difficulties; a month's wage is self-reported rarely, one source at a
# time: an app user about once a year [E].
SELF_REPORTED_WAGE_MONTHLY = 1 / 12
SELF_REPORT_ERROR_SD = 0.15
# Medical insurance pushes by the 5th of each month the costs to the previous month end [S]; a
# bill reimbursed by hand (care outside the scheme's direct settlement) arrives one or two pushes
# later [E].
MEDICAL_PUSH_LAST_DAY = 5
MEDICAL_BY_HAND_SHARE = 0.15
MEDICAL_BY_HAND_EXTRA_MONTHS = (1, 3)
MEDICAL_SURVEY_SHARE = 0.04          # a cadre also writes the bill down on a visit
SURVEY_SPENDING_ERROR_SD = 0.04


def department_transfers(rng, rec: Recorder, grid: MonthGrid, t: int, amounts: np.ndarray) -> None:
    first_day, last_day = grid.first_day(t), grid.last_day(t)
    for source in TRANSFER_SOURCES:
        households = np.flatnonzero(amounts[source] >= 1.0)
        recorded = known_at(rng, np.full(households.size, last_day), np.full(households.size, DS["department"]))
        _income_rows(rec, households, source, amounts[source][households], DS["department"], first_day, last_day, recorded)


def self_reported_wages(rng, rec: Recorder, grid: MonthGrid, t: int, amounts: np.ndarray, app_user: np.ndarray) -> None:
    first_day, last_day = grid.first_day(t), grid.last_day(t)
    for source in WAGE_SOURCES:
        reports = app_user & (amounts[source] >= 1.0) & (rng.random(app_user.size) < SELF_REPORTED_WAGE_MONTHLY)
        households = np.flatnonzero(reports)
        amount = amounts[source][households] * rng.lognormal(0, SELF_REPORT_ERROR_SD, households.size)
        recorded = known_at(rng, np.full(households.size, last_day), np.full(households.size, DS["self_report"]))
        _income_rows(rec, households, source, amount, DS["self_report"], first_day, last_day, recorded)


def _income_rows(rec: Recorder, households, source: int, amount, data_source: int, first_day: int, last_day: int,
                 recorded) -> None:
    n = households.size
    rec.add("income", household=households, start=np.full(n, first_day), end=np.full(n, last_day),
            code=np.full(n, source, dtype=np.int8), source=np.full(n, data_source, dtype=np.int8),
            amount=np.round(amount, 2), recorded=recorded, fact_day=np.full(n, first_day), carried=np.zeros(n, bool))


def medical_push_seconds(rng, grid: MonthGrid, t: int, count: int) -> np.ndarray:
    """recorded_at of medical-insurance rows for month t: the push by the 5th of the month after,
    or a later push for bills reimbursed by hand."""
    extra = np.where(rng.random(count) < MEDICAL_BY_HAND_SHARE, rng.integers(*MEDICAL_BY_HAND_EXTRA_MONTHS, count), 0)
    push_month_first_day = grid.first_days(t + 1 + extra)
    return office_time(rng, push_month_first_day + rng.integers(0, MEDICAL_PUSH_LAST_DAY, count))


def expenditure_month(rng, rec: Recorder, grid: MonthGrid, t: int, spending: dict[str, np.ndarray]) -> None:
    first_day, last_day = grid.first_day(t), grid.last_day(t)
    for category, amounts in spending.items():
        households = np.flatnonzero(amounts >= 1.0)
        value = amounts[households]
        if category in ("medical_total", "medical_oop"):
            _spending_rows(rec, households, EXP[category], value, DS["department"], first_day, last_day,
                           medical_push_seconds(rng, grid, t, households.size))
            also = rng.random(households.size) < MEDICAL_SURVEY_SHARE
            _spending_rows(rec, households[also], EXP[category], value[also] * rng.lognormal(0, 0.2, int(also.sum())),
                           DS["survey"], first_day, last_day, _known(rng, last_day, int(also.sum()), "survey"))
            continue
        dept = (rng.random(households.size) < 0.5) if category == "disaster_loss" else np.zeros(households.size, bool)
        _spending_rows(rec, households[dept], EXP[category], value[dept], DS["department"], first_day, last_day,
                       _known(rng, last_day, int(dept.sum()), "department"))
        surveyed = ~dept
        _spending_rows(rec, households[surveyed], EXP[category],
                       value[surveyed] * rng.lognormal(0, SURVEY_SPENDING_ERROR_SD, int(surveyed.sum())),
                       DS["survey"], first_day, last_day, _known(rng, last_day, int(surveyed.sum()), "survey"))


def _known(rng, last_day: int, count: int, data_source: str) -> np.ndarray:
    return known_at(rng, np.full(count, last_day), np.full(count, DS[data_source]))


def _spending_rows(rec: Recorder, households, category: int, amount, data_source: int, first_day: int, last_day: int,
                   recorded) -> None:
    n = households.size
    rec.add("expenditures", household=households, start=np.full(n, first_day), end=np.full(n, last_day),
            code=np.full(n, category, dtype=np.int8), source=np.full(n, data_source, dtype=np.int8),
            amount=np.round(amount, 2), recorded=recorded)
