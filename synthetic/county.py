"""One simulated county set, advanced month by month over all households at once."""
from __future__ import annotations

import numpy as np

from synthetic import demography as demo
from synthetic import economic_shocks as econ
from synthetic import health_shocks as health
from synthetic.areas import Geography
from synthetic.assistance import historical_industrial, new_measure_book, support_effects
from synthetic.months import MonthGrid
from synthetic.cases import new_case_book
from synthetic.codes import SRC
from synthetic.detection import MonthFacts
from synthetic.scenarios import Scenario
from synthetic.income import SupportEffects, adapt, annual_rates, migrant_active, monthly_amounts, own_rates
from synthetic.lifecourse import household_labour_units, labour_now, members_present
from synthetic.population import ASSESSMENT_ERROR_SD, draw_households, draw_income_bases, draw_people, shape_income
from synthetic.process import Administration, administer
from synthetic.recording import CountyRecords
from synthetic.risk import Rolling, assess
from synthetic.spending import education_spending, medical_spending
from synthetic.state import NEVER
from synthetic.support_plan import end_for_dissolved, renew_measures, review_dibao
from synthetic.truth import TruthLog

# the household's normal per-capita income at 2021 level (median, log sd): formerly poor / ordinary.
# The income swings (economic_shocks) and the households' adapting to labour changes (income.adapt)
# widen the spread of actual yearly income to about 0.31-0.33 for the formerly poor (domain 0.30-0.38
# [E]). The median sits a little above 12,550 [S, 2021], towards 14,342 [S, 2022] / 1.09.
INCOME_2021 = {True: (12_900.0, 0.12), False: (25_000.0, 0.14)}
STABLE_MARGIN = 1.12                                      # "stable above the line" for risk elimination
# streams are spawned in this order; a new one goes last so that the others keep their draws
STREAMS = ("population", "demography", "health", "economy", "income", "spending", "admin", "records", "assessment")
HOME_FOR_NEW_YEAR = {1: 0.6, 2: 0.7}                      # share of migrants at home in January, February


class County:
    def __init__(self, seed: int, grid: MonthGrid, geo: Geography, households: int,
                 assistance_works: bool = True, scenario: Scenario = Scenario()) -> None:
        self.assistance_works, self.scenario = assistance_works, scenario
        self.rng = dict(zip(STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(STREAMS)))))
        self.grid, self.geo = grid, geo
        rng = self.rng["population"]
        self.hh = draw_households(rng, geo, households)
        self.people = draw_people(rng, self.hh, grid)
        draw_income_bases(rng, self.hh, self.people)
        self._calibrate_income_level()
        econ.start_income_swings(rng, self.hh)
        self.records = CountyRecords(self.rng["records"], self.rng["assessment"], grid, self.hh, geo.county_codes.size)
        self.rec = self.records.rec
        self.truth = TruthLog()
        self.adm = Administration(cases=new_case_book(), measures=new_measure_book(),
                                  check_month=rng.choice([10, 11, 12], geo.county_codes.size),
                                  last_eliminated=np.full(households, NEVER))
        historical_industrial(rng, self.adm.measures, self.hh, grid, grid.first_data_month)
        rates = self._rates(0, SupportEffects.none(households))
        self.rolling = Rolling(households, rates.sum(axis=0) / 12)
        self.intensity = rng.lognormal(-0.12, 0.5, (geo.county_codes.size, geo.line_years.size))

    def _calibrate_income_level(self) -> None:
        hh, people, grid = self.hh, self.people, self.grid
        labour = labour_now(people, grid.year(0), 0)
        members = members_present(people, hh.size)
        rates = annual_rates(hh, people, labour, grid, 0, SupportEffects.none(hh.size), np.zeros(hh.size),
                             household_labour_units(people, labour, hh.size), members)
        index = np.exp(hh.growth * grid.years_from(0, 2021))
        fixed = rates[[SRC["pension"], SRC["subsidy"]]].sum(axis=0)
        adjustable = rates.sum(axis=0) - fixed
        shape_income(hh, people, adjustable / index, fixed / index, members, INCOME_2021)

    def line(self, t: int) -> np.ndarray:
        return self.geo.line_yuan[:, self.geo.year_position(self.grid.year(t))][self.hh.county]

    def dibao_standard(self, t: int) -> np.ndarray:
        return self.geo.dibao_yuan[:, self.geo.year_position(self.grid.year(t))][self.hh.county]

    def _rates(self, t: int, support: SupportEffects) -> np.ndarray:
        labour = labour_now(self.people, self.grid.year(t), t)
        return annual_rates(self.hh, self.people, labour, self.grid, t, support, self.dibao_standard(t),
                            household_labour_units(self.people, labour, self.hh.size),
                            members_present(self.people, self.hh.size), local_wages=self.scenario.local_wages(t))

    def run(self) -> None:
        for t in range(self.grid.total_months):
            if t == self.grid.first_data_month:
                self._export_baseline(t)
            self.step(t)
        if self.grid.first_data_month >= self.grid.total_months:
            raise ValueError("the simulation needs at least one data month")

    def _export_baseline(self, t: int) -> None:
        labour = labour_now(self.people, self.grid.year(t - 1), t - 1)
        self.records.baseline(self.hh, self.people, labour, t)

    def _new_year(self, t: int) -> None:
        if self.grid.calendar_month(t) == 1:
            self.hh.ytd_oop[:] = 0.0
            self.hh.ytd_alerted[:] = False
            renewed = self.rng["admin"].random(self.hh.size) < 0.3
            self.hh.assessment_error[renewed] = self.rng["admin"].normal(0, ASSESSMENT_ERROR_SD, int(renewed.sum()))
            self.adm.check_month[:] = self.rng["admin"].choice([10, 11, 12], self.adm.check_month.size)

    def _life_events(self, t: int):
        hh, people, grid, rec = self.hh, self.people, self.grid, self.rec
        rng = self.rng["health"]
        health.chronic_onsets(rng, hh, people, grid, t, rec)
        stays = [health.major_illnesses(rng, hh, people, grid, t, rec)]
        health.disability_onsets(rng, hh, people, grid, t, rec)
        accident_stays, accident_deaths = health.accidents(rng, hh, people, grid, t, rec)
        stays.append(accident_stays)
        health.recoveries(rng, people, t)
        rng = self.rng["demography"]
        was_active = hh.active.copy()
        died, funeral = demo.deaths(rng, hh, people, grid, t, accident_deaths, rec)
        demo.births(rng, hh, people, grid, t)
        demo.marriages(rng, hh, people, grid, t)
        dropouts = demo.dropouts(rng, hh, people, grid, t)
        demo.school_entries(rng, people, grid, t, rec)
        demo.moves_and_dissolutions(rng, hh, people, grid, t)
        demo.replace_heads(people, hh.size)
        end_for_dissolved(self.rng["admin"], self.adm.measures, grid, t, np.flatnonzero(was_active & ~hh.active))
        return stays, funeral, people.household[died], people.household[dropouts]

    def _economy(self, t: int, labour: np.ndarray, support: SupportEffects):
        hh, people, grid, rec = self.hh, self.people, self.grid, self.rec
        rng = self.rng["economy"]
        econ.drift_markets(rng, hh, grid, t)
        econ.migrant_spells(rng, people, labour, grid, t)
        econ.job_losses(rng, hh, people, labour, grid, t, rec, self.scenario)
        econ.employment_helps(rng, people, support.employment, t)
        econ.business_failures(rng, hh, support.microcredit, grid, t, rec)
        year_position = self.geo.year_position(grid.year(t))
        disaster_loss = econ.disasters(rng, hh, grid, t, self.intensity[:, year_position], rec, self.scenario)
        econ.other_house_damage(rng, hh, grid, t, rec)
        repairs = econ.house_repairs(rng, hh, support.housing_renovation, t)
        fixed_water = ~hh.water_ok & (rng.random(hh.size) < 0.1 / 12)
        hh.water_ok |= fixed_water
        away = migrant_active(people, labour, grid.year(t), t)
        home = rng.random(people.capacity) < HOME_FOR_NEW_YEAR.get(grid.calendar_month(t), 0.0)
        people.migrant_history[t % 12] = away & ~home
        return disaster_loss, repairs

    def step(self, t: int) -> None:
        grid, hh, people = self.grid, self.hh, self.people
        self._new_year(t)
        stays, funeral, death_households, dropout_households = self._life_events(t)
        labour = labour_now(people, grid.year(t), t)
        support = (support_effects(self.adm.measures, hh.size, t) if self.assistance_works
                   else SupportEffects.none(hh.size))
        disaster_loss, repairs = self._economy(t, labour, support)
        labour_units = household_labour_units(people, labour, hh.size)
        members = members_present(people, hh.size)
        own = own_rates(hh, people, labour, grid, t, labour_units)
        adapt(hh, own, members, grid, t)
        rates = annual_rates(hh, people, labour, grid, t, support, self.dibao_standard(t), labour_units, members, own,
                             local_wages=self.scenario.local_wages(t))
        amounts = monthly_amounts(self.rng["income"], rates, grid.calendar_month(t))
        rng = self.rng["spending"]
        medical_total, medical_oop = medical_spending(rng, hh, people, stays, support)
        education = education_spending(rng, hh, people, grid.year(t), t, grid.calendar_month(t), support.education_aid)
        hh.ytd_oop += medical_oop
        self.rolling.push(t, amounts.sum(axis=0), medical_oop, disaster_loss)
        view = assess(self.rolling, rates, members, self.line(t), hh.savings_share)
        margin = np.minimum(view.income_pc_12m, view.net_pc_12m) >= STABLE_MARGIN * view.line
        hh.stable_months[:] = np.where((view.state == 0) & margin, hh.stable_months + 1, 0)
        aid = np.where(support.medical_aid, 0.4, 1.0) * np.where(support.insurance, 0.8, 1.0)
        facts = MonthFacts(stay_oop=sum(s.oop for s in stays) * aid, death_households=death_households,
                           dropout_households=dropout_households, disaster_loss=disaster_loss)
        prev_income = self.geo.prev_rural_income_yuan[self.geo.year_position(grid.year(t))]
        visits = administer(self.rng["admin"], self.adm, hh, people, grid, t, view, facts, labour_units, self.rolling,
                            self.dibao_standard(t), prev_income, self.rec)
        renew_measures(self.rng["admin"], self.adm.measures, grid, t, hh)
        own_rate_pc = (rates.sum(axis=0) - rates[SRC["dibao"]]) / np.maximum(members, 1)
        review_dibao(self.rng["admin"], self.adm.measures, grid, t, own_rate_pc, self.line(t))
        spending = {"medical_total": medical_total, "medical_oop": medical_oop, "education": education,
                    "housing_repair": repairs, "disaster_loss": disaster_loss, "funeral": funeral}
        self.records.month(t, hh, people, labour, amounts, view, visits, self.adm, self.line(t), spending)
        if grid.is_data_month(t):
            self.truth.month(self.grid, t, self.hh, self.adm, amounts.sum(axis=0), view)
