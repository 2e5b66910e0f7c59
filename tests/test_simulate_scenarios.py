"""Generator scenarios: the same county as the default until the shift starts, then disasters
twice as often and as costly, or a job crisis (migrant job losses tripled, local wages cut by a fifth)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from stayout.cli import main
from synthetic.simulate import SimulationConfig, simulate

pytestmark = pytest.mark.slow
SHIFT = "2023-01"   # the default start: 12 months before a 24-month export ends


@pytest.fixture(scope="module")
def counties():
    return {name: simulate(SimulationConfig(households=6000, counties=2, start="2022-01", months=24, seed=11,
                                            scenario=name))
            for name in ("default", "disaster-year", "job-crisis")}


def _events(simulation) -> pd.DataFrame:
    villages = simulation.tables["households"].drop_duplicates("household_id")[["household_id", "village_code"]]
    events = simulation.tables["events"].merge(villages, on="household_id")
    occurred = pd.to_datetime(events["occurred_on"])
    return events.assign(after=occurred >= SHIFT, month=occurred.dt.to_period("M"),
                         kind=events["event_type"].astype("str"))


def _village_hits(events: pd.DataFrame, after: bool) -> int:
    disasters = events[events["kind"].str.startswith("disaster") & (events["after"] == after)]
    return len(disasters.drop_duplicates(["village_code", "month", "kind"]))


def _migrant_job_losses(events: pd.DataFrame, after: bool) -> int:   # severity 2: a job lost away from home
    return int(((events["kind"] == "job_loss") & (events["severity"] == 2) & (events["after"] == after)).sum())


def test_before_the_shift_every_scenario_is_the_default(counties):
    before = {name: _events(simulation) for name, simulation in counties.items()}
    default = before["default"]
    for name, events in before.items():
        assert _village_hits(events, False) == _village_hits(default, False)
        assert _migrant_job_losses(events, False) == _migrant_job_losses(default, False)
        truth = counties[name].truth["household_month"]
        assert truth[truth["month"] < SHIFT]["income_month_true"].sum() == pytest.approx(
            counties["default"].truth["household_month"].query("month < @SHIFT")["income_month_true"].sum())


def test_a_disaster_year_doubles_disasters_and_their_losses(counties):
    default, shifted = _events(counties["default"]), _events(counties["disaster-year"])
    assert _village_hits(shifted, True) >= 1.5 * _village_hits(default, True)

    def loss(events):
        return events[events["kind"].str.startswith("disaster") & events["after"]]["est_loss_yuan"].mean()

    assert loss(shifted) >= 1.5 * loss(default)


def test_a_job_crisis_triples_migrant_job_losses_and_lowers_income(counties):
    default, shifted = _events(counties["default"]), _events(counties["job-crisis"])
    assert _migrant_job_losses(shifted, True) >= 2.2 * _migrant_job_losses(default, True)

    def income_after(name):
        truth = counties[name].truth["household_month"]
        return truth[truth["month"] >= SHIFT]["income_month_true"].mean()

    assert income_after("job-crisis") < 0.95 * income_after("default")


def test_the_cli_writes_the_scenario_in_the_manifest_and_refuses_a_month_outside_the_data(tmp_path):
    out = tmp_path / "county"
    assert main(["-q", "simulate", "--out", str(out), "--households", "300", "--counties", "1", "--start", "2022-01",
                 "--months", "14", "--seed", "3", "--scenario", "job-crisis", "--scenario-start", "2022-09"]) == 0
    manifest = json.loads((out / "truth" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["scenario"] == {"name": "job-crisis", "from_month": "2022-09"}
    with pytest.raises(ValueError, match="outside the data months"):
        SimulationConfig(households=300, start="2022-01", months=14, scenario="job-crisis", scenario_start="2023-03")
    with pytest.raises(ValueError, match="scenario must be one of"):
        SimulationConfig(households=300, scenario="drought")
