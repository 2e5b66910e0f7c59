"""Drift of the model's inputs and score against the reference kept with the model.

At training, `Reference.fit` keeps, for each input and for the calibrated score, the cut points
of 10 reference-quantile bins (ties merged, so a mostly-zero count has fewer bins), each bin's
share, the share missing and, for inputs with few distinct values, the levels seen. `compare`
bins a current cohort the same way:

- PSI = sum over bins (missing is a bin of its own) of (current - reference) * ln(current /
  reference), shares floored at 1e-4 so an empty bin stays finite; 0.10 is "watch", 0.25 "act";
- under 500 rows on either side the PSI is not judged ("too_few");
- values of a discrete input (a few whole numbers) never seen in the reference are listed
  (`new_levels`); for a yes/no input any other value is broken data ("act"), for a count it is
  only listed.

PSI barely moves when a rare event becomes twice as common (3% to 6% of households is a PSI of
about 0.02), and a job crisis or a disaster year is exactly that. So for an input that is zero or
missing for at least 80% of the reference, the share of households with the event (a nonzero
value, or any value of a "since" input) is compared too: watch when it is 1.5 times or two
thirds of the reference's with Fisher's exact test below 0.01, act when it is twice or half with
the test below 0.001 (scipy's `fisher_exact`). Events cluster in villages (a flood strikes a whole village), so the
test counts households as the reference's villages make them worth: each side's counts are
divided by the design effect (Kish), the cluster-robust variance of the reference's event share
over its variance if households were independent, at least 1. An input whose design effect is 2
or more moves by chance far more than its household count suggests: its PSI alone makes it
"watch" at most, "act" needs the event share's test, and since a county has too few villages for
that test to be sure of much, a share twice or half the reference's is "watch" whatever the test
says.

Village shares (`village_*`) take a few dozen values in a county, one per village, so PSI over
households counts the same village many times: they are judged "watch" at most.

Inputs that move with the calendar alone are compared in a view that does not (`calendar_view`,
applied alike to the reference and to the cohort): an input that ages (years since exit, the
head's age) as the year it counts from, so a county whose households are one year older has not
drifted; months since a household's latest record of a kind only within the last
`SINCE_HORIZON` months, so a longer export (which reaches further back) has not drifted either.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import fisher_exact

BINS = 10
WATCH, ACT = 0.10, 0.25
MIN_ROWS = 500
FLOOR = 1e-4
RARE = 0.2              # an input with an event in at most this share of the reference also has that share compared
EVENT_WATCH, EVENT_ACT = 1.5, 2.0           # ratios of the event share (or their inverses)
EVENT_WATCH_P, EVENT_ACT_P = 0.01, 0.001
CLUSTERED = 2.0         # a design effect from which PSI over households alone is judged "watch" at most
DISCRETE_LEVELS = 12     # an input with at most this many distinct values also has its levels checked
SCORE = "score"
ORDER = {"too_few": 0, "ok": 1, "watch": 2, "act": 3}
SINCE_HORIZON = 12      # months: "months since" inputs are compared within the last year
VIEWS = {"ages": "as the year it counts from (the as-of year minus the value)",
         "since": f"within the last {SINCE_HORIZON} months (an older or no record is one bin)"}


@dataclass(frozen=True)
class ColumnReference:
    cuts: tuple[float, ...]          # interior cut points: bin i holds cuts[i-1] < x <= cuts[i]
    shares: tuple[float, ...]        # per bin, then the missing share last
    missing: float
    levels: tuple[float, ...] | None  # the distinct values, for discrete inputs (a few whole numbers)
    yes_no: bool = False             # a yes/no input: any other value is broken data
    events: float | None = None      # share of rows with the event, for a rare-event input
    since: bool = False              # a "since" input: any value is the event
    capped: bool = False             # judged "watch" at most (a village share)
    design_effect: float = 1.0       # of the event share, with villages as clusters


@dataclass(frozen=True)
class Reference:
    rows: int
    columns: dict[str, ColumnReference] = field(default_factory=dict)

    @classmethod
    def fit(cls, frame: pd.DataFrame, yes_no: Iterable[str] = (), since: Iterable[str] = (),
            capped: Iterable[str] = (), clusters: np.ndarray | None = None) -> "Reference":
        """The reference of every column of `frame` (numeric or boolean); `yes_no` names the
        columns that can only be 0 or 1, `since` the "since" inputs, `capped` those judged
        "watch" at most; `clusters` is each row's village, for the design effects."""
        flags, since, capped = set(yes_no), set(since), set(capped)
        codes = pd.factorize(pd.Series(clusters, dtype="string"), use_na_sentinel=False)[0] \
            if clusters is not None else None
        return cls(len(frame), {name: _fit_column(_values(frame[name]), name in flags, name in since, name in capped,
                                                  codes) for name in frame.columns})

    def compare(self, frame: pd.DataFrame) -> pd.DataFrame:
        """One row per reference column found in `frame`: psi, status, missing shares, new levels."""
        rows = []
        for name, reference in self.columns.items():
            if name not in frame.columns:
                continue
            values = _values(frame[name])
            current = _shares(values, reference.cuts)
            psi = population_stability(np.asarray(reference.shares), current)
            new = sorted(set(np.unique(values[~np.isnan(values)]).tolist()) - set(reference.levels)) \
                if reference.levels is not None else []
            enough = self.rows >= MIN_ROWS and len(values) >= MIN_ROWS
            broken = bool(new) and reference.yes_no
            status = ("too_few" if not enough else "act" if psi >= ACT or broken else
                      "watch" if psi >= WATCH else "ok")
            events = _event_change(reference, self.rows, values) if enough else {}
            if events and ORDER[events["event_status"]] > ORDER[status]:
                status = events["event_status"]
            clustered = _design_effect(reference) >= CLUSTERED
            if (reference.capped or clustered) and status == "act" and not broken and \
                    (events.get("event_status") != "act"):
                status = "watch"
            rows.append({"column": name, "psi": round(float(psi), 4), "status": status,
                         "event_share_reference": events.get("reference"), "event_share_current": events.get("current"),
                         "event_ratio": events.get("ratio"), "event_p": events.get("p"),
                         "design_effect": events.get("design_effect"),
                         "reference_rows": self.rows, "current_rows": len(values),
                         "reference_missing": round(reference.missing, 4),
                         "current_missing": round(float(np.isnan(values).mean()) if len(values) else 0.0, 4),
                         "bins": len(reference.cuts) + 1, "new_levels": new[:10]})
        return pd.DataFrame(rows, columns=["column", "psi", "status", "event_share_reference", "event_share_current",
                                           "event_ratio", "event_p", "design_effect", "reference_rows", "current_rows",
                                           "reference_missing", "current_missing", "bins", "new_levels"])


def worst_first(drift: pd.DataFrame) -> pd.DataFrame:
    """A `compare` table in reading order: "act", then "watch", then the rest, each by PSI."""
    order = (-drift["status"].map(ORDER)).to_numpy(), (-drift["psi"]).to_numpy()
    return drift.iloc[np.lexsort((order[1], order[0]))].reset_index(drop=True)


def calendar_view(frame: pd.DataFrame, as_of: pd.Series | pd.Timestamp, clocks: dict[str, str]) -> pd.DataFrame:
    """`frame` with each input named in `clocks` in its calendar-free view (see the module doc);
    `as_of` is each row's date, or one date for all."""
    out = frame.copy()
    years = pd.DatetimeIndex(as_of).year.to_numpy(dtype=float) if isinstance(as_of, pd.Series) \
        else float(pd.Timestamp(as_of).year)
    for name, clock in clocks.items():
        if name not in out.columns:
            continue
        values = pd.to_numeric(out[name], errors="coerce").astype("float64")
        if clock == "ages":
            out[name] = years - values
        elif clock == "since":
            out[name] = values.where(values <= SINCE_HORIZON)
        elif clock:
            raise ValueError(f"unknown clock {clock!r} for {name}")
    return out


@dataclass(frozen=True)
class References:
    """The reference of the training export's last 12 monthly cohorts, pooled and per calendar
    month: many inputs follow the year (months since the autumn assessment or the last visit), so
    a cohort is compared with the same calendar month where it has enough households. `views`
    names the inputs kept in their calendar-free view (`calendar_view`), which the cohort
    compared must be put in too."""

    pooled: Reference
    by_month: dict[int, Reference] = field(default_factory=dict)
    views: dict[str, str] = field(default_factory=dict)

    @classmethod
    def fit(cls, frame: pd.DataFrame, months: np.ndarray, yes_no: Iterable[str] = (),
            views: dict[str, str] | None = None, capped: Iterable[str] = (),
            clusters: np.ndarray | None = None) -> "References":
        months, yes_no, views, capped = np.asarray(months), tuple(yes_no), dict(views or {}), tuple(capped)
        since = tuple(name for name, clock in views.items() if clock == "since")
        clusters = np.asarray(clusters, dtype=object) if clusters is not None else None
        by_month = {int(month): Reference.fit(frame[months == month], yes_no, since, capped,
                                              clusters[months == month] if clusters is not None else None)
                    for month in np.unique(months) if (months == month).sum() >= MIN_ROWS}
        return cls(Reference.fit(frame, yes_no, since, capped, clusters), by_month, views)

    def viewed(self, frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
        """A cohort of `as_of` in the views this reference was kept in (none for a model trained
        before views existed)."""
        return calendar_view(frame, as_of, getattr(self, "views", {}))

    def for_month(self, month: int) -> tuple[Reference, str]:
        """The reference to compare a cohort of calendar month `month` with, and what it is."""
        if month in self.by_month:
            return self.by_month[month], f"training dates in calendar month {month}"
        return self.pooled, (f"all training dates (none in calendar month {month}"
                             f"{'' if not self.by_month else '; months kept: ' + ', '.join(map(str, sorted(self.by_month)))})")


def population_stability(reference: np.ndarray, current: np.ndarray) -> float:
    """PSI of two share vectors over the same bins."""
    reference, current = np.maximum(reference, FLOOR), np.maximum(current, FLOOR)
    return float(np.sum((current - reference) * np.log(current / reference)))


def _values(column: pd.Series) -> np.ndarray:
    return pd.to_numeric(column, errors="coerce").astype("float64").to_numpy()


def _event(values: np.ndarray, since: bool) -> np.ndarray:
    present = ~np.isnan(values)
    return present if since else present & (values != 0)


def _event_change(reference: ColumnReference, reference_rows: int, values: np.ndarray) -> dict:
    """The event share now against the reference's, its ratio, Fisher's exact p and the status
    they give (empty for an input that is not a rare event)."""
    if reference.events is None:
        return {}
    had, now = round(reference.events * reference_rows), int(_event(values, reference.since).sum())
    current = now / len(values)
    ratio = current / reference.events if reference.events > 0 else (np.inf if now else 1.0)
    effect = _design_effect(reference)
    worth, clustered = 1.0 / effect, effect >= CLUSTERED
    table = [[had * worth, (reference_rows - had) * worth], [now * worth, (len(values) - now) * worth]]
    p = float(fisher_exact(np.rint(table).astype(np.int64))[1])
    moved = max(ratio, 1.0 / ratio) if ratio > 0 else np.inf
    status = ("act" if moved >= EVENT_ACT and p < EVENT_ACT_P else
              "watch" if moved >= EVENT_WATCH and p < EVENT_WATCH_P or clustered and moved >= EVENT_ACT else "ok")
    return {"reference": round(reference.events, 4), "current": round(current, 4),
            "ratio": round(float(ratio), 3) if np.isfinite(ratio) else None, "p": float(f"{p:.3g}"),
            "design_effect": round(effect, 2),
            "event_status": status}


def _design_effect(reference: ColumnReference) -> float:
    """The reference's design effect (1 for a model kept before design effects were)."""
    return max(float(getattr(reference, "design_effect", 1.0)), 1.0)


def design_effect(events: np.ndarray, clusters: np.ndarray | None) -> float:
    """Kish's design effect of an event share under cluster sampling: the cluster-robust
    (linearized) variance of the share over p(1-p)/n, at least 1; 1 without clusters."""
    n = len(events)
    if clusters is None or n < 2:
        return 1.0
    p = events.mean()
    if p <= 0.0 or p >= 1.0:
        return 1.0
    sizes = np.bincount(clusters)
    hits = np.bincount(clusters, weights=events.astype(float))
    used = sizes > 0
    k = int(used.sum())
    if k < 2:
        return 1.0
    robust = k / (k - 1) * float(np.sum((hits[used] - p * sizes[used]) ** 2)) / n ** 2
    return max(1.0, robust / (p * (1.0 - p) / n))


def _fit_column(values: np.ndarray, yes_no: bool = False, since: bool = False, capped: bool = False,
                clusters: np.ndarray | None = None) -> ColumnReference:
    present = values[~np.isnan(values)]
    cuts = np.unique(np.quantile(present, np.linspace(0, 1, BINS + 1)[1:-1])) if len(present) else np.zeros(0)
    distinct = np.unique(present)
    discrete = yes_no or (len(distinct) <= DISCRETE_LEVELS and bool(np.all(distinct == np.round(distinct))))
    happened = _event(values, since)
    events = float(happened.mean()) if len(values) else 0.0
    rare = events <= RARE and not yes_no
    return ColumnReference(tuple(cuts.tolist()), tuple(_shares(values, tuple(cuts.tolist())).tolist()),
                           float(np.isnan(values).mean()) if len(values) else 0.0,
                           tuple(distinct.tolist()) if discrete else None, yes_no,
                           events if rare else None, since, capped,
                           design_effect(happened, clusters) if rare else 1.0)


def _shares(values: np.ndarray, cuts: tuple[float, ...]) -> np.ndarray:
    """Shares of the bins cut at `cuts` (right-closed), then the missing share."""
    missing = np.isnan(values)
    counts = np.bincount(np.searchsorted(np.asarray(cuts), values[~missing], side="left"), minlength=len(cuts) + 1)
    total = max(len(values), 1)
    return np.append(counts / total, missing.sum() / total)
