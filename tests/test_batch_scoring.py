"""`stayout score` as a county data team runs it: a dirty export, killed runs resumed, reruns, the
township lists for Excel, the report, and the online store."""
from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from features.build import build_features
from features.facts import Facts, household_tables
from features.read import read_export
from models import registry
from serving.batch import MARKER, STOP_AT_VARIABLE, WORK
from serving.store import SCHEMA_VERSION, Store, StoreSchemaError
from stayout.cli import main
from synthetic.export import write_export
from synthetic.simulate import SimulationConfig, simulate
from tests.conftest import home_set_to, home_with_model

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2024-06-01"
ARGS = ["--as-of", AS_OF, "--chunk-households", "150", "--capacity-per-township", "6"]


@pytest.fixture(scope="module")
def county(tmp_path_factory, trained_once):
    """A trained model and a small dirty county export to score (its own STAYOUT_HOME)."""
    base = tmp_path_factory.mktemp("batch")
    home = base / "home"
    with home_set_to(home_with_model(trained_once, home)):
        write_export(simulate(SimulationConfig(households=400, counties=2, start="2021-01", months=42, seed=31)),
                     base / "county", dirty_rate=0.01, seed=31)
        yield {"base": base, "home": home, "data": base / "county", "config": trained_once["config"]}


@pytest.fixture(autouse=True)
def stayout_home(county, monkeypatch):       # every test here uses the module's home (its model and store)
    monkeypatch.setenv("STAYOUT_HOME", str(county["home"]))


def _score(county, out: Path, *extra: str) -> int:
    return main(["-q", "score", str(county["data"]), "--out", str(out), "--config", str(county["config"]), *ARGS,
                 *extra])


def _killed(county, out: Path, point: str) -> int:
    env = {**os.environ, STOP_AT_VARIABLE: point, "STAYOUT_HOME": str(county["home"])}
    command = [sys.executable, "-m", "stayout.cli", "-q", "score", str(county["data"]), "--out", str(out),
               "--config", str(county["config"]), *ARGS]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600).returncode


def _outputs(run: Path) -> dict:
    found = {"scores": pd.read_parquet(run / "scores.parquet"),
             "summary": json.loads((run / "summary.json").read_text(encoding="utf-8")),
             "report": (run / "report.html").read_bytes()}
    found.update({f"csv:{p.name}": p.read_bytes() for p in sorted((run / "townships").glob("*.csv"))})
    return found


def _stored(home: Path) -> dict:
    with sqlite3.connect(home / "store.sqlite") as connection:
        return {table: pd.read_sql_query(f"SELECT * FROM {table} ORDER BY 1, 2", connection)
                for table in ("scores", "record_index", "record_blocks", "facts", "run_counties")}


def _assert_same_outputs(found: dict, expected: dict) -> None:
    assert found.keys() == expected.keys()
    pd.testing.assert_frame_equal(found["scores"], expected["scores"])
    assert found["summary"] == expected["summary"]
    for key in expected:
        if key not in ("scores", "summary"):
            assert found[key] == expected[key], key


@pytest.fixture(scope="module")
def finished(county):
    out = county["base"] / "uninterrupted"
    assert main(["-q", "score", str(county["data"]), "--out", str(out), "--config", str(county["config"]), *ARGS]) \
        == 0
    run = out / AS_OF / "v1"
    return {"out": out, "run": run, "outputs": _outputs(run), "store": _stored(county["home"])}


def test_reconciliation_of_a_dirty_export(county, finished):
    summary = finished["outputs"]["summary"]
    recon = summary["reconciliation"]
    assert recon["rows_quarantined"] > 0 and recon["rows_reconcile"] and recon["households_reconcile"]
    assert recon["rows_read"] == recon["rows_accepted"] + recon["rows_collapsed"] + recon["rows_quarantined"]
    quarantine = county["home"] / "quarantine" / "county"
    on_file = sum(len(pd.read_csv(quarantine / f"{table}.csv")) for table in recon["quarantined_by_table"])
    assert on_file == recon["rows_quarantined"]
    scores = finished["outputs"]["scores"]
    assert recon["households_in_cohort"] == recon["scored"] == len(scores) == scores["household_id"].nunique()
    assert recon["households_in_export"] == recon["households_in_cohort"] + recon["households_not_in_cohort"]
    assert sum(summary["flagged_per_township"].values()) == recon["flagged"] == scores["flagged"].sum()
    assert sum(summary["scores"]["bands"].values()) == len(scores)
    per_township = scores.groupby("township_code")
    assert (per_township["flagged"].sum() == per_township.size().clip(upper=6)).all()
    flagged = scores[scores["flagged"]]
    assert flagged["explained"].all() and (flagged["rank_in_township"] <= 6).all()
    assert flagged["reason_codes"].map(len).le(4).all() and flagged["reason_codes"].map(len).gt(0).any()
    assert not scores.loc[~scores["explained"], "reason_codes"].map(len).any()
    assert (scores["model_version"] == 1).all() and scores["input_snapshot"].nunique() == 1
    assert (finished["run"] / MARKER).exists() and not (finished["run"] / WORK).exists()


@pytest.mark.parametrize("point", ["part:1", "reasons:0", "stored"])
def test_a_run_killed_and_resumed_gives_the_uninterrupted_result(county, finished, point, tmp_path, capsys):
    out = tmp_path / "killed"
    assert _killed(county, out, point) == -9
    run = out / AS_OF / "v1"
    assert not (run / MARKER).exists() and (run / WORK).exists()
    assert _score(county, out) == 2                       # unfinished: refused without --resume
    if point == "part:1":
        capsys.readouterr()
        assert _score(county, out, "--resume", "--capacity-per-township", "3") == 2
        assert "capacity" in capsys.readouterr().err        # resumed only with the settings it was started with
    assert _score(county, out, "--resume") == 0
    _assert_same_outputs(_outputs(run), finished["outputs"])
    found, expected = _stored(county["home"]), finished["store"]
    for table in ("scores", "record_index", "record_blocks", "facts", "run_counties"):
        pd.testing.assert_frame_equal(found[table], expected[table], obj=table)


def test_a_finished_run_is_not_repeated_unless_forced(county, finished, capsys):
    before = (finished["run"] / MARKER).read_text(encoding="utf-8")
    capsys.readouterr()
    assert _score(county, finished["out"]) == 0
    assert "already finished" in capsys.readouterr().out
    assert (finished["run"] / MARKER).read_text(encoding="utf-8") == before
    assert _score(county, finished["out"], "--resume", "--chunk-households", "200") == 0    # finished: still a no-op
    assert _score(county, finished["out"], "--force") == 0
    assert (finished["run"] / MARKER).read_text(encoding="utf-8") != before
    _assert_same_outputs(_outputs(finished["run"]), finished["outputs"])


def test_a_household_scored_in_the_batch_scores_the_same_alone(county, finished):
    scores = finished["outputs"]["scores"].set_index("household_id")
    export = read_export(county["data"], county["base"] / "q")
    bundle, _ = registry.load_bundle("stayout-relapse", "champion")
    as_of = pd.Timestamp(AS_OF)
    facts = Facts.from_tables(export.tables, [as_of])
    for household in [scores.index[0], scores[scores["flagged"]].index[-1], scores.index[-1]]:
        alone = build_features(household_tables(export.tables, [household]), [as_of], facts=facts)
        assert bundle.predict(alone)[0] == pytest.approx(scores.loc[household, "score"], abs=1e-12)
    store = Store.at_home(county["home"])
    flagged = scores[scores["flagged"]].index[0]
    stored = store.household(flagged)
    assert stored["score"] == pytest.approx(scores.loc[flagged, "score"], abs=1e-12)
    assert [r["code"] for r in stored["explanation"]["reasons"]] == list(scores.loc[flagged, "reason_codes"])
    features = pd.DataFrame([stored["features"]]).assign(household_id=flagged, as_of=as_of)
    assert bundle.predict(features)[0] == pytest.approx(stored["score"], abs=1e-12)
    records = store.records(flagged, stored["run_key"])
    assert len(records["households"]) >= 1 and set(records["households"]["household_id"]) == {flagged}
    again = build_features(store.household_tables(flagged, stored["run_key"]), [as_of],
                           facts=store.facts(stored["run_key"]))
    assert bundle.predict(again)[0] == pytest.approx(scores.loc[flagged, "score"], abs=1e-12)


def test_township_csv_opens_in_excel_with_chinese_headers_and_nothing_personal(finished):
    path = sorted((finished["run"] / "townships").glob("*.csv"))[0]
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(path, encoding="utf-8-sig", dtype={"户编号": str, "村代码": str})
    assert list(table.columns[:4]) == ["排名", "户编号", "村代码", "列入本轮走访"]
    assert table["排名"].is_monotonic_increasing and table["列入本轮走访"].iloc[0] == "是"
    assert set(table["风险等级"]) <= {"高", "中", "低"}
    assert not any(re.search(r"身份证|姓名|电话|phone|name|id_number", c, re.I) for c in table.columns)


def test_report_is_self_contained(finished):
    html = (finished["run"] / "report.html").read_text(encoding="utf-8")
    assert "<html" in html and "switchLanguage" in html
    assert not re.search(r"https?:|ftp:|//[a-z0-9.-]+\.[a-z]{2,}|<link|@import|url\(|src=", html, re.I)
    flagged = finished["outputs"]["scores"].query("flagged")
    assert all(h in html for h in flagged["household_id"])


def test_churn_against_the_previous_run_and_the_current_run_in_the_store(county, finished):
    later = "2024-09-01"
    assert main(["-q", "score", str(county["data"]), "--out", str(finished["out"]), "--config",
                 str(county["config"]), "--as-of", later, "--capacity-per-township", "6"]) == 0
    summary = json.loads((finished["out"] / later / "v1" / "summary.json").read_text(encoding="utf-8"))
    for county_code, churn in summary["churn"].items():
        assert churn["previous_as_of"] == AS_OF
        assert churn["stayed"] + churn["entered"] == summary["counties"][county_code]["flagged"]
        assert 0 <= churn["jaccard"] <= 1
    current = Store.at_home(county["home"]).current_runs()
    assert set(current["as_of"]) == {later}
    assert main(["-q", "score", str(county["data"]), "--out", str(finished["out"]), "--config",
                 str(county["config"]), *ARGS, "--force"]) == 0
    assert set(Store.at_home(county["home"]).current_runs()["as_of"]) == {later}   # an earlier date stays not current


def test_a_store_of_another_schema_is_refused_with_how_to_rebuild(tmp_path):
    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
        connection.execute("INSERT INTO meta VALUES ('schema_version', '0')")
    with pytest.raises(StoreSchemaError, match=f"schema 0.*reads schema {SCHEMA_VERSION}.*stayout score"):
        Store(path).current_runs()


def test_report_in_headless_chromium_screenshot(finished):
    """The page as a person sees it: a screenshot in each language, kept for a look."""
    from PIL import Image

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Chromium is missing: run tools/install-browser (make test does)"
    keep = ROOT / ".stayout" / "test-artifacts"
    keep.mkdir(parents=True, exist_ok=True)
    page = (finished["run"] / "report.html").resolve().as_uri()
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,2200"]
    for language in ("zh", "en"):
        shot = keep / f"report-{language}.png"
        shot.unlink(missing_ok=True)
        url = page + ("#en" if language == "en" else "")
        subprocess.run([browser, *flags, f"--screenshot={shot}", url], capture_output=True, timeout=120, check=True)
        image = Image.open(shot).convert("RGB")
        assert image.size == (1280, 2200)
        colours = image.resize((320, 550)).getcolors(maxcolors=1_000_000)
        assert len(colours) > 50                         # text, tables and the band chart, not a blank page
        dom = subprocess.run([browser, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120,
                             check=True).stdout
        assert ('class="lang-en"' in dom) == (language == "en")
        assert "风险档分布" in dom and "Households by band" in dom
