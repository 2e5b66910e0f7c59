"""Shifts in what happens to households from a given month on, for drift and retraining checks.

- `default`: nothing changes.
- `disaster-year`: disasters strike villages twice as often and cost households twice as much.
- `job-crisis`: migrant workers lose their jobs three times as often and local wages fall by a fifth.

A scenario starts at a month of the data (by default 12 months before the export ends) and lasts
to the end. Before it, a county is the same as under the default with the same seed: the shift
only rescales hazards and amounts the default draws anyway.
"""
from __future__ import annotations

from dataclasses import dataclass

SCENARIOS = ("default", "disaster-year", "job-crisis")
DEFAULT_MONTHS_BEFORE_END = 12
DISASTER_FREQUENCY, DISASTER_LOSSES = 2.0, 2.0
MIGRANT_JOB_LOSS, LOCAL_WAGES = 3.0, 0.8


@dataclass(frozen=True)
class Scenario:
    name: str = "default"
    start_index: int = 0          # first month (index on the simulation's month grid) of the shift

    def __post_init__(self) -> None:
        if self.name not in SCENARIOS:
            raise ValueError(f"scenario must be one of {', '.join(SCENARIOS)}, got {self.name!r}")

    def _on(self, name: str, t: int) -> bool:
        return self.name == name and t >= self.start_index

    def disaster_frequency(self, t: int) -> float:
        return DISASTER_FREQUENCY if self._on("disaster-year", t) else 1.0

    def disaster_losses(self, t: int) -> float:
        return DISASTER_LOSSES if self._on("disaster-year", t) else 1.0

    def migrant_job_loss(self, t: int) -> float:
        return MIGRANT_JOB_LOSS if self._on("job-crisis", t) else 1.0

    def local_wages(self, t: int) -> float:
        return LOCAL_WAGES if self._on("job-crisis", t) else 1.0
