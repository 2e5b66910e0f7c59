"""Which measures a newly identified household gets, and keeping them going while the case is open."""
from __future__ import annotations

import numpy as np

from synthetic.assistance import OPEN_ENDED, RENEWED, end_measures, start_measures
from synthetic.book import Book
from synthetic.months import MonthGrid
from synthetic.codes import CAT, DIF, MEA
from synthetic.risk import NEED, RiskView, Rolling
from synthetic.state import Households


def plan_measures(rng, book: Book, rolling: Rolling, grid: MonthGrid, t: int, households: np.ndarray,
                  identified_day: np.ndarray, flags: np.ndarray, category: np.ndarray, view: RiskView,
                  labour_units: np.ndarray, dibao_standard: np.ndarray) -> None:
    n = households.size
    start = identified_day + rng.integers(0, 31, n)
    u = lambda: rng.random(n)  # noqa: E731 - one fresh draw per rule
    need = view.state[households] == NEED
    can_work = labour_units[households] > 0
    has = lambda difficulty: flags[:, DIF[difficulty]]  # noqa: E731
    poor = view.income_pc_12m[households] < dibao_standard[households]
    chosen = {
        "public_welfare_job": can_work & need & (u() < 0.75),
        "employment": (has("unemployment") | (can_work & need)) & (u() < 0.45),
        "dibao": need & ((~can_work & (u() < 0.85)) | (poor & (u() < 0.6))),
        "medical_aid": has("illness") & (u() < 0.85),
        "temporary_relief": (category == CAT["sudden"]) & (u() < 0.45),
        "education_aid": has("education") & (u() < 0.8),
        "housing_renovation": has("housing") & (u() < 0.85),
        "insurance": u() < 0.25,
        "microcredit": (has("business") | can_work) & (u() < 0.10),
        "industrial": u() < 0.45,
        "other": u() < 0.05,
    }
    nothing = ~np.any(np.stack(list(chosen.values())), axis=0)
    chosen["industrial"] |= nothing
    oop_relief = 0.8 * view.oop_12m[households]
    for measure, picked in chosen.items():
        amount = oop_relief[picked] if measure == "medical_aid" else None
        rows = start_measures(rng, book, grid, households[picked], measure, start[picked], amount)
        if measure in ("medical_aid", "temporary_relief"):
            rolling.add_relief(t, households[picked], np.nan_to_num(book["amount"][rows]))


def renew_measures(rng, book: Book, grid: MonthGrid, t: int, hh: Households) -> None:
    """Jobs, aid and placements that end while the case is still open are renewed for another term."""
    renewable = np.isin(book["measure"], [MEA[m] for m in RENEWED]) & (book["end_month"] == t - 1)
    rows = np.flatnonzero(renewable & (hh.case_row[book["household"]] >= 0) & hh.active[book["household"]])
    for code in np.unique(book["measure"][rows]):
        picked = rows[book["measure"][rows] == code]
        measure = [m for m, c in MEA.items() if c == code][0]
        amount = book["amount"][picked] if measure != "medical_aid" else np.full(picked.size, np.nan)
        start_measures(rng, book, grid, book["household"][picked], measure, book["end_day"][picked] + 1, amount)


def wind_down(rng, book: Book, grid: MonthGrid, t: int, households: np.ndarray, labour_units: np.ndarray) -> None:
    """After risk elimination support stays for the transition (2-4 years) and then ends; medical
    aid ends at once; dibao ends only at a yearly review."""
    mine = np.isin(book["household"], households) & (book["end_month"] >= t)
    rows = np.flatnonzero(mine)
    measure = book["measure"][rows]
    later = np.where(measure == MEA["medical_aid"], t, t + rng.integers(24, 49, rows.size))
    keeps = measure == MEA["dibao"]            # dibao ends only at the yearly review
    end_measures(book, grid, rows[~keeps], later[~keeps], rng)


def review_dibao(rng, book: Book, grid: MonthGrid, t: int, rate_pc_without_dibao: np.ndarray, line: np.ndarray) -> None:
    """Each December dibao stops for households well above the line on their own income."""
    if grid.calendar_month(t) != 12:
        return
    rows = np.flatnonzero((book["measure"] == MEA["dibao"]) & (book["end_month"] >= OPEN_ENDED))
    household = book["household"][rows]
    off = rate_pc_without_dibao[household] > 1.3 * line[household]
    end_measures(book, grid, rows[off], np.full(int(off.sum()), t + 1), rng)


def end_for_dissolved(rng, book: Book, grid: MonthGrid, t: int, dissolved: np.ndarray) -> None:
    rows = np.flatnonzero(np.isin(book["household"], dissolved) & (book["end_month"] >= t))
    end_measures(book, grid, rows, np.full(rows.size, t), rng)
