"""Frames made straight from arrays are the frames pandas' constructor makes."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features import frames
from features.frames import frame_of


def _columns() -> dict:
    return {
        "recorded_at": np.array(["2023-01-01", "NaT", "2024-02-29"], dtype="datetime64[us]"),
        "household_id": pd.array(["H1", None, "H3"], dtype="str"),
        "source": pd.Categorical(["survey", "department", None]),
        "year": pd.array([2021, None, 2023], dtype="Int64"),
        "water_ok": np.array([True, False, True]),
        "amount_yuan": np.array([1.5, np.nan, 2.0]),
        "count": np.array([1, 2, 3]),
        "in_school": pd.array([True, None, False], dtype="boolean"),
    }


@pytest.mark.parametrize("long_rows", [frames.LONG_ROWS, 0])
def test_frame_is_the_constructors_frame(long_rows, monkeypatch):
    monkeypatch.setattr(frames, "LONG_ROWS", long_rows)   # 0: every frame is made as a long one
    made = frame_of(_columns(), 3)
    pd.testing.assert_frame_equal(made, pd.DataFrame(_columns()))
    assert made.columns.dtype == pd.DataFrame(_columns()).columns.dtype


def test_index_is_kept():
    index = pd.RangeIndex(3)
    assert frame_of(_columns(), 3, index).index is index


@pytest.mark.parametrize("bad", [np.array(["a", None, "c"], dtype=object), np.arange(4), pd.Series([1, 2, 3]),
                                 np.zeros((3, 2))])
def test_arrays_it_cannot_take_as_they_are_are_refused(bad):
    with pytest.raises(ValueError, match="column odd"):
        frame_of({**_columns(), "odd": bad}, 3)
