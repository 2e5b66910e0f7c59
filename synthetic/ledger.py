"""Income and expenditure rows as the channels report them: periods, data sources, conflicts, lags."""
from __future__ import annotations

import numpy as np

from synthetic.months import MonthGrid, SECONDS_PER_DAY
from synthetic.codes import DS, EXP, INCOME_SOURCES, SRC
from synthetic.records import Recorder, known_at

MONTHLY_SOURCES = [SRC[s] for s in ("wage_local", "wage_migrant", "pension", "dibao", "public_welfare_job")]
QUARTERLY_SOURCES = [SRC[s] for s in ("agriculture", "business", "property", "remittance", "subsidy", "other")]
DEPARTMENT_SOURCES = {SRC[s] for s in ("pension", "dibao", "public_welfare_job", "subsidy")}
WAGE_SOURCES = (SRC["wage_local"], SRC["wage_migrant"])
SURVEY_ERROR_SD = 0.04
SELF_REPORT_ERROR_SD = 0.15
SURVEY_CORRECTION_SHARE = 0.01
SELF_REPORTED_WAGE_SHARE = 0.5
MEDICAL_SURVEY_SHARE = 0.04


class Ledger:
    def __init__(self, households: int, app_user: np.ndarray, dept_wage_feed: np.ndarray) -> None:
        self.quarter_sum = np.zeros((len(INCOME_SOURCES), households))
        self.app_user = app_user
        self.dept_wage_feed = dept_wage_feed

    def income_month(self, rng, rec: Recorder, grid: MonthGrid, t: int, amounts: np.ndarray) -> None:
        quarter_start = grid.quarter_start_month(t)
        whole_quarter = quarter_start >= grid.first_data_month and quarter_start + 2 < grid.total_months
        self.quarter_sum[QUARTERLY_SOURCES] += amounts[QUARTERLY_SOURCES]
        if not whole_quarter:
            self._rows(rng, rec, QUARTERLY_SOURCES, amounts, grid.first_day(t), grid.last_day(t))
        if whole_quarter and t == quarter_start + 2:
            self._rows(rng, rec, QUARTERLY_SOURCES, self.quarter_sum, grid.first_day(quarter_start), grid.last_day(t))
        if t == quarter_start + 2 or not whole_quarter:
            self.quarter_sum[:] = 0.0
        self._rows(rng, rec, MONTHLY_SOURCES, amounts, grid.first_day(t), grid.last_day(t))

    def _rows(self, rng, rec: Recorder, sources, amounts: np.ndarray, first_day: int, last_day: int) -> None:
        for source in sources:
            households = np.flatnonzero(amounts[source] >= 1.0)
            true = amounts[source][households]
            data_source = DS["department"] if source in DEPARTMENT_SOURCES else DS["survey"]
            reported = true if data_source == DS["department"] else true * rng.lognormal(0, SURVEY_ERROR_SD, true.size)
            add_rows(rng, rec, "income", households, source, reported, data_source, first_day, last_day)
            if source in WAGE_SOURCES:
                self._wage_conflicts(rng, rec, source, households, true, first_day, last_day)

    def _wage_conflicts(self, rng, rec, source, households, true, first_day, last_day) -> None:
        """Some wages are also in a department feed (which wins), or self-reported through the app."""
        dept = self.dept_wage_feed[households]
        add_rows(rng, rec, "income", households[dept], source, true[dept], DS["department"], first_day, last_day)
        app = self.app_user[households] & (rng.random(households.size) < SELF_REPORTED_WAGE_SHARE)
        add_rows(rng, rec, "income", households[app], source,
                 true[app] * rng.lognormal(0, SELF_REPORT_ERROR_SD, int(app.sum())), DS["self_report"],
                 first_day, last_day)


def add_rows(rng, rec: Recorder, table_name: str, households: np.ndarray, code: int, amount: np.ndarray,
             data_source: int, first_day: int, last_day: int) -> None:
    n = households.size
    if n == 0:
        return
    source = np.full(n, data_source, dtype=np.int8)
    recorded = known_at(rng, np.full(n, last_day), source)
    columns = dict(household=households, start=np.full(n, first_day), end=np.full(n, last_day),
                   code=np.full(n, code, dtype=np.int8), source=source)
    rec.add(table_name, amount=np.round(amount, 2), recorded=recorded, **columns)
    if data_source == DS["survey"]:
        fixed = rng.random(n) < SURVEY_CORRECTION_SHARE
        later = recorded[fixed] + rng.integers(10, 61, int(fixed.sum())) * SECONDS_PER_DAY
        rec.add(table_name, amount=np.round(amount[fixed] * rng.lognormal(0, 0.08, int(fixed.sum())), 2),
                recorded=later, **{k: v[fixed] for k, v in columns.items()})


def expenditure_month(rng, rec: Recorder, grid: MonthGrid, t: int, spending: dict[str, np.ndarray]) -> None:
    first_day, last_day = grid.first_day(t), grid.last_day(t)
    for category, amounts in spending.items():
        households = np.flatnonzero(amounts >= 1.0)
        value = amounts[households]
        if category in ("medical_total", "medical_oop"):
            add_rows(rng, rec, "expenditures", households, EXP[category], value, DS["department"], first_day, last_day)
            also = rng.random(households.size) < MEDICAL_SURVEY_SHARE
            add_rows(rng, rec, "expenditures", households[also], EXP[category],
                     value[also] * rng.lognormal(0, 0.2, int(also.sum())), DS["survey"], first_day, last_day)
            continue
        dept = (rng.random(households.size) < 0.5) if category == "disaster_loss" else np.zeros(households.size, bool)
        add_rows(rng, rec, "expenditures", households[dept], EXP[category], value[dept], DS["department"], first_day, last_day)
        add_rows(rng, rec, "expenditures", households[~dept], EXP[category],
                 value[~dept] * rng.lognormal(0, SURVEY_ERROR_SD, int((~dept).sum())), DS["survey"], first_day, last_day)
