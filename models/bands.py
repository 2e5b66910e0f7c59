"""Score bands (1-20, 20 the highest risk) and tiers, fixed when a model is trained.

Band cut points sit at equal shares of the calibrated scores of the model's unsampled validation
cohort; a score equal to a cut point goes to the band above it, so tied scores always share a
band (a band can then be empty). Tiers group bands with configurable lowest bands (default: high
17-20, medium 11-16, low 1-10). Both travel inside the model bundle, so every path gives a
household the same band and tier.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BANDS = 20
DEFAULT_TIERS = (("high", 17), ("medium", 11), ("low", 1))


@dataclass(frozen=True)
class Bands:
    cut_points: tuple[float, ...]                           # BANDS - 1 ascending scores
    tiers: tuple[tuple[str, int], ...] = DEFAULT_TIERS      # (name, lowest band), highest tier first

    @classmethod
    def fit(cls, validation_scores: np.ndarray, tiers: tuple[tuple[str, int], ...] = DEFAULT_TIERS) -> "Bands":
        scores = np.asarray(validation_scores, dtype=float)
        if not len(scores):
            raise ValueError("bands need the validation cohort's scores; there are none")
        shares = np.arange(1, BANDS) / BANDS
        return cls(tuple(float(v) for v in np.quantile(scores, shares, method="inverted_cdf")), tuple(tiers))

    def band(self, scores: np.ndarray) -> np.ndarray:
        """Band 1-20 of each calibrated score."""
        return 1 + np.searchsorted(np.asarray(self.cut_points), np.asarray(scores, dtype=float), side="right")

    def tier(self, bands: np.ndarray) -> np.ndarray:
        """Tier name of each band."""
        bands = np.asarray(bands)
        out = np.full(bands.shape, self.tiers[-1][0], dtype=object)
        for name, lowest in reversed(self.tiers):
            out[bands >= lowest] = name
        return out
