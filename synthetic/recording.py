"""What the county records each month, beside the simulation: visits and income assessments,
department and self-reported rows, spending, and the registry's versions of households and members.

Records are kept from the first data month on; before it only the last complete autumn check is
recorded: the monitoring system took over the prior year's assessment of every registered
household, so an export whose data start in 2021-01 holds the assessment of Oct 2019-Sep 2020,
entered in late 2020 [E: the national monitoring system carried the earlier registration
records and their latest income over]. Its rows are marked `carried`.
"""
from __future__ import annotations

import numpy as np

from synthetic.assessment_rounds import AssessmentRounds, typical_income
from synthetic.detection import AUTUMN_CHECK, SPRING_SCREEN, SPRING_SCREEN_MONTH, VisitBatch
from synthetic.ledger import department_transfers, expenditure_month, self_reported_wages
from synthetic.months import MonthGrid
from synthetic.records import Recorder
from synthetic.risk import RiskView
from synthetic.state import Households, People
from synthetic.versions import Registry, member_state
from synthetic.visit_records import entry_seconds, record_visits


class CountyRecords:
    def __init__(self, records_rng: np.random.Generator, assessment_rng: np.random.Generator, grid: MonthGrid,
                 hh: Households, counties: int) -> None:
        self.rng = records_rng
        self.grid = grid
        self.rec = Recorder()
        self.registry = Registry()
        self.rounds = AssessmentRounds(assessment_rng, hh.county, counties)

    def baseline(self, hh: Households, people: People, labour: np.ndarray, t: int) -> None:
        """The registry as exported on the day before the first data month."""
        state = member_state(people, labour, self.grid, max(t - 1, 0))
        self.registry.baseline(self.rng, self.rec, hh, people, state, self.grid.first_day(t) - 1)

    def carries_over(self, t: int) -> bool:
        """Month t is in the last complete autumn before the data (its checks are carried over)."""
        grid = self.grid
        return (not grid.is_data_month(t) and grid.calendar_month(t) >= 10
                and grid.year(t) == grid.year(grid.first_data_month) - 1)

    def month(self, t: int, hh: Households, people: People, labour: np.ndarray, amounts: np.ndarray,
              view: RiskView, visits: VisitBatch, adm, line: np.ndarray, spending: dict[str, np.ndarray]) -> None:
        grid, rounds = self.grid, self.rounds
        rounds.assessor.history.push(t, amounts, view.members)
        if grid.calendar_month(t) == 1:
            rounds.assessor.errors.new_year(rounds.rng)
        data_month = grid.is_data_month(t)
        if not (data_month or self.carries_over(t)):
            return
        typical = typical_income(view.income_pc_12m, view.members, hh)
        self._visits(t, hh, visits, view, typical, line, carried=not data_month)
        if not data_month:
            return
        rounds.identification(self.rec, grid, t, adm.cases, typical, grid.first_day(grid.first_data_month))
        rounds.quarterly(self.rec, grid, t, hh, adm.cases, typical)
        department_transfers(self.rng, self.rec, grid, t, amounts)
        self_reported_wages(self.rng, self.rec, grid, t, amounts, hh.app_user)
        expenditure_month(self.rng, self.rec, grid, t, spending)
        self._registry(t, hh, people, labour, adm.check_month)

    def _visits(self, t: int, hh: Households, visits: VisitBatch, view: RiskView, typical: np.ndarray,
                line: np.ndarray, carried: bool) -> None:
        if carried:
            visits = visits.subset(visits.kind == AUTUMN_CHECK)
        recorded = entry_seconds(self.rng, self.grid, t, visits)
        income_pc = np.full(visits.household.size, np.nan)
        autumn = np.flatnonzero(visits.kind == AUTUMN_CHECK)
        assessed = self.rounds.autumn(self.rec, self.grid, t, visits.household[autumn], visits.day[autumn],
                                      recorded[autumn], typical, line, carried)
        if assessed is None and carried:
            return
        if assessed is not None:
            income_pc[autumn] = assessed
        spring = np.flatnonzero(visits.kind == SPRING_SCREEN)
        if spring.size:
            income_pc[spring] = self.rounds.spring(self.rec, self.grid, t, hh, visits.household[spring],
                                                   visits.day[spring], recorded[spring], visits.monitored[spring],
                                                   typical, line, view.oop_12m)
        record_visits(self.rec, visits, recorded, income_pc, carried)

    def _registry(self, t: int, hh: Households, people: People, labour: np.ndarray, check_month: np.ndarray) -> None:
        """Member fields are brought up to date at the household's concentrated check: the autumn
        check for formerly poor households, the spring screen for the others. Migrant work of formerly
        poor and monitored households is counted every month [S]."""
        month = self.grid.calendar_month(t)
        check_now = np.where(hh.ex_poor, check_month[hh.county] == month, month == SPRING_SCREEN_MONTH)
        migrant_tracked = hh.ex_poor | (hh.case_row >= 0)
        state = member_state(people, labour, self.grid, t)
        self.registry.month(self.rng, self.rec, self.grid, t, hh, people, state, check_now, migrant_tracked)
