"""Visits as they are entered: when each visit's form reaches the system, and the visits rows."""
from __future__ import annotations

import numpy as np

from synthetic.detection import AUTUMN_CHECK, SPRING_SCREEN, VisitBatch
from synthetic.months import MonthGrid, office_time
from synthetic.records import Recorder

ROUTINE_ENTRY_LAG_DAYS = (3, 28)
# one county: autumn visits 1-31 October, entry by 20 November [S]
AUTUMN_ENTRY_DAYS_AFTER_MONTH = 20
AUTUMN_ENTRY_MIN_LAG_DAYS = 3
# one county: spring visits by 15 May, entry by 5 June [S]
SPRING_ENTRY_DAY_OF_NEXT_MONTH = 5
SPRING_ENTRY_MIN_LAG_DAYS = 2


def entry_seconds(rng: np.random.Generator, grid: MonthGrid, t: int, visits: VisitBatch) -> np.ndarray:
    """recorded_at of each visit's form: routine visits days to weeks later; the concentrated
    checks at any time between a few days after the visit and the county's entry deadline."""
    day, kind = visits.day, visits.kind
    deadline = np.where(kind == AUTUMN_CHECK, grid.last_day(t) + AUTUMN_ENTRY_DAYS_AFTER_MONTH,
                        grid.first_day(t + 1) + SPRING_ENTRY_DAY_OF_NEXT_MONTH - 1)
    earliest = day + np.where(kind == AUTUMN_CHECK, AUTUMN_ENTRY_MIN_LAG_DAYS, SPRING_ENTRY_MIN_LAG_DAYS)
    concentrated = earliest + np.floor(rng.random(day.size) * (np.maximum(deadline, earliest) - earliest + 1))
    routine = day + rng.integers(*ROUTINE_ENTRY_LAG_DAYS, day.size)
    entry_day = np.where((kind == AUTUMN_CHECK) | (kind == SPRING_SCREEN), concentrated, routine)
    return office_time(rng, entry_day.astype(np.int64))


def record_visits(rec: Recorder, visits: VisitBatch, recorded: np.ndarray, income_pc: np.ndarray,
                  carried: bool = False) -> None:
    """visits rows; `income_pc` is the assessed per-capita income of the last 12 months where the
    visit assessed income, NaN elsewhere."""
    rec.add("visits", household=visits.household, day=visits.day, recorded=recorded, income=income_pc,
            carried=np.full(visits.household.size, carried), **visits.checklist)
