"""Simulate a county set: contract tables plus the hidden truth behind them.

    from synthetic.simulate import SimulationConfig, simulate
    sim = simulate(SimulationConfig(households=3000, counties=3, start="2021-01", months=36, seed=7))
    sim.tables["income"], sim.truth["household_month"], sim.exported_at
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.contract import TABLE_NAMES, table
from features.validate import empty_accepted
from synthetic import codes as C
from synthetic import tables as T
from synthetic.areas import areas_table, build_geography, monitoring_lines_table
from synthetic.months import SECONDS_PER_DAY, MonthGrid, office_time
from synthetic.county import County
from synthetic.frames import as_dates, as_timestamps, system_allocator, take_str
from synthetic.assessments import ASSESSMENT_KINDS
from synthetic.risk import RISK_STATES
from synthetic.scenarios import DEFAULT_MONTHS_BEFORE_END, Scenario

# fact column that must fall inside the data period: the day of the event, push, report, visit or
# month; for income, the visit (or collection, or discovery) of an assessment, else the month.
# Rows marked `carried` (the last autumn check before the data) are kept too.
DATA_PERIOD_COLUMN = {"events": "day", "alerts": "pushed", "self_reports": "received", "visits": "day",
                      "income": "fact_day", "expenditures": "start", "assessments": "fact_day"}


@dataclass(frozen=True)
class SimulationConfig:
    households: int
    counties: int = 3
    start: str = "2021-01"
    months: int = 36
    seed: int = 0
    warmup_months: int = 24
    assistance_works: bool = True    # False: measures are opened as usual but change nothing (a twin
                                     # county for measuring what assistance does)
    scenario: str = "default"        # a shift from scenario_start on (`synthetic.scenarios`)
    scenario_start: str | None = None  # a data month like 2023-09; default: 12 months before the end

    def __post_init__(self) -> None:
        if self.households < 10:
            raise ValueError(f"households must be at least 10, got {self.households}")
        if not 1 <= self.counties <= 99:
            raise ValueError(f"counties must be 1-99, got {self.counties}")
        if self.months < 1 or self.warmup_months < 0:
            raise ValueError(f"months must be >= 1 and warmup_months >= 0, got {self.months}, {self.warmup_months}")
        try:
            np.datetime64(self.start, "M")
        except ValueError:
            raise ValueError(f"start must be a month like 2021-01, got {self.start!r}") from None
        Scenario(self.scenario)
        if self.scenario_start is not None:
            try:
                offset = int((np.datetime64(self.scenario_start, "M") - np.datetime64(self.start, "M")).astype(int))
            except ValueError:
                raise ValueError(f"scenario_start must be a month like 2023-09, got {self.scenario_start!r}") from None
            if not 0 <= offset < self.months:
                raise ValueError(f"scenario_start {self.scenario_start} is outside the data months "
                                 f"({self.start} and the {self.months - 1} after it)")

    def _scenario_offset(self) -> int:
        if self.scenario_start is None:
            return max(0, self.months - DEFAULT_MONTHS_BEFORE_END)
        return int((np.datetime64(self.scenario_start, "M") - np.datetime64(self.start, "M")).astype(int))

    def scenario_first_month(self) -> str | None:
        """The first month of the scenario's shift (YYYY-MM), None for the default."""
        if self.scenario == "default":
            return None
        return str(np.datetime64(self.start, "M") + np.timedelta64(self._scenario_offset(), "M"))

    def scenario_on(self, grid: MonthGrid) -> Scenario:
        """The scenario with its first month as an index on `grid`."""
        return Scenario(self.scenario, grid.first_data_month + self._scenario_offset())


@dataclass(frozen=True)
class Simulation:
    config: SimulationConfig
    tables: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame]
    data_end: pd.Timestamp           # the latest recorded_at in the tables
    exported_at: pd.Timestamp        # the export cut: midnight after the last data month; nothing is recorded after it


def simulate(config: SimulationConfig) -> Simulation:
    grid = MonthGrid.build(config.start, config.months, config.warmup_months)
    geo_rng = np.random.default_rng(np.random.SeedSequence([config.seed, 1]))
    geo = build_geography(geo_rng, config.households, config.counties, grid)
    county = County(config.seed, grid, geo, config.households, config.assistance_works, config.scenario_on(grid))
    county.run()
    records = _cut_records(county, grid)
    assessments = records.pop("assessments")
    data_end = max(int(r["recorded"].max()) for r in records.values() if r and len(r["recorded"]))
    cut = grid.export_cut_day * SECONDS_PER_DAY
    with system_allocator():
        fixed_tables = {"areas": areas_table(geo, grid, geo_rng),
                        "monitoring_lines": monitoring_lines_table(geo, grid, geo_rng)}
        tables = {**fixed_tables, **_tables(county, records, cut)}
        truth = _truth(county, grid, geo, assessments)
    data_end = max(data_end, *(int(f["recorded_at"].max().value // 10**9) for f in fixed_tables.values()))
    return Simulation(config=config, tables={name: tables[name] for name in TABLE_NAMES}, truth=truth,
                      data_end=pd.Timestamp(data_end, unit="s"), exported_at=pd.Timestamp(cut, unit="s"))


def _cut_records(county: County, grid: MonthGrid) -> dict[str, dict]:
    """Rows known before the export cut; records of facts from the first data month on, and the
    carried-over autumn check."""
    rng = county.rng["records"]
    cases = county.adm.cases.columns()
    measures = county.adm.measures.columns()
    measures["recorded"] = office_time(rng, measures["start_day"] + rng.integers(0, 15, measures["start_day"].size))
    raw = {name: county.rec.collect(name) for name in
           ("households", "members", "income", "expenditures", "events", "alerts", "self_reports", "visits",
            "assessments")}
    raw.update(cases=cases, assistance=measures)
    cut = grid.export_cut_day * SECONDS_PER_DAY
    first = grid.first_day(grid.first_data_month) * SECONDS_PER_DAY
    out = {}
    for name in list(raw):
        batch = raw.pop(name)
        if not batch:
            out[name] = batch
            continue
        keep = batch["recorded"] < cut
        if name in DATA_PERIOD_COLUMN:
            fact = batch[DATA_PERIOD_COLUMN[name]]
            in_period = (fact if name in ("alerts", "self_reports") else fact * SECONDS_PER_DAY) >= first
            keep &= in_period | batch["carried"] if "carried" in batch else in_period
        out[name] = {k: v[keep] for k, v in batch.items()}
    return out


def _tables(county: County, records: dict, cut: int) -> dict[str, pd.DataFrame]:
    """Contract tables; statuses dated from the export cut on (cut, seconds) are not yet known."""
    hh, people, geo = county.hh, county.people, county.geo
    hh_ids = T.household_ids(geo.village_codes, hh.village)
    pids = T.person_ids(hh_ids, people.household[: people.count], people.seq[: people.count])
    exported_people = np.unique(records["members"]["person"])
    builders = {
        "households": lambda r: T.households_frame(r, hh, hh_ids, geo.village_codes),
        "members": lambda r: T.members_frame(r, hh_ids, pids),
        "income": lambda r: T.measure_frame("income", r, hh_ids, C.INCOME_SOURCES),
        "expenditures": lambda r: T.measure_frame("expenditures", r, hh_ids, C.EXPENDITURE_CATEGORIES),
        "events": lambda r: T.events_frame(r, hh_ids, pids, exported_people),
        "alerts": lambda r: T.alerts_frame(r, hh_ids, cut),
        "self_reports": lambda r: T.self_reports_frame(r, hh_ids, cut),
        "visits": lambda r: T.visits_frame(r, hh_ids),
        "cases": lambda r: T.cases_frame(r, hh_ids, cut),
        "assistance": lambda r: T.assistance_frame(r, hh_ids, cut),
    }
    return {name: build(rows) if (rows := records.pop(name)) else empty_accepted(table(name)) for name, build in builders.items()}


def _truth(county: County, grid: MonthGrid, geo, assessments: dict) -> dict[str, pd.DataFrame]:
    hh = county.hh
    hh_ids = T.household_ids(geo.village_codes, hh.village)
    m = county.truth.rec.collect("household_month")
    months = grid.first_days(m["month"])
    household_month = pd.DataFrame({
        "household_id": take_str(hh_ids, m["household"]), "month": as_dates(months),
        **{k: m[k] for k in ("members_present", "income_month_true", "income_pc_12m_true", "net_pc_12m_true",
                             "income_rate_pc_true", "line_yuan", "below_line")},
        "risk_state": take_str(RISK_STATES, m["risk_state"]),
        **{k: m[k] for k in ("at_risk", "supported", "in_case")},
    })
    cases = county.adm.cases
    n_cases = np.bincount(cases["household"], minlength=hh.size)
    households = pd.DataFrame({
        "household_id": take_str(hh_ids, np.arange(hh.size)),
        "county_code": take_str(geo.county_codes, hh.county), "village_code": take_str(geo.village_codes, hh.village),
        "type": take_str(C.HOUSEHOLD_TYPES, np.where(hh.ex_poor, C.EX_POOR, 1 - C.EX_POOR)),
        "ever_case": n_cases > 0, "n_cases": n_cases.astype(np.int64), "dissolved_on": as_dates(hh.dissolved_day),
    })
    s = county.rec.collect("shocks")
    shocks = pd.DataFrame({"household_id": take_str(hh_ids, s["household"]),
                           "event_type": take_str(C.EVENT_TYPES, s["event_type"]), "occurred_on": as_dates(s["day"]),
                           "severity": s["severity"].astype(np.int64), "loss_yuan": s["loss"].astype(float)})
    return {"household_month": household_month, "households": households, "shocks": shocks,
            "assessments": _assessments_truth(assessments, hh_ids, grid)}


def _assessments_truth(a: dict, hh_ids: np.ndarray, grid: MonthGrid) -> pd.DataFrame:
    """Each exported income assessment: its window, when it was made and entered, and the true and
    assessed income over the window, in total and by part."""
    if not a:
        return pd.DataFrame(columns=["household_id", "kind"])
    parts = [f"{part}_{side}" for part in ("income", "farm_business", "transfers", "wages") for side in ("true", "assessed")]
    return pd.DataFrame({
        "household_id": take_str(hh_ids, a["household"]), "kind": take_str(np.array(ASSESSMENT_KINDS), a["kind"]),
        "first_month": as_dates(grid.first_days(a["first_month"])),
        "last_month": as_dates(grid.first_days(a["first_month"] + a["months"] - 1)),
        "assessed_on": as_dates(a["day"]), "recorded_at": as_timestamps(a["recorded"]),
        "members": a["members"].astype(np.int64), **{name: np.round(a[name], 2) for name in parts},
        "lifted": a["lifted"].astype(bool), "carried": a["carried"].astype(bool),
    })
