"""Collecting what happens as records, and when each record becomes known (recorded_at).

Everything is logged month by month as batches of arrays in internal form (household and
person positions, integer codes, int days, int seconds) and turned into contract tables at the end.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np

from synthetic.months import lag_days, office_time
from synthetic.codes import DS, EVT

# reporting lag in days after the fact, by data source
LAG_DAYS = {DS["department"]: (10, 60), DS["survey"]: (14, 42), DS["self_report"]: (0, 4)}

# event type: (share recorded, probabilities of department, survey, self_report)
EVENT_RECORDING = {
    EVT["illness_major"]: (0.85, (0.70, 0.25, 0.05)),
    EVT["illness_chronic_onset"]: (0.50, (0.50, 0.50, 0.00)),
    EVT["disability_onset"]: (0.80, (0.80, 0.20, 0.00)),
    EVT["death"]: (0.95, (0.50, 0.50, 0.00)),
    EVT["accident"]: (0.70, (0.30, 0.60, 0.10)),
    EVT["job_loss"]: (0.55, (0.10, 0.60, 0.30)),
    EVT["business_failure"]: (0.60, (0.00, 0.70, 0.30)),
    EVT["house_damage"]: (0.85, (0.40, 0.60, 0.00)),
    EVT["school_entry"]: (0.90, (1.00, 0.00, 0.00)),
}
DISASTER_RECORDING = (0.90, (0.50, 0.50, 0.00))
SOURCE_ORDER = np.array([DS["department"], DS["survey"], DS["self_report"]])


class Recorder:
    """Per-table lists of column batches."""

    def __init__(self) -> None:
        self.parts: dict[str, list[dict[str, np.ndarray]]] = defaultdict(list)

    def add(self, table_name: str, **columns) -> None:
        batch = {name: np.asarray(value) for name, value in columns.items()}
        lengths = {len(v) for v in batch.values()}
        if len(lengths) != 1:
            raise ValueError(f"batch for {table_name} has columns of different lengths: {lengths}")
        if lengths.pop():
            self.parts[table_name].append(batch)

    def collect(self, table_name: str) -> dict[str, np.ndarray]:
        """All batches of a table as one array per column; the batches are released."""
        parts = self.parts.pop(table_name, [])
        if not parts:
            return {}
        columns = {}
        for name in list(parts[0]):
            columns[name] = np.concatenate([p.pop(name) for p in parts])
        return columns


def known_at(rng: np.random.Generator, fact_day: np.ndarray, data_source: np.ndarray) -> np.ndarray:
    """recorded_at (seconds) for facts of the given day, by data source lag."""
    fact_day = np.asarray(fact_day, dtype=np.int64)
    lag = np.zeros(fact_day.size, dtype=np.int64)
    for source, (low, high) in LAG_DAYS.items():
        chosen = data_source == source
        lag[chosen] = lag_days(rng, low, high, int(chosen.sum()))
    return office_time(rng, fact_day + lag)


def draw_sources(rng: np.random.Generator, probs: tuple[float, float, float], count: int) -> np.ndarray:
    return SOURCE_ORDER[rng.choice(3, count, p=np.asarray(probs) / sum(probs))]


def record_shocks(rec: Recorder, rng: np.random.Generator, household, person, event_type, day, severity, loss) -> None:
    """Log shocks as truth, and the share that some channel records as events."""
    household = np.asarray(household, dtype=np.int64)
    count = household.size
    if count == 0:
        return
    event_type = np.broadcast_to(np.asarray(event_type, dtype=np.int64), (count,))
    person = np.broadcast_to(np.asarray(person, dtype=np.int64), (count,))
    severity = np.broadcast_to(np.asarray(severity, dtype=np.int64), (count,))
    loss = np.broadcast_to(np.asarray(loss, dtype=float), (count,))
    day = np.asarray(day, dtype=np.int64)
    rec.add("shocks", household=household, person=person, event_type=event_type, day=day,
            severity=severity, loss=loss)
    share, probs = EVENT_RECORDING.get(int(event_type[0]), DISASTER_RECORDING)
    kept = rng.random(count) < share
    source = draw_sources(rng, probs, int(kept.sum()))
    noisy_loss = np.round(loss[kept] * rng.lognormal(0, 0.15, int(kept.sum())), -1)
    rec.add("events", household=household[kept], person=person[kept], event_type=event_type[kept],
            day=day[kept], severity=severity[kept], loss=noisy_loss, data_source=source,
            recorded=known_at(rng, day[kept], source))
