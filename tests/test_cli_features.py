"""`stayout features` writes one row per cohort household and as-of date, with labels on request."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from features.catalogue import FEATURE_NAMES
from features.catalogue_docs import render_catalogue
from features.labels import LABEL_COLUMNS
from stayout.cli import main
from tests.tiny_export import hand_tables, write_tiny_export

ROOT = Path(__file__).resolve().parents[1]


def test_features_monthly_with_labels(tmp_path, capsys):
    data_dir = write_tiny_export(tmp_path / "county", hand_tables())
    out = tmp_path / "features.parquet"
    assert main(["features", str(data_dir), "--monthly", "2022-08", "2022-10", "--labels", "--out", str(out)]) == 0
    frame = pd.read_parquet(out)
    assert list(frame.columns) == ["household_id", "as_of", *FEATURE_NAMES, *LABEL_COLUMNS]
    assert sorted(frame["as_of"].dt.strftime("%Y-%m-%d").unique()) == ["2022-08-01", "2022-09-01", "2022-10-01"]
    assert "3 as-of dates" in capsys.readouterr().out


def test_features_single_dates_without_labels(tmp_path):
    data_dir = write_tiny_export(tmp_path / "county", hand_tables())
    out = tmp_path / "f.parquet"
    assert main(["features", str(data_dir), "--as-of", "2022-08-01", "--as-of", "2022-07-01", "--out", str(out)]) == 0
    frame = pd.read_parquet(out)
    assert len(frame) == 2 + 3 and "relapse_12m" not in frame.columns


def test_bad_as_of_date_is_a_clear_error(tmp_path, capsys):
    data_dir = write_tiny_export(tmp_path / "county", hand_tables())
    assert main(["features", str(data_dir), "--as-of", "2022-13-01", "--out", str(tmp_path / "x.parquet")]) == 2
    assert "as-of dates" in capsys.readouterr().err


def test_feature_page_is_generated_from_the_catalogue():
    on_disk = (ROOT / "docs" / "features.md").read_text(encoding="utf-8")
    assert on_disk == render_catalogue(), "docs/features.md is stale: run `stayout docs`"
    for name in FEATURE_NAMES:
        assert f"`{name}`" in on_disk
