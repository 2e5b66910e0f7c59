"""The generator records income as counties do: yearly visit assessments, a spring screen, the
assessment at identification, quarterly collections, exact department transfers, monthly
medical-insurance pushes, and the export cut."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synthetic.assessments import AUTUMN, Assessor
from synthetic.codes import INCOME_SOURCES, SRC
from synthetic.export import write_export
from synthetic.ledger import TRANSFER_SOURCES
from synthetic.months import MonthGrid
from synthetic.records import Recorder
from synthetic.simulate import SimulationConfig, simulate

# a warm-up of 24 months from 2019-01: the autumn check of 2020 (October 2019 - September 2020) is carried over
CONFIG = SimulationConfig(households=900, counties=3, start="2021-01", months=30, seed=3, warmup_months=24)
TRANSFERS = {INCOME_SOURCES[s] for s in TRANSFER_SOURCES}


@pytest.fixture(scope="module")
def sim():
    return simulate(CONFIG)


def _month(values: pd.Series) -> pd.Series:
    return values.dt.year * 12 + values.dt.month - 1


def survey_forms(sim) -> pd.DataFrame:
    """One row per assessment as entered (household and recorded_at): its window and rows."""
    income = sim.tables["income"]
    rows = income[income["data_source"] == "survey"]
    return (rows.groupby(["household_id", "recorded_at"])
            .agg(first=("period_start", "min"), last=("period_end", "max"), rows=("amount_yuan", "size"),
                 total=("amount_yuan", "sum"))
            .reset_index()
            .assign(months=lambda f: _month(f["last"]) - _month(f["first"]) + 1))


def _forms_with_visits(sim) -> pd.DataFrame:
    visits = sim.tables["visits"][["household_id", "recorded_at", "visited_on", "income_pc_12m_yuan"]]
    return survey_forms(sim).merge(visits, on=["household_id", "recorded_at"], how="left")


def _types(sim) -> pd.Series:
    return sim.tables["households"].drop_duplicates("household_id").set_index("household_id")["household_type"]


def test_every_assessment_covers_each_month_of_its_window(sim):
    income = sim.tables["income"]
    rows = income[income["data_source"] == "survey"]
    months = _month(rows["period_end"]) - _month(rows["period_start"]) + 1
    periods = rows.drop_duplicates(["household_id", "recorded_at", "period_start"])
    covered_once = periods.assign(months=months).groupby(["household_id", "recorded_at"])["months"].sum()
    forms = survey_forms(sim).set_index(["household_id", "recorded_at"])
    assert (covered_once.reindex(forms.index) == forms["months"]).all()   # no month twice, no gap
    assert forms["months"].isin([3, 12]).all()
    assert (rows["amount_yuan"] > 0).all()                    # every household here has a land subsidy


@pytest.mark.parametrize("in_quarters", [False, True])
def test_a_household_found_without_income_gets_a_zero_row_per_period(in_quarters):
    grid = MonthGrid.build("2021-01", 24, 0)
    assessor = Assessor(np.random.default_rng(0), household_county=np.array([0, 0]), counties=1)
    assessor.quarterly_rows[:] = in_quarters
    for month in range(12):
        amounts = np.zeros((len(INCOME_SOURCES), 2))
        amounts[SRC["wage_local"], 1] = 2_000.0
        assessor.history.push(month, amounts, np.array([2, 3]))
    rec = Recorder()
    found = assessor.evaluate(AUTUMN, np.array([0, 1]), 0, 12, typical_pc=np.full(2, 10_000.0))
    assessor.write(rec, grid, found, day=np.full(2, grid.first_day(12)), recorded=np.full(2, grid.first_day(13) * 86_400))
    rows = rec.collect("income")
    nobody = rows["household"] == 0
    assert (rows["code"][nobody] == SRC["other"]).all() and (rows["amount"][nobody] == 0).all()
    assert nobody.sum() == (4 if in_quarters else 12)
    assert (rows["code"][~nobody] == SRC["wage_local"]).all() and rows["amount"][~nobody].sum() > 0


def test_autumn_assessment_covers_october_to_september_and_is_entered_after_the_visit(sim):
    forms = _forms_with_visits(sim)
    autumn = forms[forms["visited_on"].dt.month >= 10]
    assert len(autumn) > 0.8 * (_types(sim) == "ex_poor").sum()
    assert (autumn["first"].dt.month == 10).all() and (autumn["months"] == 12).all()
    assert (autumn["first"].dt.year == autumn["visited_on"].dt.year - 1).all()
    assert (autumn["recorded_at"] > autumn["visited_on"] + pd.Timedelta(days=2)).all()
    deadline = autumn["visited_on"] + pd.offsets.MonthEnd(0) + pd.Timedelta(days=21)
    assert (autumn["recorded_at"] < deadline).all()           # "entry by 20 November" for October visits
    assert autumn["income_pc_12m_yuan"].notna().all()


def test_visit_income_is_the_assessed_total_per_member(sim):
    truth = sim.truth["assessments"]
    truth = truth[truth["kind"].isin(["autumn", "spring"])]
    forms = _forms_with_visits(sim).merge(truth[["household_id", "recorded_at", "members"]])
    assert len(forms) == len(truth)
    assert np.allclose(forms["income_pc_12m_yuan"], forms["total"] / forms["members"], atol=0.05)
    routine = sim.tables["visits"].merge(forms[["household_id", "recorded_at"]], how="left", indicator=True)
    assert routine.loc[routine["_merge"] == "left_only", "income_pc_12m_yuan"].isna().all()


def test_formerly_poor_households_miss_a_few_years(sim):
    forms = _forms_with_visits(sim)
    autumn = forms[forms["visited_on"].dt.month >= 10]
    types = _types(sim)
    years = autumn.assign(year=autumn["visited_on"].dt.year).groupby("household_id")["year"].nunique()
    ex_poor = types[types == "ex_poor"].index
    seen = years.reindex(ex_poor).fillna(0)
    assert 0.85 <= (seen == seen.max()).mean() < 1.0


def test_ordinary_households_are_assessed_only_when_flagged_or_monitored(sim):
    forms = _forms_with_visits(sim)
    ordinary = forms[forms["household_id"].map(_types(sim)) == "ordinary"]
    spring = ordinary["visited_on"].dt.month == 5
    cases = sim.tables["cases"]
    with_case = ordinary.merge(cases[["household_id", "discovered_on", "eliminated_on"]], on="household_id")
    eliminated = with_case["eliminated_on"].fillna(pd.Timestamp("2100-01-01"))
    around_case = ((with_case["recorded_at"] >= with_case["discovered_on"])
                   & (with_case["recorded_at"] < eliminated + pd.Timedelta(days=90)))
    explained = set(with_case.loc[around_case, "recorded_at"].astype("int64"))
    rest = ordinary[~spring]
    assert spring.any() and len(rest)
    assert rest["recorded_at"].astype("int64").isin(explained).all()
    screened = sim.tables["visits"]
    may = screened[(screened["visited_on"].dt.month == 5)
                   & (screened["household_id"].map(_types(sim)) == "ordinary")]
    assert may["visited_on"].dt.day.max() <= 15
    share_entered = may["income_pc_12m_yuan"].notna().mean()
    assert 0.02 < share_entered < 0.25                        # the screen flags a minority


def test_spring_screen_covers_may_to_april_and_is_entered_by_5_june(sim):
    forms = _forms_with_visits(sim)
    spring = forms[forms["visited_on"].dt.month == 5]
    assert len(spring)
    assert (spring["first"].dt.month == 5).all() and (spring["months"] == 12).all()
    deadline = pd.to_datetime(spring["visited_on"].dt.year.astype(str) + "-06-06")
    assert (spring["recorded_at"] < deadline).all() and (spring["recorded_at"] > spring["visited_on"]).all()


def test_identification_assesses_the_12_months_before_discovery(sim):
    truth = sim.truth["assessments"]
    found = truth[truth["kind"] == "identification"]
    cases = sim.tables["cases"][["household_id", "discovered_on", "identified_on"]]
    joined = found.merge(cases, left_on=["household_id", "assessed_on"], right_on=["household_id", "discovered_on"])
    assert len(joined) == len(found) > 0
    discovery_month = joined["discovered_on"].dt.to_period("M")
    assert (joined["last_month"].dt.to_period("M") == discovery_month - 1).all()
    assert (joined["recorded_at"] >= joined["discovered_on"]).all()
    assert ((joined["recorded_at"] - joined["identified_on"]).abs() <= pd.Timedelta(days=12)).all()


def test_quarterly_collection_and_quarterly_rows_in_some_counties(sim):
    truth = sim.truth["assessments"]
    quarterly = truth[truth["kind"] == "quarterly"]
    assert len(quarterly) and (quarterly["first_month"].dt.month.isin([1, 4, 7, 10])).all()
    county = sim.tables["households"].drop_duplicates("household_id").set_index("household_id")["village_code"].str[:6]
    assert quarterly["household_id"].map(county).nunique() < sim.tables["areas"]["county_code"].nunique()
    income = sim.tables["income"]
    survey = income[income["data_source"] == "survey"]
    three = (_month(survey["period_end"]) - _month(survey["period_start"])) == 2
    in_quarters = three.groupby(survey["household_id"].map(county)).any()
    assert in_quarters.any() and not in_quarters.all()
    assert (survey.loc[three, "period_start"].dt.month.isin([1, 4, 7, 10])).all()


def test_department_rows_are_exact_monthly_transfers_and_self_reports_are_rare(sim):
    income = sim.tables["income"]
    department = income[income["data_source"] == "department"]
    assert set(department["source"]) <= TRANSFERS
    assert (department["period_start"].dt.month == department["period_end"].dt.month).all()
    household_months = len(sim.truth["household_month"])
    assert (income["data_source"] == "self_report").sum() < 0.02 * household_months


def test_survey_figures_are_rounded_as_visits_write_them(sim):
    income = sim.tables["income"]
    survey = income[(income["data_source"] == "survey") & ~income["source"].isin(TRANSFERS)]
    per_source = survey.groupby(["household_id", "recorded_at", "source"])["amount_yuan"].sum()
    assert (np.abs(per_source / 100 - np.round(per_source / 100)) < 0.01).all()


def test_carried_over_autumn_check_is_in_the_export(sim):
    start = pd.Timestamp(CONFIG.start)
    forms = _forms_with_visits(sim)
    before = forms[forms["visited_on"] < start]
    assert len(before) > 0.8 * (_types(sim) == "ex_poor").sum()
    assert (before["first"] == pd.Timestamp("2019-10-01")).all() and (before["months"] == 12).all()
    assert (before["visited_on"] >= pd.Timestamp("2020-10-01")).all()
    income = sim.tables["income"]
    early = income[income["period_start"] < start]
    assert (early["data_source"] == "survey").all()
    visits = sim.tables["visits"]
    assert visits.loc[visits["visited_on"] < start, "income_pc_12m_yuan"].notna().all()


def test_medical_rows_arrive_with_the_monthly_push(sim):
    spending = sim.tables["expenditures"]
    medical = spending[spending["category"].isin(["medical_total", "medical_oop"]) & (spending["data_source"] == "department")]
    assert (medical["recorded_at"].dt.day <= 5).all()
    lag_months = _month(medical["recorded_at"]) - _month(medical["period_end"])
    assert lag_months.isin([1, 2, 3]).all() and 0.7 < (lag_months == 1).mean() < 0.95


def test_migrant_work_of_formerly_poor_households_is_counted_monthly(sim):
    members = sim.tables["members"]
    members = members[members["recorded_at"] >= pd.Timestamp(CONFIG.start)]
    types = members["household_id"].map(_types(sim))
    update_month = members["recorded_at"].dt.month
    ex_poor_months = update_month[types == "ex_poor"].nunique()
    assert ex_poor_months == 12


def test_export_json_holds_the_export_cut(sim, tmp_path):
    write_export(sim, tmp_path, file_format="csv")
    written = json.loads((tmp_path / "export.json").read_text(encoding="utf-8"))
    assert written == {"exported_at": f"{sim.exported_at:%Y-%m-%d} 00:00:00"}
    assert all((frame["recorded_at"] < sim.exported_at).all() for frame in sim.tables.values())
