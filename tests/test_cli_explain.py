"""`stayout explain` as a case worker's supervisor runs it: the top of the list, named households, JSON lines."""
from __future__ import annotations

import json

import pytest

from stayout.cli import main
from tests.conftest import home_with_model

pytestmark = pytest.mark.slow


@pytest.fixture
def trained(trained_once, tmp_path, monkeypatch):
    monkeypatch.setenv("STAYOUT_HOME", str(home_with_model(trained_once, tmp_path / "home")))
    return trained_once["county"]


def test_explain_the_top_households_named_ones_and_unknown_ones(trained, tmp_path, capsys):
    capsys.readouterr()
    out = tmp_path / "top.jsonl"
    assert main(["-q", "explain", str(trained), "--as-of", "2024-06-01", "--top", "20", "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 20
    scores = [r["score"] for r in records]
    assert scores == sorted(scores, reverse=True) and all(1 <= r["band"] <= 20 for r in records)
    assert all(r["model_version"] == 1 and r["tier"] in ("high", "medium", "low") for r in records)
    reasons = [reason for r in records for reason in r["reasons"]]
    assert reasons and all(reason["zh"] and reason["en"] and reason["measures"] for reason in reasons)
    assert all(len(r["reasons"]) <= 4 for r in records)
    assert not any("nan" in reason["en"].lower() for reason in reasons)

    chosen = [records[3]["household_id"], records[0]["household_id"]]
    assert main(["-q", "explain", str(trained), "--as-of", "2024-06-01", "--household", chosen[0],
                 "--household", chosen[1], "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert printed.index(chosen[0]) < printed.index(chosen[1]) and "band" in printed
    assert records[0]["reasons"][0]["en"] in printed if records[0]["reasons"] else True

    assert main(["-q", "explain", str(trained), "--as-of", "2024-06-01", "--household", chosen[0], "--since",
                 "2023-06-01", "--out", str(tmp_path / "since.jsonl")]) == 0
    since = json.loads((tmp_path / "since.jsonl").read_text(encoding="utf-8"))
    assert since["since"] == "2023-06-01" and 0 <= since["previous_score"] <= 1
    assert all(c["direction"] in ("raised", "lowered") and c["en"] for c in since["changes"])

    assert main(["-q", "explain", str(trained), "--as-of", "2024-06-01", "--household", "NO-SUCH-HOUSEHOLD"]) == 2
    assert "NO-SUCH-HOUSEHOLD" in capsys.readouterr().err
    assert main(["-q", "explain", str(trained), "--as-of", "June 2024x"]) == 2
