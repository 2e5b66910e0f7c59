"""Exact contributions of each input to a household's score, summed into the policy's causes.

TreeSHAP contributions of the trained LightGBM on its raw output (log-odds), from LightGBM's own
`pred_contrib`: for every row, base value + the sum of the contributions equals the raw score the
calibrated probability is computed from. They cost about 200 plain predictions each, so only the
rows to explain are passed in; they are explained in chunks on every core.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.catalogue import FEATURES_BY_NAME
from models.bundle import FEW_ROWS, ModelBundle, calibrate
from stayout.home import thread_limit

CHUNK_ROWS = 20_000


@dataclass(frozen=True)
class Explanations:
    """Per row: the raw score, its calibrated probability and band, and the contributions."""

    household_id: np.ndarray
    raw: np.ndarray                 # log-odds before calibration
    score: np.ndarray               # calibrated probability (what `ModelBundle.predict` returns)
    band: np.ndarray
    tier: np.ndarray
    base: float                     # the model's expected raw output
    features: tuple[str, ...]
    contributions: np.ndarray       # rows x features, log-odds
    families: tuple[str, ...]
    family_contributions: np.ndarray  # rows x families: the sum over each family's features

    def __len__(self) -> int:
        return len(self.raw)


def contributions(bundle: ModelBundle, features: pd.DataFrame, chunk_rows: int = CHUNK_ROWS,
                  threads: int | None = None, matrix: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """(rows x features contributions, base value) on the raw scale, chunk by chunk on every core.
    `matrix`: the features as the model's input (`bundle.matrix`), if at hand."""
    matrix = bundle.matrix(features) if matrix is None else matrix
    # a few rows (one household's call) are quicker on one thread than spread over every core
    threads = threads or (1 if len(matrix) < FEW_ROWS else thread_limit() or os.cpu_count() or 1)
    parts = [bundle.booster.predict(matrix[start:start + chunk_rows], pred_contrib=True, num_threads=threads)
             for start in range(0, len(matrix), chunk_rows)]
    full = np.concatenate(parts) if parts else np.zeros((0, len(bundle.feature_names) + 1))
    base = float(full[0, -1]) if len(full) else float(_base_value(bundle))
    return full[:, :-1], base


def _base_value(bundle: ModelBundle) -> float:
    one = np.zeros((1, len(bundle.feature_names)))
    return float(bundle.booster.predict(one, pred_contrib=True)[0, -1])


def family_of(feature_names: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray]:
    """The reason families in catalogue order and each feature's family position."""
    families = tuple(dict.fromkeys(FEATURES_BY_NAME[name].family for name in feature_names))
    return families, np.array([families.index(FEATURES_BY_NAME[name].family) for name in feature_names])


def explain(bundle: ModelBundle, features: pd.DataFrame, chunk_rows: int = CHUNK_ROWS) -> Explanations:
    """Scores, bands and contributions (by input and by family) of every row of `features`."""
    matrix = bundle.matrix(features)
    values, base = contributions(bundle, features, chunk_rows, matrix=matrix)
    raw = bundle.raw_scores_of(matrix)   # a plain prediction costs nothing beside the contributions
    families, position = family_of(bundle.feature_names)
    by_family = np.zeros((len(values), len(families)))
    for family in range(len(families)):
        by_family[:, family] = values[:, position == family].sum(axis=1)
    score = calibrate(bundle.calibrator, raw) if len(raw) else raw
    band, tier = bundle.band_and_tier(score) if len(raw) else (np.zeros(0, int), np.zeros(0, object))
    return Explanations(features["household_id"].astype("str").to_numpy(), raw, score, band, tier, base,
                        bundle.feature_names, values, families, by_family)
