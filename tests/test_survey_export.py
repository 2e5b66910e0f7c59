"""A household-survey-shaped export (nothing but yearly income, whole years missing, no cases) trains
with the default configuration, with the right base rate and a model at least as good as a logistic
regression on the figures a survey analyst would use."""
from __future__ import annotations

import pandas as pd
import pytest

from features.validate import validate_tables
from models import registry
from synthetic.simulate import SimulationConfig, simulate
from tests.survey_export import need_from_complete_data, survey_tables
from training.config import TrainingConfig
from training.dataset import labelled_frame
from training import pipeline
from training.metrics import roc_auc

pytestmark = pytest.mark.slow
ANALYST_INPUTS = ["assessed_income_line_ratio", "assessed_years_below_line", "head_age", "head_schooling_years",
                  "household_size"]


@pytest.fixture(scope="module")
def survey():
    simulation = simulate(SimulationConfig(households=2000, counties=2, start="2016-01", months=96, seed=31))
    validation = validate_tables(survey_tables(simulation, seed=31))
    assert all(len(t.quarantined) == 0 for t in validation.tables.values())
    return validation.accepted(), pd.Timestamp("2024-04-01")


def test_survey_export_trains_without_special_handling(survey, monkeypatch):
    tables, exported_at = survey
    built = []     # the labelled frame the training builds, checked here rather than built a second time

    def kept(*args, **kwargs):
        built.append(labelled_frame(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(pipeline, "labelled_frame", kept)
    result = pipeline.train(tables, TrainingConfig(), exported_at=exported_at)
    plan = result.plan
    assert plan.label == "admin_or_need" and plan.embargo
    assert len(built) == 1
    frame = built[0]
    test = frame[frame["part"] == "test"]
    expected = need_from_complete_data(tables, test).fillna(False).astype(bool)
    assert (test["relapse_12m"].astype(bool) == expected).all()
    assert registry.run_metrics(result.run_id)["base_rate"] == pytest.approx(expected.mean(), abs=1e-12)

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    def analyst(rows: pd.DataFrame):
        fitted = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=2000))
        return fitted.fit(rows[ANALYST_INPUTS].astype(float), rows["relapse_12m"].astype(bool))

    last = test[test["as_of"] == plan.test[-1]]
    y = last["relapse_12m"].astype(bool)
    inputs = last[ANALYST_INPUTS].astype(float)
    # out of time: the evaluated model and a logistic regression fitted on the same training dates
    evaluated_auc = roc_auc(y, result.evaluated.predict(last))
    analyst_auc = roc_auc(y, analyst(frame[frame["part"].isin(["train", "validation"])]).predict_proba(inputs)[:, 1])
    # the registered champion and a logistic regression fitted on the dates it learned from
    champion, _ = registry.load_bundle("stayout-relapse", "champion")
    champion_auc = roc_auc(y, champion.predict(last))
    refit_analyst_auc = roc_auc(y, analyst(frame[frame["refit_part"] != ""]).predict_proba(inputs)[:, 1])
    print(f"\nlast test date {plan.test[-1]:%Y-%m-%d}: {int(y.sum())} of {len(y)} relapse; ROC-AUC evaluated model "
          f"{evaluated_auc:.3f} vs logistic {analyst_auc:.3f}; champion {champion_auc:.3f} vs logistic on the same "
          f"dates {refit_analyst_auc:.3f}")
    assert evaluated_auc >= analyst_auc
    assert champion_auc >= refit_analyst_auc
