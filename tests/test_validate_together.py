"""Small tables (a request's households) are parsed together, each kind of column in one pass:
the outcome is the same, row for row and reason for reason, as parsing them a table at a time."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from features.contract import TABLES
from features.parse import parse_column, parse_columns
from features.validate import THREADED_ROWS, _parsed_ahead, _References, validate_table, validate_tables
from synthetic.export import write_export
from synthetic.simulate import SimulationConfig, simulate

ROWS = 1_500   # below THREADED_ROWS: the tables are parsed together


@pytest.fixture(scope="module")
def county():
    return simulate(SimulationConfig(households=120, counties=1, start="2021-01", months=24, seed=11))


@pytest.fixture(scope="module", params=["csv", "parquet"])
def dirty_tables(request, county, tmp_path_factory):
    """The first rows of each table of a dirty export (5% dirty rows), as the reader gives them:
    CSV as text, Parquet typed."""
    out = tmp_path_factory.mktemp(f"together-{request.param}")
    write_export(county, out, file_format=request.param, dirty_rate=0.05, seed=11)
    tables = {}
    for table in TABLES:
        if request.param == "csv":
            raw = pacsv.read_csv(out / f"{table.name}.csv", convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in table.column_names}))
        else:
            raw = pq.read_table(out / f"{table.name}.parquet")
        tables[table.name] = raw.slice(0, ROWS)
    assert all(raw.num_rows < THREADED_ROWS for raw in tables.values())
    return tables


def _one_at_a_time(tables: dict[str, pa.Table]):
    references, results = _References(), {}
    for table in TABLES:
        results[table.name] = validate_table(table, tables[table.name], references)
        references.add(table.name, results[table.name].accepted)
    return results


def test_tables_parsed_together_validate_as_one_at_a_time(dirty_tables):
    assert _parsed_ahead(dirty_tables, {})   # the joined parse is the one taken
    together = validate_tables(dirty_tables).tables
    alone = _one_at_a_time(dirty_tables)
    quarantined = 0
    for name, result in alone.items():
        pd.testing.assert_frame_equal(together[name].accepted, result.accepted, obj=f"{name} accepted")
        pd.testing.assert_frame_equal(together[name].quarantined, result.quarantined, obj=f"{name} quarantined")
        assert together[name].collapsed == result.collapsed
        quarantined += len(result.quarantined)
    assert quarantined > 20   # the dirty rows were there to be found


def test_each_column_parses_alike_alone_and_joined(dirty_tables):
    items = [(dirty_tables[table.name].column(column.name), column)
             for table in TABLES for column in table.columns if column.name in dirty_tables[table.name].column_names]
    problems = 0
    for (raw, column), (values, found) in zip(items, parse_columns(items)):
        alone, alone_found = parse_column(raw, column)
        pd.testing.assert_series_equal(values, alone, obj=column.name, check_names=False)
        assert [(p.column, p.mask.tolist()) for p in found] == [(p.column, p.mask.tolist()) for p in alone_found]
        for joined, single in zip(found, alone_found):
            if isinstance(single.message, str):
                assert joined.message == single.message
            else:
                pd.testing.assert_series_equal(joined.message, single.message)
        problems += len(found)
    assert problems >= 5   # some columns have bad values


def test_blank_and_padded_text_is_read_the_same_joined():
    dates = pa.chunked_array([pa.array(["2023-06-01", " 2023-02-30", "", None, "2023-6-1", "2023-06-01 10:00:00"])])
    stamps = pa.chunked_array([pa.array(["2023-06-01 09:30:00", "2023-06-01T09:30", "2023-06-01 09:30:61", None])])
    numbers = pa.chunked_array([pa.array(["1.5", "abc", "1e999", " 7 ", ""])])
    by_name = {column.name: column for table in TABLES for column in table.columns}
    items = [(dates, by_name["occurred_on"]), (stamps, by_name["recorded_at"]), (numbers, by_name["amount_yuan"])]
    for (raw, column), (values, found) in zip(items, parse_columns(items)):
        alone, alone_found = parse_column(raw, column)
        pd.testing.assert_series_equal(values, alone, check_names=False)
        assert [np.flatnonzero(p.mask).tolist() for p in found] == [np.flatnonzero(p.mask).tolist()
                                                                     for p in alone_found]
        assert found   # each column has a bad value
