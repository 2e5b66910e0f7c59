"""Contract codes as integer positions, so the simulation can hold codes in small numpy arrays.

Every code list comes from `features.contract`; an array of positions turns back into the
canonical strings with `labels(values, codes)`.
"""
from __future__ import annotations

import numpy as np

from features.contract import table


def code_values(table_name: str, column_name: str) -> tuple[str, ...]:
    return table(table_name).column(column_name).code_values


def positions(codes: tuple[str, ...]) -> dict[str, int]:
    return {code: i for i, code in enumerate(codes)}


def labels(values: np.ndarray, codes: tuple[str, ...]) -> np.ndarray:
    """Integer code positions to an object array of canonical codes."""
    return np.asarray(codes, dtype=object)[np.asarray(values, dtype=np.int64)]


HOUSEHOLD_TYPES = code_values("households", "household_type")
HOUSE_GRADES = code_values("households", "house_grade")
RELATIONS = code_values("members", "relation")
SEXES = code_values("members", "sex")
EDUCATION = code_values("members", "education")
HEALTH = code_values("members", "health")
LABOUR = code_values("members", "labour")
INCOME_SOURCES = code_values("income", "source")
EXPENDITURE_CATEGORIES = code_values("expenditures", "category")
DATA_SOURCES = code_values("income", "data_source")
EVENT_TYPES = code_values("events", "event_type")
DEPARTMENTS = code_values("alerts", "department")
OUTCOMES = code_values("alerts", "outcome")
REPORT_CHANNELS = code_values("self_reports", "channel")
DIFFICULTIES = code_values("self_reports", "difficulty")
CASE_CATEGORIES = code_values("cases", "category")
CASE_CHANNELS = code_values("cases", "channel")
MEASURES = code_values("assistance", "measure")

REL = positions(RELATIONS)
EDU = positions(EDUCATION)
HLT = positions(HEALTH)
LAB = positions(LABOUR)
SRC = positions(INCOME_SOURCES)
EXP = positions(EXPENDITURE_CATEGORIES)
DS = positions(DATA_SOURCES)
EVT = positions(EVENT_TYPES)
DEP = positions(DEPARTMENTS)
OUT = positions(OUTCOMES)
DIF = positions(DIFFICULTIES)
CAT = positions(CASE_CATEGORIES)
CCH = positions(CASE_CHANNELS)
MEA = positions(MEASURES)
EX_POOR = HOUSEHOLD_TYPES.index("ex_poor")
