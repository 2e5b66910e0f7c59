"""The model bundle: what a score needs, travelling together (features in order, model, calibration).

Batch scoring, the service and the MLflow pyfunc all call `ModelBundle.predict`, so a household
scores the same on every path.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from features.catalogue import FEATURE_SCHEMA_VERSION, FEATURES_BY_NAME
from features.facts import VILLAGE_SHARES
from models.bands import Bands
from models.drift import SCORE, References, calendar_view
from stayout.errors import InputError


@dataclass
class ModelBundle:
    feature_names: tuple[str, ...]
    booster: lgb.Booster
    calibrator: IsotonicRegression | LogisticRegression
    schema_version: str = FEATURE_SCHEMA_VERSION
    info: dict = field(default_factory=dict)
    bands: Bands | None = None       # score bands and tiers fixed at training (None on older bundles)
    reference: References | None = None  # the training cohort's input and score distributions (drift)

    def matrix(self, features: pd.DataFrame) -> np.ndarray:
        return feature_matrix(features, self.feature_names)

    def raw_scores(self, features: pd.DataFrame) -> np.ndarray:
        """LightGBM's log-odds before calibration."""
        return self.raw_scores_of(self.matrix(features))

    def raw_scores_of(self, matrix: np.ndarray) -> np.ndarray:
        """`raw_scores` of the model's input matrix (`matrix`)."""
        few = {"num_threads": 1} if len(matrix) < FEW_ROWS else {}
        return self.booster.predict(matrix, raw_score=True, **few)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of relapse within 12 months, one per row."""
        return calibrate(self.calibrator, self.raw_scores(features))

    def band_and_tier(self, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Band 1-20 and tier of calibrated scores, as fixed when the model was trained."""
        if self.bands is None:
            raise InputError("this model version was trained before score bands existed; train it again with "
                             "`stayout train` (or choose a newer version with --model-alias)")
        bands = self.bands.band(scores)
        return bands, self.bands.tier(bands)


def reference_of(bundle: ModelBundle, cohort: pd.DataFrame, villages: pd.Series | None = None) -> References:
    """The drift reference of a cohort's rows (over their as-of dates): each model input and the
    calibrated score; `villages` (each row's village) gives the events' design effects."""
    inputs = cohort.loc[:, list(bundle.feature_names)].astype("float64")
    yes_no = [name for name in bundle.feature_names if FEATURES_BY_NAME[name].dtype == "bool"]
    views = {name: FEATURES_BY_NAME[name].clock for name in bundle.feature_names if FEATURES_BY_NAME[name].clock}
    inputs = calendar_view(inputs, cohort["as_of"], views)
    return References.fit(inputs.assign(**{SCORE: bundle.predict(cohort)}),
                          pd.DatetimeIndex(cohort["as_of"]).month.to_numpy(), yes_no, views,
                          [name for name in VILLAGE_SHARES if name in bundle.feature_names],
                          villages.to_numpy() if villages is not None else None)


def feature_matrix(features: pd.DataFrame, feature_names: tuple[str, ...]) -> np.ndarray:
    """A model's input: catalogue columns in training order, as float (booleans 0/1)."""
    missing = [name for name in feature_names if name not in features.columns]
    if missing:
        raise KeyError(f"features missing from the input: {', '.join(missing)}")
    return features.reindex(columns=list(feature_names)).to_numpy(dtype="float64")  # one pass over the blocks


TIE_BREAK = 1e-9
FEW_ROWS = 64   # fewer rows (one household's call) are predicted on one thread: starting threads costs more


def calibrate(calibrator: IsotonicRegression | LogisticRegression, raw: np.ndarray) -> np.ndarray:
    """Calibrated probabilities of the raw log-odds.

    Isotonic calibration is a step function: at the top of a county's cohort a few dozen values
    are shared by hundreds of households, and a township list cut inside one step would follow
    household ids, not risk. So each probability is moved towards the raw score's own logistic
    value by a share of `TIE_BREAK`: the score still rises with the raw score, now strictly, so
    every list follows the model's ranking, and no probability moves by more than 1e-9.
    """
    if len(raw) == 0:        # no household (a village with nobody in the cohort): no score
        return np.empty(0, dtype="float64")
    if isinstance(calibrator, IsotonicRegression):
        return calibrator.predict(raw) * (1.0 - TIE_BREAK) + TIE_BREAK * expit(raw)
    return calibrator.predict_proba(raw.reshape(-1, 1))[:, 1]
