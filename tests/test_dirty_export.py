"""Every messy row the generator plants ends where the manifest says, and no clean row is touched."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from features.contract import TABLES_BY_NAME
from features.read import read_export
from features.resolve import resolve_monthly
from synthetic.dirty import make_dirty
from synthetic.export import write_export
from synthetic.simulate import SimulationConfig, simulate

DIRTY_RATE = 0.02


@pytest.fixture(scope="module")
def small_county():
    return simulate(SimulationConfig(households=400, counties=2, start="2021-01", months=24, seed=5))


@pytest.fixture(scope="module", params=["csv", "parquet"])
def dirty_export(request, small_county, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"dirty-{request.param}")
    write_export(small_county, out, file_format=request.param, dirty_rate=DIRTY_RATE, seed=5)
    manifest = json.loads((out / "truth" / "manifest.json").read_text(encoding="utf-8"))
    return read_export(out, out / "quarantine"), manifest, small_county


def _entries(manifest, table, expect):
    return [e for e in manifest["entries"][table] if e["expect"] == expect]


def test_manifest_plants_every_kind(dirty_export):
    _, manifest, _ = dirty_export
    kinds = {e["kind"] for entries in manifest["entries"].values() for e in entries}
    assert kinds >= {"exact_repeat", "source_conflict", "chinese_label", "bad_code", "negative_amount",
                     "unknown_household", "recorded_before_event", "duplicate_id_conflict"}


def test_exactly_the_planted_invalid_rows_are_quarantined(dirty_export):
    export, manifest, _ = dirty_export
    for name, result in export.validation.tables.items():
        planted = {e["row_number"]: e for e in _entries(manifest, name, "quarantined")}
        assert set(result.quarantined["row_number"]) == set(planted), name
        for row in result.quarantined.itertuples():
            assert planted[row.row_number]["column"] in row.column.split(";"), (name, row.reason)
            assert row.reason


def test_repeats_collapse_and_every_table_reconciles(dirty_export):
    export, manifest, _ = dirty_export
    for name, result in export.validation.tables.items():
        assert result.collapsed == len(_entries(manifest, name, "collapsed")), name
        assert result.read == manifest["rows"][name]
        assert result.reconciles


def test_no_clean_row_is_touched(dirty_export):
    export, manifest, simulation = dirty_export
    for name, clean in simulation.tables.items():
        added = len(_entries(manifest, name, "resolved"))
        assert len(export[name]) == len(clean) + added, name


def test_chinese_labels_are_accepted_as_their_codes(dirty_export):
    export, manifest, _ = dirty_export
    relabelled = [(name, e) for name in manifest["entries"] for e in _entries(manifest, name, "accepted")]
    assert relabelled
    for name, entry in relabelled:
        codes = TABLES_BY_NAME[name].column(entry["column"]).code_values
        assert set(export[name][entry["column"]].dropna().astype("str")) <= set(codes), (name, entry)


def test_conflicting_sources_are_resolved_by_precedence(dirty_export):
    export, manifest, simulation = dirty_export
    for name, item in (("income", "source"), ("expenditures", "category")):
        conflicts = _entries(manifest, name, "resolved")
        assert conflicts, name
        resolved = resolve_monthly(export[name], item)
        clean = resolve_monthly(simulation.tables[name], item)
        merged = resolved.merge(clean, on=["household_id", "month", item], suffixes=("", "_clean"))
        assert len(merged) == len(clean)
        assert (merged["data_source"] == merged["data_source_clean"]).all()
        pd.testing.assert_series_equal(merged["amount_yuan"], merged["amount_yuan_clean"], check_names=False)


def test_no_row_is_recorded_after_the_export(small_county):
    rng = np.random.default_rng(5)
    for name, clean in small_county.tables.items():
        frame = make_dirty(name, clean, DIRTY_RATE, rng).frame
        assert (pd.to_datetime(frame["recorded_at"]) < small_county.exported_at).all(), name
