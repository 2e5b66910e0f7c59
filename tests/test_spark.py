"""The Spark engine (local[2]) gives what the pandas engine gives: the same reconciliation and
quarantine, the same features, the same scores, lists, reasons and summary, on a dirty export
whose largest tables are folders of Parquet parts."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from features.build import build_features
from features.read import read_export
from stayout.cli import main
from stayout.errors import TableUnusableError
from synthetic.export import write_export
from synthetic.simulate import SimulationConfig, simulate

from .conftest import home_with_model

pytestmark = pytest.mark.slow
pyspark = pytest.importorskip("pyspark")

DATES = ["2022-06-01", "2023-01-01"]
AS_OF = "2023-01-01"


@pytest.fixture(scope="module")
def spark():
    from serving.spark_engine import spark_session

    session = spark_session()
    yield session
    session.stop()


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    """A dirty county whose income and members tables are folders of parts; name order is not size order."""
    base = tmp_path_factory.mktemp("spark-county")
    data = base / "county"
    write_export(simulate(SimulationConfig(households=420, counties=2, start="2021-01", months=30, seed=31)), data,
                 dirty_rate=0.01, seed=31)
    for name, cuts in (("income", (0.1, 0.7)), ("members", (0.5,))):
        whole = pq.read_table(data / f"{name}.parquet")
        (data / f"{name}.parquet").unlink()
        folder = data / f"{name}.parquet"
        folder.mkdir()
        bounds = [0, *[int(whole.num_rows * c) for c in cuts], whole.num_rows]
        for k, (low, high) in enumerate(zip(bounds, bounds[1:])):
            pq.write_table(whole.slice(low, high - low), folder / f"part-{k:05d}.parquet")
        (folder / "_SUCCESS").write_text("")
    return data


def test_validate_prints_the_pandas_engines_reconciliation(spark, county, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STAYOUT_HOME", str(tmp_path / "home"))
    assert main(["validate", county.as_uri(), "--engine", "spark"]) == 0
    table = read_export(county).validation.reconciliation()
    assert table["quarantined"].sum() > 0 and table.to_string(index=False) in capsys.readouterr().out


def test_scores_lists_reasons_and_summary_are_the_pandas_engines(spark, county, trained_once, tmp_path, monkeypatch):
    home = home_with_model(trained_once, tmp_path / "home")
    monkeypatch.setenv("STAYOUT_HOME", str(home))
    common = ["--as-of", AS_OF, "--config", str(trained_once["config"]), "--capacity-per-township", "5"]
    assert main(["-q", "score", str(county), "--out", str(tmp_path / "pandas"), "--no-store", *common]) == 0
    assert main(["-q", "score", str(county), "--out", str(tmp_path / "spark"), "--engine", "spark", *common]) == 0
    pandas_run, spark_run = (next((tmp_path / name).glob("*/v*")) for name in ("pandas", "spark"))
    expected, got = (pd.read_parquet(run / "scores.parquet") for run in (pandas_run, spark_run))
    assert len(got) == len(expected) > 350 and got["explained"].sum() >= 20
    np.testing.assert_allclose(got["score"], expected["score"], rtol=0, atol=1e-9)
    for column in expected.columns.drop("score"):
        assert [_plain(v) for v in got[column]] == [_plain(v) for v in expected[column]], column
    assert json.loads((spark_run / "summary.json").read_text()) == json.loads((pandas_run / "summary.json").read_text())
    csvs = sorted(p.name for p in (pandas_run / "townships").glob("*.csv"))
    assert csvs and sorted(p.name for p in (spark_run / "townships").glob("*.csv")) == csvs
    for name in csvs:
        assert (spark_run / "townships" / name).read_bytes() == (pandas_run / "townships" / name).read_bytes()
    assert json.loads((spark_run / "_COMPLETE.json").read_text())["engine"] == "spark"
    assert main(["-q", "score", str(county), "--out", str(tmp_path / "spark"), "--engine", "spark", *common]) == 0


def test_a_csv_table_or_a_missing_column_is_refused_before_any_work(spark, county, tmp_path):
    from serving.spark_engine import SparkExport

    csv = tmp_path / "csv-county"
    shutil.copytree(county, csv)
    shutil.rmtree(csv / "income.parquet")
    (csv / "income.csv").write_text("household_id\n", encoding="utf-8")
    with pytest.raises(TableUnusableError, match="income.*Parquet tables only.*--engine pandas"):
        SparkExport.open(spark, str(csv))
    missing = tmp_path / "missing-column"
    shutil.copytree(county, missing)
    visits = pq.read_table(missing / "visits.parquet")
    pq.write_table(visits.drop_columns(["visited_on"]), missing / "visits.parquet")
    with pytest.raises(TableUnusableError, match="visits.*visited_on is missing"):
        SparkExport.open(spark, str(missing))


def test_spark_submit_writes_the_pandas_engines_features_and_quarantine(county, tmp_path):
    """The documented cluster path, on local[2]: spark-submit starts the command line as its driver,
    which takes spark-submit's master; the export is given as a URI. The features are the pandas
    engine's (to 1e-9), and so are the quarantine files, byte for byte (row numbers count across
    the parts)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    import stayout.cli

    env = {**os.environ, "STAYOUT_HOME": str(tmp_path / "home"), "PYSPARK_PYTHON": sys.executable,
           "SPARK_LOCAL_IP": "127.0.0.1"}
    out = tmp_path / "features"
    done = subprocess.run(
        [str(Path(sys.executable).parent / "spark-submit"), "--master", "local[2]", "--conf", "spark.ui.enabled=false",
         "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
         stayout.cli.__file__, "features", county.as_uri(), "--engine", "spark", "--out", out.as_uri(),
         *[x for d in DATES for x in ("--as-of", d)]],
        env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "households" in done.stdout

    whole = read_export(county, tmp_path / "q-pandas")
    got = pd.read_parquet(out).sort_values(["as_of", "household_id"]).reset_index(drop=True)
    expected = build_features(whole.tables, [pd.Timestamp(d) for d in DATES])
    expected = expected.sort_values(["as_of", "household_id"]).reset_index(drop=True)
    assert len(got) == len(expected) > 700
    assert list(got.columns) == list(expected.columns)
    for column in expected.columns:
        if expected[column].dtype == "float64":
            np.testing.assert_allclose(got[column].to_numpy(), expected[column].to_numpy(), rtol=0, atol=1e-9,
                                       equal_nan=True, err_msg=column)
        else:
            assert got[column].astype(str).tolist() == expected[column].astype(str).tolist(), column

    assert whole.validation.tables["income"].quarantined["row_number"].max() > pq.read_metadata(
        county / "income.parquet" / "part-00000.parquet").num_rows
    quarantine = tmp_path / "home" / "quarantine" / "county"
    written = sorted(p.name for p in (tmp_path / "q-pandas").glob("*.csv"))
    assert written and sorted(p.name for p in quarantine.glob("*.csv")) == written
    for name in written:
        assert (quarantine / name).read_bytes() == (tmp_path / "q-pandas" / name).read_bytes(), name


def _plain(value):
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and np.isnan(value):
        return None
    return value.isoformat() if isinstance(value, pd.Timestamp) else value
