"""Explanations: contributions that add up, reasons in the policy's causes, measures, bands."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from features.catalogue import FEATURES_BY_NAME
from features.validate import validate_tables
from models.bands import Bands
from models.changes import what_changed
from models.explain import contributions, explain
from models.household_reasons import ReasonSettings, explain_households
from models.reasons import LANGUAGES, ReasonBook, ReasonBookError, reasons, render
from synthetic.simulate import SimulationConfig, simulate
from training.config import ModelConfig, SplitConfig
from training.dataset import labelled_frame, part
from training.model import fit_bundle
from training.splits import plan_splits

SMALL_MODEL = ModelConfig(n_estimators=60, min_child_samples=20)


@pytest.fixture(scope="module")
def trained():
    tables = validate_tables(simulate(SimulationConfig(households=1500, counties=2, start="2021-01", months=44,
                                                       seed=12)).tables).accepted()
    plan = plan_splits(tables, SplitConfig(test_dates=2, validation_dates=2, max_training_dates=6))
    frame = labelled_frame(tables, plan)
    names = tuple(FEATURES_BY_NAME[n].name for n in FEATURES_BY_NAME if not FEATURES_BY_NAME[n].protected)
    bundle = fit_bundle(part(frame, "train"), part(frame, "validation"), names, SMALL_MODEL, seed=3)
    return tables, bundle, part(frame, "test")


@pytest.fixture(scope="module")
def book():
    return ReasonBook.load()


def test_contributions_add_up_to_the_raw_score(trained):
    _, bundle, test = trained
    values, base = contributions(bundle, test, chunk_rows=700)
    np.testing.assert_allclose(base + values.sum(axis=1), bundle.raw_scores(test), rtol=0, atol=1e-9)


def test_shap_and_lightgbm_agree(trained):
    import shap

    _, bundle, test = trained
    rows = test.head(300)
    ours, base = contributions(bundle, rows)
    explainer = shap.TreeExplainer(bundle.booster)
    theirs = np.asarray(explainer.shap_values(bundle.matrix(rows)))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-9)
    assert float(np.ravel(explainer.expected_value)[-1]) == pytest.approx(base, abs=1e-9)


def test_the_explanation_scores_as_the_bundle_predicts(trained):
    _, bundle, test = trained
    explained = explain(bundle, test)
    np.testing.assert_array_equal(explained.score, bundle.predict(test))
    np.testing.assert_allclose(explained.family_contributions.sum(axis=1), explained.contributions.sum(axis=1),
                               atol=1e-12)
    bands, tiers = bundle.band_and_tier(bundle.predict(test))
    np.testing.assert_array_equal(explained.band, bands)
    assert set(explained.tier) <= {"high", "medium", "low"}


def test_every_family_reads_in_both_languages_and_unknown_is_said(book):
    known = {name: 1.5 for name in FEATURES_BY_NAME}
    unknown = {name: math.nan for name in FEATURES_BY_NAME}
    for family in book.families:
        entry = book.texts[family]
        for feature in ["default", *entry.get("features", {})]:
            for language in LANGUAGES:
                with_values = book.sentence(family, feature, known, language)
                without = book.sentence(family, feature, unknown, language)
                assert with_values and "{" not in with_values and "[" not in with_values, (family, feature)
                assert "nan" not in without.lower() and "None" not in without, (family, feature, without)
                assert not any(ch.isdigit() for ch in without.replace("12", "").replace("C/D", "")
                               .replace("60", "").replace("1 or 2", "").replace("一二", "")
                               .replace("3 ", "").replace("4 ", "")), (family, feature, without)
        assert book.measures[family], family


def test_an_unknown_value_is_written_as_unknown_never_zero():
    template = "Income {assessed_income_pc_12m:yuan} yuan[, {assessed_income_line_ratio:ratio} of the line|]"
    assert render(template, {"assessed_income_pc_12m": 5200.0, "assessed_income_line_ratio": 0.8}, "en") == \
        "Income 5,200 yuan, 0.80 of the line"
    assert render(template, {"assessed_income_pc_12m": math.nan, "assessed_income_line_ratio": math.nan}, "en") == \
        "Income unknown yuan"
    assert render("{medical_oop_12m:yuan} 元", {"medical_oop_12m": math.nan}, "zh") == "未知 元"
    assert render("[{house_unsafe:flag}C/D|safe]", {"house_unsafe": False}, "en") == "safe"


def test_a_capped_dependency_ratio_is_said_in_words():
    from features.blocks_people import MAX_DEPENDENCY

    assert render("{dependency_ratio:dependency}", {"dependency_ratio": 0.5}, "en") == "dependency ratio 0.50"
    assert render("{dependency_ratio:dependency}", {"dependency_ratio": MAX_DEPENDENCY}, "zh") == "无 16-59 岁成员"
    assert render("{dependency_ratio:dependency}", {"dependency_ratio": MAX_DEPENDENCY}, "en") == "no member aged 16-59"


def test_a_book_that_misses_a_family_or_names_a_stranger_is_refused(tmp_path, book):
    import yaml

    texts = {k: v for k, v in book.texts.items() if k != "water"}
    (tmp_path / "texts.yaml").write_text(yaml.safe_dump(texts, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ReasonBookError, match="water"):
        ReasonBook.load(tmp_path / "texts.yaml")
    strange = {**book.texts, "illness": {**book.texts["illness"], "default": {"en": "{no_such_feature}",
                                                                               "zh": "x"}}}
    (tmp_path / "strange.yaml").write_text(yaml.safe_dump(strange, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ReasonBookError, match="no_such_feature"):
        ReasonBook.load(tmp_path / "strange.yaml")


def test_reasons_raise_risk_stay_above_the_minimum_and_are_never_other(trained, book):
    _, bundle, test = trained
    explained = explain(bundle, test)
    found = reasons(explained, test, book, min_contribution=0.05, max_reasons=4)
    assert any(found)
    for row, listed in enumerate(found):
        assert len(listed) <= 4
        values = [r.contribution for r in listed]
        assert values == sorted(values, reverse=True) and all(v >= 0.05 for v in values)
        assert not {r.family for r in listed} & {"other", "past_cases"}
        assert all(r.zh and r.en and r.measures for r in listed)
    protective = reasons(explained, test, book, protective=True)
    assert all(r.contribution <= -0.05 for listed in protective for r in listed)


def test_the_same_household_gets_the_same_reasons_alone_in_any_batch_and_order(trained, book):
    _, bundle, test = trained
    rows = test.head(400)
    together = {r["household_id"]: r for r in explain_households(bundle, rows, book, {})}
    shuffled = rows.sample(frac=1.0, random_state=4).reset_index(drop=True)
    again = {r["household_id"]: r for r in explain_households(bundle, shuffled, book, {})}
    household = rows["household_id"].iloc[7]
    alone = explain_households(bundle, rows[rows["household_id"] == household], book, {})[0]
    assert together == again
    assert together[household] == alone


def test_measures_already_received_are_marked(trained, book):
    _, bundle, test = trained
    explained = explain(bundle, test)
    found = reasons(explained, test, book)
    row = next(i for i, listed in enumerate(found) if any(r.family == "illness" for r in listed)) \
        if any(r.family == "illness" for listed in found for r in listed) else None
    if row is None:
        pytest.skip("no illness reason in this small county")
    household = str(explained.household_id[row])
    marked = reasons(explained, test, book, received={household: {"medical_aid"}})[row]
    illness = next(r for r in marked if r.family == "illness")
    assert {m.code: m.received for m in illness.measures}["medical_aid"] is True
    assert {m.code: m.received for m in illness.measures}["chronic_disease_care"] is False


def test_what_changed_names_the_family_a_new_hospital_bill_moves(trained, book):
    _, bundle, test = trained
    before_rows = test.head(200).reset_index(drop=True)
    after_rows = before_rows.copy()
    after_rows["medical_oop_12m"] += 40_000
    after_rows["medical_oop_3m"] += 40_000
    after_rows["medical_oop_rule_ratio_12m"] = after_rows["medical_oop_12m"] / 6_000
    changes = what_changed(explain(bundle, before_rows), explain(bundle, after_rows), after_rows, book)
    first = [listed[0] for listed in changes if listed]
    assert len(first) > 100 and np.mean([c.family == "illness" for c in first]) > 0.9
    for row, listed in enumerate(changes):
        for change in listed:
            if change.family == "illness" and change.feature in ("medical_oop_12m", "medical_oop_3m"):
                assert f"{round(after_rows.loc[row, 'medical_oop_12m']):,}" in change.en   # the new figure
    unchanged = what_changed(explain(bundle, before_rows), explain(bundle, before_rows), before_rows, book)
    assert not any(unchanged)


def test_bands_keep_ties_together_and_twenty_is_the_highest_risk():
    validation = np.r_[np.linspace(0.001, 0.2, 900), np.full(100, 0.5)]
    bands = Bands.fit(validation, (("high", 17), ("medium", 11), ("low", 1)))
    assigned = bands.band(validation)
    assert assigned.min() >= 1 and assigned.max() == 20
    assert len(set(assigned[validation == 0.5])) == 1            # ties in one band
    assert np.all(np.diff(bands.band(np.sort(validation))) >= 0)  # monotone
    counts = np.bincount(bands.band(validation[:900]), minlength=21)[1:]
    assert counts[:18].min() >= 40                               # equal shares where scores differ
    assert list(bands.tier(np.array([20, 17, 16, 11, 10, 1]))) == ["high", "high", "medium", "medium", "low", "low"]
