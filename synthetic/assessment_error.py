"""The error in an income figure assessed on a household visit.

domain.md, "Accuracy of a visit's income figure": record-match studies give a reliability of
0.82-0.92 for log annual earnings, with errors that pull toward the mean and persist across years
[S]; the self-employed under-report by about 25% [S]; omissions and rounding explain over half the
gaps between single-question and itemised family incomes in CFPS 2018 [S]. From these [E]: a log
error sd of 0.35-0.45 for a household total, 0.5-0.6 and 10-25% low for farm and business
income, 0.05-0.1 for transfers copied from department records, rounding to 100 or 1,000 yuan, a
part that persists for a household across years, and figures near the line leaning upward.
"""
from __future__ import annotations

import numpy as np

from synthetic.codes import INCOME_SOURCES, SRC

TRANSFER_SOURCES = [SRC[s] for s in ("pension", "dibao", "subsidy", "public_welfare_job")]
FARM_BUSINESS_SOURCES = [SRC["agriculture"], SRC["business"]]
WAGE_SOURCES = [SRC["wage_local"], SRC["wage_migrant"]]
MINOR_SOURCES = [SRC[s] for s in ("property", "remittance", "other")]
IS_TRANSFER = np.isin(np.arange(len(INCOME_SOURCES)), TRANSFER_SOURCES)

# The household's standing error (the same informant, the same cadres, the same habits of
# answering), renewed each January as an AR(1): record-match studies find measurement errors of
# the same person correlating about 0.4-0.6 from one year to the next [E].
PERSISTENT_SD = 0.24
PERSISTENT_YEARLY_CORRELATION = 0.5
VISIT_SD = 0.26                      # this visit's error, common to the household's sources [E]
# each source's own error on top of the common one (log sd), and its median shortfall:
# farm and business sqrt(0.24^2 + 0.26^2 + 0.40^2) = 0.53 (domain 0.5-0.6), median 17% low
# (domain 10-25%); transfers come from department records (domain 0.05-0.1) without the common error
SOURCE_SD = np.full(len(INCOME_SOURCES), 0.20)
SOURCE_SD[FARM_BUSINESS_SOURCES] = 0.40
SOURCE_SD[MINOR_SOURCES] = 0.45
SOURCE_SD[TRANSFER_SOURCES] = 0.075
SOURCE_LOG_BIAS = np.zeros(len(INCOME_SOURCES))
SOURCE_LOG_BIAS[FARM_BUSINESS_SOURCES] = np.log(0.83)
# Errors pull toward the mean: a reliability of 0.82-0.92 means the assessed log income moves
# about a tenth to a fifth of the household's distance from the typical income back toward it [E].
MEAN_PULL = 0.15
MINOR_OMISSION_SHARE = 0.15          # a small source the visit does not ask about or is not told [E]
ROUND_TO_THOUSAND_SHARE = 0.3        # visits writing round thousands rather than hundreds [E] ...
ROUND_TO_THOUSAND_FROM = 5_000.0     # ... for figures of a few thousand yuan or more [E]
TRANSFER_ROUNDING = 10.0             # copied from the department's list
# Near the line: cadres are judged on these figures, so a household assessed a little under the
# line is often written just above it [E].
LEAN_BAND = (0.8, 1.0)               # assessed income per person over the line
LEAN_SHARE = 0.5
LEAN_TARGET = (1.0, 1.12)


class SurveyErrors:
    """Each household's persistent part of the visits' income error (log)."""

    def __init__(self, rng: np.random.Generator, households: int) -> None:
        self.persistent = rng.normal(0.0, PERSISTENT_SD, households)

    def new_year(self, rng: np.random.Generator) -> None:
        rho = PERSISTENT_YEARLY_CORRELATION
        fresh = rng.normal(0.0, PERSISTENT_SD, self.persistent.size)
        self.persistent[:] = rho * self.persistent + np.sqrt(1 - rho**2) * fresh


def assessed_by_source(rng: np.random.Generator, true: np.ndarray, persistent: np.ndarray,
                       log_gap_to_typical: np.ndarray) -> np.ndarray:
    """(sources, households) assessed amounts for the true amounts of a window. `log_gap_to_typical`
    is the household's log per-capita income minus the typical one of its kind."""
    sources, n = true.shape
    common = persistent + rng.normal(0.0, VISIT_SD, n) - MEAN_PULL * log_gap_to_typical
    own = rng.normal(SOURCE_LOG_BIAS[:, None], SOURCE_SD[:, None], (sources, n))
    log_factor = np.where(IS_TRANSFER[:, None], own, common[None, :] + own)
    omitted = np.zeros((sources, n), dtype=bool)
    omitted[MINOR_SOURCES] = rng.random((len(MINOR_SOURCES), n)) < MINOR_OMISSION_SHARE
    return np.where(omitted, 0.0, np.maximum(true, 0.0) * np.exp(log_factor))


def lean_upward(rng: np.random.Generator, assessed: np.ndarray, members: np.ndarray,
                line: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Figures a little under the line written just above it, for a share of households: the
    non-transfer sources are scaled so the total lands at LEAN_TARGET times the line. Returns the
    amounts and which households were lifted."""
    people = np.maximum(members, 1)
    ratio = assessed.sum(axis=0) / people / line
    own = assessed[~IS_TRANSFER].sum(axis=0)
    near = (ratio >= LEAN_BAND[0]) & (ratio < LEAN_BAND[1]) & (own > 0)
    lifted = near & (rng.random(ratio.size) < LEAN_SHARE)
    target_total = rng.uniform(*LEAN_TARGET, ratio.size) * line * people
    factor = np.where(lifted, (target_total - assessed[IS_TRANSFER].sum(axis=0)) / np.maximum(own, 1.0), 1.0)
    factor = np.maximum(factor, 1.0)
    out = assessed.copy()
    out[~IS_TRANSFER] *= factor[None, :]
    return out, lifted


def rounded(rng: np.random.Generator, assessed: np.ndarray, thousands_share: float = ROUND_TO_THOUSAND_SHARE) -> np.ndarray:
    """Each source's figure rounded as a visit writes it: to 100 yuan, or to 1,000 on a share of
    visits where the figure is large enough; transfers to 10 yuan."""
    thousands = (rng.random(assessed.shape[1]) < thousands_share)[None, :] & (assessed >= ROUND_TO_THOUSAND_FROM)
    units = np.where(IS_TRANSFER[:, None], TRANSFER_ROUNDING, np.where(thousands, 1_000.0, 100.0))
    return np.round(assessed / units) * units
