"""The contract declaration is complete and its user page is generated from it."""
from __future__ import annotations

from pathlib import Path

from features.contract import CONTRACT_VERSION, TABLES, TABLE_NAMES
from features.contract_docs import render_contract
from stayout.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_twelve_tables_each_with_recorded_at():
    assert len(TABLES) == 12
    assert TABLE_NAMES[:4] == ("areas", "monitoring_lines", "households", "members")
    for table in TABLES:
        assert table.column_names[-1] == "recorded_at"
        assert set(table.key) <= set(table.column_names)


def test_docs_page_is_generated_from_the_declaration():
    on_disk = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert on_disk == render_contract(), "docs/data-contract.md is stale: run `stayout docs`"


def test_docs_command_writes_the_pages(tmp_path):
    assert main(["docs", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "features.md").exists()
    text = (tmp_path / "data-contract.md").read_text(encoding="utf-8")
    for table in TABLES:
        assert f"## {table.name}" in text
    assert "`ex_poor` (脱贫户)" in text


def test_version_2_is_declared_and_documented():
    assert CONTRACT_VERSION == "2"
    text = render_contract()
    assert text.startswith("# Household data contract, version 2")
    text = " ".join(text.split())  # the page wraps its lines
    for words in ('`{"exported_at": "2024-01-01 00:00:00"}`', "recorded after the export was taken",
                  "`2022-02-30` or `2021-04-31` is invalid, never", "original text unchanged",
                  "a folder `TABLE.parquet/` of Parquet parts read in the parts' name order",
                  "## Outcome and cohort", "the 12 calendar months starting with D's month",
                  "A month that is not assessed is unknown, never zero income",
                  "In every other case `need` is unknown (null)",
                  "end (`exported_at`, else the latest `recorded_at` in the export)"):
        assert words in text, words
