"""The temporal design: training, validation and test as-of dates, with an embargo.

Test dates are the latest monthly as-of dates whose labels are final. Training and validation
dates are earlier, and their 12-month label windows end on or before the first test date, so
nothing from the test period reaches training, early stopping or calibration. Validation dates
come after the training dates. Optionally whole counties are held out for the test only.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from features.labels import HORIZON_MONTHS, data_end, is_final
from stayout.errors import InputError
from training.config import SplitConfig


@dataclass(frozen=True)
class SplitPlan:
    train: tuple[pd.Timestamp, ...]
    validation: tuple[pd.Timestamp, ...]
    test: tuple[pd.Timestamp, ...]
    data_end: pd.Timestamp
    holdout_counties: tuple[str, ...]

    @property
    def all_dates(self) -> tuple[pd.Timestamp, ...]:
        return self.train + self.validation + self.test

    def part_of(self, as_of: pd.Timestamp) -> str:
        for name in ("train", "validation", "test"):
            if pd.Timestamp(as_of) in getattr(self, name):
                return name
        raise KeyError(as_of)


def plan_splits(tables: dict[str, pd.DataFrame], config: SplitConfig) -> SplitPlan:
    end = data_end(tables)
    first_month = tables["income"]["period_start"].min().to_period("M")
    earliest = (first_month + config.min_history_months).start_time
    months = pd.date_range(earliest, end, freq="MS")
    final = [d for d in months if is_final(d, end)]
    if len(final) < config.test_dates:
        raise InputError(f"the export ends {end:%Y-%m-%d}: too short for {config.test_dates} test dates with final "
                         f"labels after {config.min_history_months} months of history; give a longer export")
    test = tuple(final[-config.test_dates:])
    embargoed = [d for d in final if d + pd.DateOffset(months=HORIZON_MONTHS) <= test[0]]
    if len(embargoed) < config.validation_dates + 1:
        raise InputError(f"the export ends {end:%Y-%m-%d}: no room for training and {config.validation_dates} "
                         "validation dates whose label windows end before the test window; give a longer export")
    validation = tuple(embargoed[-config.validation_dates:])
    train = tuple(embargoed[:-config.validation_dates][-config.max_training_dates:])
    return SplitPlan(train, validation, test, end, tuple(config.holdout_counties))


def describe_plan(plan: SplitPlan, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per as-of date: its part, and with a labelled frame the cohort size and base rates."""
    rows = []
    for as_of in plan.all_dates:
        row = {"as_of": as_of.date(), "part": plan.part_of(as_of),
               "label_window_ends": (as_of + pd.DateOffset(months=HORIZON_MONTHS)).date()}
        if frame is not None:
            at = frame[frame["as_of"] == as_of]
            row.update(households=len(at), base_rate=at["relapse_12m"].astype(float).mean(),
                       admin_rate=at["label_admin"].astype(float).mean(),
                       need_rate=at["label_need"].astype(float).mean())
        rows.append(row)
    return pd.DataFrame(rows)
