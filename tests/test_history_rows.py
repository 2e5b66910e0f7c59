"""What was known at a date, against the same found by plain pandas: the latest version of each
key (pandas' sort and `duplicated`, on small tables and large ones) and the running measures."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import repeats
from features.history import latest_versions, running_measures


def _by_pandas(frame: pd.DataFrame, key, as_of: pd.Timestamp) -> pd.DataFrame:
    known = frame[(frame["recorded_at"] < as_of).to_numpy()]
    ordered = known.iloc[np.argsort(known["recorded_at"].to_numpy(), kind="stable")]  # ties keep file order
    latest = ordered[~ordered.duplicated(key, keep="last").to_numpy()]
    return latest.sort_values(key).reset_index(drop=True)


def _versions(rng: np.random.Generator, n: int) -> pd.DataFrame:
    frame = pd.DataFrame({
        "household_id": pd.Series([f"H{x:03d}" for x in rng.integers(0, 9, n)], dtype="str"),
        "year": rng.integers(2020, 2024, n).astype("int64"),
        "recorded_at": np.datetime64("2023-01-01", "us") + rng.integers(0, 6, n).astype("timedelta64[D]"),
        "version": np.arange(n, dtype=float),
    })
    frame.loc[rng.random(n) < 0.1, "recorded_at"] = pd.NaT
    return frame


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("key", ["household_id", ["household_id", "year"]])
@pytest.mark.parametrize("few_rows", [repeats.FEW_ROWS, 0])
def test_latest_versions_match_pandas(seed, key, few_rows, monkeypatch):
    monkeypatch.setattr(repeats, "FEW_ROWS", few_rows)
    rng = np.random.default_rng(seed)
    frame = _versions(rng, int(rng.integers(0, 50)))
    as_of = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 7)))
    pd.testing.assert_frame_equal(latest_versions(frame, key, as_of), _by_pandas(frame, key, as_of))


def _running_by_pandas(assistance: pd.DataFrame, as_of: pd.Timestamp) -> dict[str, set[str]]:
    known = assistance[assistance["recorded_at"] < as_of]
    running = known[(known["start_on"] < as_of) & ~(known["end_on"] < as_of).fillna(False).astype(bool)]
    return {str(household): set(map(str, measures))
            for household, measures in running.groupby("household_id", observed=True)["measure"]}


@pytest.mark.parametrize("seed", range(30))
def test_running_measures_match_pandas(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 40))
    day = np.datetime64("2023-01-01", "us")
    assistance = pd.DataFrame({
        "household_id": pd.Series([f"H{x}" for x in rng.integers(0, 6, n)], dtype="str"),
        "measure": pd.Categorical(rng.choice(["dibao", "medical_aid", "public_welfare_job"], n)),
        "start_on": day + rng.integers(0, 8, n).astype("timedelta64[D]"),
        "end_on": day + rng.integers(0, 12, n).astype("timedelta64[D]"),
        "recorded_at": day + rng.integers(0, 8, n).astype("timedelta64[D]"),
    })
    assistance.loc[rng.random(n) < 0.4, "end_on"] = pd.NaT
    as_of = pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(rng.integers(0, 10)))
    assert running_measures(assistance, as_of) == _running_by_pandas(assistance, as_of)


@pytest.mark.parametrize("seed", range(30))
def test_earlier_maximum_matches_pandas_shift_and_cummax(seed):
    from features.blocks_records import _earlier_maximum
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 30))
    groups = np.sort(rng.integers(0, 5, n))
    moments = np.datetime64("2023-01-01", "us") + rng.integers(0, 9, n).astype("timedelta64[D]")
    moments[rng.random(n) < 0.4] = np.datetime64("NaT")
    frame = pd.DataFrame({"group": groups, "moment": moments})
    expected = frame.groupby("group")["moment"].shift().groupby(frame["group"]).cummax()
    np.testing.assert_array_equal(_earlier_maximum(groups, moments), expected.to_numpy())
