"""Reading in parts of households gives what reading whole gives: the same reconciliation, the same
quarantine (file row numbers, the file's text), the same accepted rows and the same features."""
from __future__ import annotations

import pandas as pd
import pytest

from features.build import build_features
from features.facts import Facts
from features.fingerprint import data_snapshot_hash
from features.parted import PARTED_TABLES, read_export_in_parts
from features.read import read_export
from synthetic.export import write_export
from synthetic.simulate import SimulationConfig, simulate

PART = 70
AS_OF = pd.Timestamp("2022-10-01")


@pytest.fixture(scope="module", params=["parquet", "csv"])
def export(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"parted-{request.param}")
    write_export(simulate(SimulationConfig(households=260, counties=2, start="2021-01", months=24, seed=5)),
                 folder / "county", file_format=request.param, dirty_rate=0.02, seed=5)
    whole = read_export(folder / "county", folder / "q-whole")
    parted = read_export_in_parts(folder / "county", folder / "parts", PART, folder / "q-parted")
    return folder, whole, parted


def test_reconciliation_and_quarantine_are_the_same(export):
    folder, whole, parted = export
    pd.testing.assert_frame_equal(whole.validation.reconciliation(), parted.validation.reconciliation())
    assert parted.validation.reconciliation()["quarantined"].sum() > 0
    for name in PARTED_TABLES:
        assert len(whole.validation.tables[name].quarantined) > 0
    for path in sorted((folder / "q-whole").glob("*.csv")):
        assert (folder / "q-parted" / path.name).read_bytes() == path.read_bytes(), path.name
    assert sorted(p.name for p in (folder / "q-parted").glob("*.csv")) == \
        sorted(p.name for p in (folder / "q-whole").glob("*.csv"))


def test_accepted_rows_of_the_parts_are_the_whole_tables_rows(export):
    _, whole, parted = export
    ids = pd.Index(parted.partition.household_ids)
    assert len(parted) == -(-len(ids) // PART) > 2
    tables = {name: pd.concat([parted.part_tables(k)[name] for k in range(len(parted))], ignore_index=True)
              for name in whole.tables}
    for name in PARTED_TABLES:
        rows = whole.tables[name]
        part = ids.get_indexer(rows["household_id"].astype("str")) // PART
        expected = rows.assign(_part=part).sort_values("_part", kind="stable").drop(columns="_part")
        pd.testing.assert_frame_equal(tables[name], expected.reset_index(drop=True), check_categorical=False, obj=name)
    restored = {name: (tables[name] if name in PARTED_TABLES else whole.tables[name]) for name in whole.tables}
    assert data_snapshot_hash(restored) == data_snapshot_hash(whole.tables) == parted.snapshot


def test_features_of_each_part_equal_the_whole_county(export):
    _, whole, parted = export
    facts = Facts.from_tables(parted.reference_tables(), [AS_OF])
    expected = build_features(whole.tables, [AS_OF]).set_index("household_id").sort_index()
    built = pd.concat([build_features(parted.part_tables(k), [AS_OF], facts=facts) for k in range(len(parted))],
                      ignore_index=True).set_index("household_id").sort_index()
    pd.testing.assert_frame_equal(built, expected, rtol=1e-9, atol=1e-9)
