"""Each household's monitoring line per month, against the same table built by pandas' pivot."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.household_months import line_at_month_ends


def _pivoted(lines: pd.DataFrame, county: np.ndarray, first: int, months: int, carry_forward: bool) -> np.ndarray:
    years = np.arange(first, first + months) // 12 + 1970
    wanted = sorted(set(years))
    table = lines.pivot_table(index="county_code", columns="year", values="line_yuan", aggfunc="last")
    if carry_forward:
        table = table.reindex(columns=sorted(set(table.columns) | set(wanted))).ffill(axis=1)
    table = table.reindex(columns=wanted)
    return table.reindex(pd.Index(county)).to_numpy(dtype=float)[:, pd.Index(wanted).get_indexer(years)]


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("carry_forward", [True, False])
def test_lines_match_the_pivoted_table(seed, carry_forward):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 12))
    lines = pd.DataFrame({
        "county_code": pd.Series(rng.choice(["c1", "c2", "c3"], n), dtype="str"),
        "year": rng.integers(2019, 2026, n).astype("int64"),
        "line_yuan": np.where(rng.random(n) < 0.2, np.nan, rng.integers(4000, 9000, n).astype(float)),
    })
    county = np.array(rng.choice(["c1", "c2", "c3", "c4", None, np.nan], 15), dtype=object)
    first = int(rng.integers(49 * 12, 56 * 12))   # 2019-2025
    months = int(rng.integers(1, 40))
    got = line_at_month_ends(lines, county, first, months, carry_forward)
    np.testing.assert_array_equal(got, _pivoted(lines, county, first, months, carry_forward))
