"""Fitting the LightGBM model with early stopping, its calibration, and the logistic baseline."""
from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from models.bands import Bands
from models.bundle import ModelBundle, calibrate, feature_matrix
from training.config import ModelConfig


def _lgb_params(config: ModelConfig, seed: int) -> dict:
    params = {
        "objective": "binary", "metric": "average_precision", "first_metric_only": True,
        "learning_rate": config.learning_rate, "num_leaves": config.num_leaves,
        "max_depth": config.max_depth, "min_child_samples": config.min_child_samples,
        "bagging_fraction": config.subsample, "bagging_freq": 1 if config.subsample < 1 else 0,
        "feature_fraction": config.colsample_bytree, "lambda_l2": config.reg_lambda,
        "num_threads": config.threads, "seed": seed, "deterministic": True, "force_col_wise": True,
        "verbosity": -1,
    }
    return params


def sample_negatives(train: pd.DataFrame, rate: float, seed: int) -> pd.DataFrame:
    """All positives and a seeded share `rate` of the negatives, in the original order."""
    if rate >= 1:
        return train
    keep = train["relapse_12m"].astype(bool).to_numpy() | (np.random.default_rng(seed).random(len(train)) < rate)
    return train[keep]


def fit_bundle(train: pd.DataFrame, validation: pd.DataFrame, feature_names: tuple[str, ...],
               config: ModelConfig, seed: int, tiers: dict[str, int] | None = None) -> ModelBundle:
    """LightGBM with early stopping on validation, then calibrated on validation's raw scores; the
    score bands are cut at equal shares of the (unsampled) validation cohort's calibrated scores."""
    train = sample_negatives(train, config.negative_sample_rate, seed)
    y_train = train["relapse_12m"].astype(bool).to_numpy()
    y_valid = validation["relapse_12m"].astype(bool).to_numpy()
    valid_matrix = feature_matrix(validation, feature_names)
    train_set = lgb.Dataset(feature_matrix(train, feature_names), y_train, feature_name=list(feature_names))
    valid_set = lgb.Dataset(valid_matrix, y_valid, reference=train_set)
    booster = lgb.train(
        _lgb_params(config, seed), train_set, num_boost_round=config.n_estimators,
        valid_sets=[valid_set], valid_names=["validation"],
        callbacks=[lgb.early_stopping(config.early_stopping_rounds, verbose=False)],
    )
    raw_valid = booster.predict(valid_matrix, raw_score=True)
    calibrator = _fit_calibrator(config.calibration, raw_valid, y_valid)
    order = tuple(sorted((tiers or {"high": 17, "medium": 11, "low": 1}).items(), key=lambda item: -item[1]))
    return ModelBundle(feature_names, booster, calibrator,
                       info={"best_iteration": booster.best_iteration, "calibration": config.calibration,
                             "training_rows": len(train), "training_positives": int(y_train.sum())},
                       bands=Bands.fit(calibrate(calibrator, raw_valid), order))


def _fit_calibrator(kind: str, raw: np.ndarray, y: np.ndarray) -> IsotonicRegression | LogisticRegression:
    if kind == "isotonic":
        return IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
    return LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y)


def fit_logistic(train: pd.DataFrame, feature_names: tuple[str, ...], seed: int) -> Pipeline:
    """Logistic regression on the same features: median imputation, scaling, balanced classes."""
    pipeline = make_pipeline(SimpleImputer(strategy="median", keep_empty_features=True), StandardScaler(),
                             LogisticRegression(max_iter=2000, class_weight="balanced", random_state=seed))
    return pipeline.fit(feature_matrix(train, feature_names), train["relapse_12m"].astype(bool).to_numpy())


def logistic_scores(pipeline: Pipeline, frame: pd.DataFrame, feature_names: tuple[str, ...]) -> np.ndarray:
    return pipeline.predict_proba(feature_matrix(frame, feature_names))[:, 1]
