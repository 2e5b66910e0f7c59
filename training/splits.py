"""The temporal design: training, validation, test and refit as-of dates, with an embargo.

Test dates are the latest monthly as-of dates whose labels are final and mean what training's
mean. Training and validation dates are earlier, and their 12-month label windows end on or
before the first test date, so nothing from the test period reaches training, early stopping or
calibration. Validation dates come after the training dates. The model that is registered for
scoring is refitted afterwards on the latest usable dates (the refit dates), so it learns from
the latest final labels; the evaluated model is its pre-refit twin. Optionally whole counties
are held out for the test only.

The label keeps one meaning in every part. Where income is assessed once a year, `need` of the
latest final dates is still unknown for many households, so by default only dates whose known
`need` share is settled (at least `SETTLED_SHARE` of the usual share, the upper quartile over
the final dates, overall and for each household type usually assessed) are used: the label is "admin or need" throughout. When that leaves no room, the plan judges `admin` (a case identified
within 12 months) alone on every final date and reports `need` apart on the rows where it is
known. When even that leaves no room for an embargo, history before the first training date is
shortened, then the embargo is dropped, and the plan says so in its notes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from features.coverage import need_coverage
from features.labels import HORIZON_MONTHS, NeedGrid, data_end, is_final
from stayout.errors import InputError
from training.config import SplitConfig

SETTLED_SHARE = 0.9
SETTLED_REFERENCE_QUANTILE = 0.75   # the usual known share (the best dates can be seasonal outliers)
LabelMeaning = Literal["admin_or_need", "admin"]
LABEL_WORDS = {"admin_or_need": "relapse_12m: a case identified within 12 months, or income assessed below "
                                "the line over the 12 months (admin or need)",
               "admin": "label_admin: a case identified within 12 months (need is judged apart, on the rows "
                        "where it is known)"}


@dataclass(frozen=True)
class SplitPlan:
    train: tuple[pd.Timestamp, ...]
    validation: tuple[pd.Timestamp, ...]
    test: tuple[pd.Timestamp, ...]
    data_end: pd.Timestamp
    holdout_counties: tuple[str, ...]
    label: LabelMeaning = "admin_or_need"
    embargo: bool = True
    refit_train: tuple[pd.Timestamp, ...] = ()
    refit_validation: tuple[pd.Timestamp, ...] = ()
    notes: tuple[str, ...] = ()
    coverage: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    @property
    def all_dates(self) -> tuple[pd.Timestamp, ...]:
        """Every date the run builds features for, in order."""
        return tuple(sorted(set(self.train + self.validation + self.test + self.refit_train
                                + self.refit_validation)))

    @property
    def learned_until(self) -> pd.Timestamp:
        """The last as-of date the registered (refitted) model learned from."""
        return max(self.refit_train + self.refit_validation or self.train + self.validation)

    @property
    def evaluation(self) -> str:
        """Which out-of-time evaluation was possible, in a few words (recorded on the run)."""
        return "out-of-time with embargo" if self.embargo else "out-of-time without embargo (windows overlap)"

    def part_of(self, as_of: pd.Timestamp) -> str:
        for name in ("train", "validation", "test"):
            if pd.Timestamp(as_of) in getattr(self, name):
                return name
        if pd.Timestamp(as_of) in self.refit_train + self.refit_validation:
            return "refit"
        raise KeyError(as_of)


def export_start(tables: dict[str, pd.DataFrame]) -> pd.Timestamp:
    """The first as-of month at which any household is known (its registry row recorded before)."""
    first_known = tables["households"]["recorded_at"].min()
    return (first_known.to_period("M") + 1).to_timestamp()


def plan_splits(tables: dict[str, pd.DataFrame], config: SplitConfig,
                exported_at: pd.Timestamp | None = None, grid: NeedGrid | None = None) -> SplitPlan:
    end = data_end(tables, exported_at)
    start = export_start(tables)
    final = [d for d in pd.date_range(start, end, freq="MS") if is_final(d, end)]
    if len(final) < config.test_dates:
        raise InputError(f"the export ends {end:%Y-%m-%d}: too short for {config.test_dates} test dates with final "
                         "labels (an as-of date's label is final 12 months and 90 days later); give a longer export")
    coverage = need_coverage(tables, final, grid)
    best = float(coverage["need_known"].quantile(SETTLED_REFERENCE_QUANTILE))
    settled = settled_dates(coverage)
    has_cases = int(coverage["admin_positives"].sum()) > 0
    earliest = start + pd.DateOffset(months=config.min_history_months)
    attempts = [("admin_or_need", settled, earliest, True), ("admin_or_need", settled, start, True)]
    if has_cases:
        attempts += [("admin", final, earliest, True), ("admin", final, start, True), ("admin", final, start, False)]
    attempts.append(("admin_or_need", settled, start, False))
    for label, usable, first, embargo in attempts:
        dates = _dates(usable, first, config, embargo)
        if dates is None:
            continue
        notes = _notes(label, embargo, first, earliest, settled, final, coverage, best)
        train, validation, test, refit_train, refit_validation = dates
        return SplitPlan(train, validation, test, end, tuple(config.holdout_counties), label, embargo,
                         refit_train, refit_validation, tuple(notes), coverage)
    raise InputError(f"the export ends {end:%Y-%m-%d}: no room for {config.test_dates} test dates, "
                     f"{config.validation_dates} validation dates and one training date with final labels; "
                     "give a longer export")


def settled_dates(coverage: pd.DataFrame) -> list[pd.Timestamp]:
    """Dates whose known-need share is at least `SETTLED_SHARE` of the usual share, overall and for
    each household type that is usually assessed (known for half of it or more): a date where the
    formerly poor are not assessed yet is not settled even when a spring screen of ordinary
    households lifts the overall share."""
    columns = ["need_known"] + [c for c in coverage.columns if c.startswith("need_known_")]
    usual = coverage[columns].quantile(SETTLED_REFERENCE_QUANTILE)
    judged = [c for c in columns if c == "need_known" or usual[c] >= 0.5]
    ok = (coverage[judged] >= SETTLED_SHARE * usual[judged]).all(axis=1)
    return list(coverage.index[ok.to_numpy()])


def _dates(usable: list[pd.Timestamp], first: pd.Timestamp, config: SplitConfig, embargo: bool):
    usable = [d for d in usable if d >= first]
    if len(usable) < config.test_dates:
        return None
    test = usable[-config.test_dates:]
    if embargo:
        before = [d for d in usable if d + pd.DateOffset(months=HORIZON_MONTHS) <= test[0]]
    else:
        before = [d for d in usable if d < test[0]]
    if len(before) < config.validation_dates + 1:
        return None
    validation = before[-config.validation_dates:]
    train = before[:-config.validation_dates][-config.max_training_dates:]
    refit = [d for d in usable if d >= train[0]][-(config.max_training_dates + config.validation_dates):]
    refit_validation = refit[-config.validation_dates:]
    refit_train = refit[:-config.validation_dates]
    return tuple(train), tuple(validation), tuple(test), tuple(refit_train), tuple(refit_validation)


def _notes(label, embargo, first, earliest, settled, final, coverage, best) -> list[str]:
    notes = [f"label: {LABEL_WORDS[label]}"]
    later = [d for d in final if d not in settled]
    if label == "admin_or_need" and later:
        notes.append(f"final dates whose need is not settled yet are left out ({_span(later)}: known for "
                     f"{coverage.loc[later, 'need_known'].min():.0%}-{coverage.loc[later, 'need_known'].max():.0%} "
                     f"of households against {best:.0%} usually; the assessment covering the last months "
                     "of their windows has not arrived)")
    if label == "admin":
        notes.append("too few dates with settled need for an embargoed plan: admin is judged alone on every final "
                     "date, need apart on the rows where it is known")
    if first < earliest:
        notes.append("history before the first training date shortened to what the export holds")
    if not embargo:
        notes.append("no embargo possible: the label windows of training and validation overlap the test window, "
                     "so the test figures are optimistic")
    ordinary = coverage["need_known_ordinary"].mean()
    if ordinary == ordinary and ordinary < 0.5:
        notes.append(f"ordinary households are assessed only when flagged (need known for {ordinary:.0%} of them): "
                     "for them relapse_12m is mostly admin")
    return notes


def _span(dates: list[pd.Timestamp]) -> str:
    return f"{dates[0]:%Y-%m}" + (f" to {dates[-1]:%Y-%m}" if len(dates) > 1 else "")


def describe_plan(plan: SplitPlan, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per as-of date: its part, whether the refit learns from it, the known-need shares
    and, with a labelled frame, the cohort size and base rates."""
    rows = []
    refit = set(plan.refit_train + plan.refit_validation)
    for as_of in plan.all_dates:
        row = {"as_of": as_of.date(), "part": plan.part_of(as_of), "refit": "yes" if as_of in refit else "",
               "label_window_ends": (as_of + pd.DateOffset(months=HORIZON_MONTHS)).date()}
        if plan.coverage is not None and as_of in plan.coverage.index:
            known = plan.coverage.loc[as_of]
            row.update(need_known=known["need_known"], need_known_ex_poor=known["need_known_ex_poor"],
                       need_known_ordinary=known["need_known_ordinary"])
        if frame is not None:
            at = frame[frame["as_of"] == as_of]
            row.update(households=len(at), base_rate=at["relapse_12m"].astype(float).mean(),
                       admin_rate=at["label_admin"].astype(float).mean(),
                       need_rate=at["label_need"].dropna().astype(float).mean())
        rows.append(row)
    return pd.DataFrame(rows)
