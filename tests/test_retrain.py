"""`stayout retrain` and `stayout rollback`: one step for a scheduler, with a decision record."""
from __future__ import annotations

import json

import pytest

from models import registry
from stayout.cli import main
from tests.conftest import home_with_model

pytestmark = pytest.mark.slow
NAME = registry.DEFAULT_MODEL_NAME


def _records(home, kind: str) -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted((home / "decisions").glob(f"*-{kind}-*.json"))]


def test_a_monthly_cycle_scores_monitors_retrains_and_can_roll_back(trained_once, tmp_path, monkeypatch, capsys):
    """The README's cycle over two months: score and monitor each month, then retrain. The same export,
    configuration and seed make the challenger the champion again, which is not better: refused."""
    home = home_with_model(trained_once, tmp_path / "home")
    monkeypatch.setenv("STAYOUT_HOME", str(home))
    config, county = str(trained_once["config"]), str(trained_once["county"])
    for month in ("2024-06-01", "2024-07-01"):
        assert main(["-q", "score", county, "--as-of", month, "--out", str(tmp_path / "scores"), "--config",
                     config]) == 0
        code = main(["-q", "monitor", county, "--as-of", month, "--out", str(tmp_path / "monitor")])
        report = json.loads((tmp_path / "monitor" / f"monitor-{month}.json").read_text(encoding="utf-8"))
        assert code == report["exit_code"]
        assert [entry["as_of"] for entry in report["backtests"]] == ["2024-06-01", "2024-07-01"][:len(
            report["backtests"])] and not any(entry["matured"] for entry in report["backtests"])
    assert len(report["backtests"]) == 2                        # both months' lists, outcomes not final yet
    assert main(["-q", "retrain", county, "--config", config]) == 0
    [record] = _records(home, "retrain")
    assert record["outcome"] == "refused" and record["version"] == 2
    assert record["champion_before"] == record["champion_after"] == 1
    assert any("below the margin" in reason for reason in record["reasons"])
    assert record["would_change"] and "at least" in record["would_change"][0]
    assert record["figures"]["challenger_recall_at_capacity"] == pytest.approx(
        record["figures"]["champion_recall_at_capacity"])
    assert "What would have changed the decision" in capsys.readouterr().out
    assert registry.model_version(NAME, registry.CHAMPION).version == 1
    challenger_run = registry.model_version(NAME, 2).run_id
    assert registry.run_json(challenger_run, "decision.json")["outcome"] == "refused"
    card = registry.run_text(challenger_run, "model_card.md")
    for part in ("# Model card: stayout-relapse version 2", "## Label", "need` is known", "today's rules",
                 "## Fairness at township capacity", "## Known limitations", "Not intended"):
        assert part in card
    page = registry.run_text(challenger_run, "model_card.html")
    assert "<table>" in page and "<h2>Known limitations</h2>" in page

    assert main(["-q", "promote", "--version", "2", "--force", "--config", config]) == 0
    assert registry.model_version(NAME, registry.CHAMPION).version == 2
    assert main(["-q", "rollback", "--config", config]) == 0
    [back] = _records(home, "rollback")
    assert back["outcome"] == "rolled back" and back["champion_before"] == 2 and back["champion_after"] == 1
    assert registry.model_version(NAME, registry.CHAMPION).version == 1
    assert main(["-q", "rollback", "--config", config]) != 0           # version 1 replaced no champion
