"""The training configuration: typed, strict, read once; its resolved form is hashed per run."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stayout.errors import ConfigError
from stayout.home import thread_limit


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SplitConfig(_Strict):
    test_dates: int = Field(3, ge=1, description="monthly as-of dates in the test window (the latest final ones)")
    validation_dates: int = Field(3, ge=1, description="monthly as-of dates for early stopping and calibration")
    max_training_dates: int = Field(18, ge=1, description="at most this many monthly training dates")
    min_history_months: int = Field(6, ge=0, description="months of records before the first training date (shortened, "
                                                          "and said so, when a short export leaves no room)")
    holdout_counties: tuple[str, ...] = Field((), description="county codes kept out of training and validation")


class ModelConfig(_Strict):
    n_estimators: int = Field(400, ge=1)
    learning_rate: float = Field(0.05, gt=0)
    num_leaves: int = Field(31, ge=2)
    max_depth: int = -1
    min_child_samples: int = Field(100, ge=1)
    subsample: float = Field(0.8, gt=0, le=1)
    colsample_bytree: float = Field(0.8, gt=0, le=1)
    reg_lambda: float = Field(1.0, ge=0)
    early_stopping_rounds: int = Field(40, ge=1)
    negative_sample_rate: float = Field(
        0.25, gt=0, le=1, description="share of training negatives kept (all positives are): the class imbalance "
                                      "is handled by sampling; calibration on untouched validation restores rates")
    calibration: Literal["isotonic", "platt"] = "isotonic"
    threads: int = Field(default_factory=lambda: thread_limit() or 2, ge=1)


class EvaluationConfig(_Strict):
    township_capacity: int = Field(10, ge=1, description="households a township can visit per as-of date")
    list_shares: tuple[float, ...] = (0.01, 0.05, 0.10)
    bootstrap_samples: int = Field(200, ge=10)


class ExplanationConfig(_Strict):
    tiers: dict[str, int] = Field({"high": 17, "medium": 11, "low": 1},
                                  description="tier name -> its lowest band (1-20); a band takes the highest tier it reaches")
    reason_min_contribution: float = Field(0.05, ge=0, description="a reason's smallest contribution (log-odds)")
    max_reasons: int = Field(4, ge=1, le=10)

    @field_validator("tiers")
    @classmethod
    def _tiers_cover_every_band(cls, tiers: dict[str, int]) -> dict[str, int]:
        if not tiers or min(tiers.values()) != 1 or max(tiers.values()) > 20 or len(set(tiers.values())) < len(tiers):
            raise ValueError("give each tier a different lowest band from 1 to 20, one of them 1")
        return tiers


class GateConfig(_Strict):
    recall_margin: float = Field(0.01, ge=0, description="recall at township capacity the challenger must add")
    auc_tolerance: float = Field(0.005, ge=0, description="ROC-AUC the challenger may lose")


class TrainingConfig(_Strict):
    seed: int = 7
    include_protected: bool = Field(False, description="use sex and ethnicity of the head as model inputs")
    registered_model: str = "stayout-relapse"
    experiment: str = "stayout-relapse"
    splits: SplitConfig = SplitConfig()
    model: ModelConfig = ModelConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    explanations: ExplanationConfig = ExplanationConfig()
    gate: GateConfig = GateConfig()

    def resolved(self) -> dict:
        return json.loads(self.model_dump_json())

    def digest(self) -> str:
        """Hash of the resolved configuration: identifies what a run was trained with."""
        text = json.dumps(self.resolved(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_config(path: str | Path | None = None) -> TrainingConfig:
    """The configuration in `path` (YAML), or the defaults."""
    if path is None:
        return TrainingConfig()
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return TrainingConfig.model_validate(data)
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {path} does not exist; give the path of a YAML file") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"config file {path}: {problems}; see configs/default.yaml for the fields") from exc
