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
from training.metrics import roc_auc
from training.pipeline import train

pytestmark = pytest.mark.slow
ANALYST_INPUTS = ["assessed_income_line_ratio", "assessed_years_below_line", "head_age", "head_schooling_years",
                  "household_size"]


@pytest.fixture(scope="module")
def survey():
    simulation = simulate(SimulationConfig(households=3000, counties=2, start="2016-01", months=96, seed=31))
    validation = validate_tables(survey_tables(simulation, seed=31))
    assert all(len(t.quarantined) == 0 for t in validation.tables.values())
    return validation.accepted(), pd.Timestamp("2024-04-01")


def test_survey_export_trains_without_special_handling(survey):
    tables, exported_at = survey
    result = train(tables, TrainingConfig(), exported_at=exported_at)
    plan = result.plan
    assert plan.label == "admin_or_need" and plan.embargo
    frame = labelled_frame(tables, plan, exported_at=exported_at)
    test = frame[frame["part"] == "test"]
    expected = need_from_complete_data(tables, test).fillna(False).astype(bool)
    assert (test["relapse_12m"].astype(bool) == expected).all()
    assert registry.run_metrics(result.run_id)["base_rate"] == pytest.approx(expected.mean(), abs=1e-12)

    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import StandardScaler

    training = frame[frame["part"].isin(["train", "validation"])]
    analyst = make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), LogisticRegression(max_iter=2000))
    analyst.fit(training[ANALYST_INPUTS].astype(float), training["relapse_12m"].astype(bool))
    last = test[test["as_of"] == plan.test[-1]]
    y = last["relapse_12m"].astype(bool)
    model_auc = roc_auc(y, result.evaluated.predict(last))
    analyst_auc = roc_auc(y, analyst.predict_proba(last[ANALYST_INPUTS].astype(float))[:, 1])
    print(f"\nlast test date {plan.test[-1]:%Y-%m-%d}: {int(y.sum())} of {len(y)} relapse; ROC-AUC model "
          f"{model_auc:.3f}, analyst's logistic regression {analyst_auc:.3f}")
    assert model_auc >= analyst_auc
