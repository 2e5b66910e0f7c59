"""The generator against the domain figures (domain.md), on 20,000 households over 36 months."""
from __future__ import annotations

import pandas as pd
import pytest

from synthetic import calibration
from synthetic.simulate import SimulationConfig, simulate

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sim():
    return simulate(SimulationConfig(households=20_000, counties=3, start="2021-01", months=36, seed=7))


def test_domain_figures_are_within_their_ranges(sim):
    table = calibration.calibration_table(sim)
    with pd.option_context("display.width", 160, "display.max_columns", 10):
        print("\n" + table.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
        print(calibration.new_case_rates(sim).to_string(index=False))
        print(calibration.recording_lags(sim).round(1).to_string())
    assert table["ok"].all(), table[~table["ok"]].to_string()


def test_assistance_changes_later_trajectories(sim):
    """Households entering risk that get support within 3 months are at risk a year later less
    often than comparable households (same type, risk kind and income band) that did not."""
    effect = calibration.assistance_effect(sim)
    print("\n" + effect.to_string())
    assert effect["entries_supported"] >= 50 and effect["entries_unsupported"] >= 50
    assert effect["supported_relapse"] < effect["unsupported_relapse"]
