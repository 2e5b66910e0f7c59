"""`stayout retrain` and `stayout rollback`: one step for a scheduler, with a decision record."""
from __future__ import annotations

import json

import pytest
import yaml

from models import registry
from stayout.cli import main
from tests.conftest import SMALL_TRAINING, home_with_model

pytestmark = pytest.mark.slow
NAME = registry.DEFAULT_MODEL_NAME


def _records(home, kind: str) -> list[dict]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted((home / "decisions").glob(f"*-{kind}-*.json"))]


def test_a_monthly_cycle_scores_monitors_retrains_and_can_roll_back(trained_once, tmp_path, monkeypatch, capsys):
    """The README's cycle over two months: score and monitor each month, then retrain: a worse challenger
    is kept out, a better one let in, and each promotion can be rolled back."""
    home = home_with_model(trained_once, tmp_path / "home")
    monkeypatch.setenv("STAYOUT_HOME", str(home))
    config, county = str(trained_once["config"]), str(trained_once["county"])
    for month in ("2024-07-01", "2024-08-01"):
        assert main(["-q", "score", county, "--as-of", month, "--out", str(tmp_path / "scores"), "--config",
                     config]) == 0
        code = main(["-q", "monitor", county, "--as-of", month, "--out", str(tmp_path / "monitor")])
        report = json.loads((tmp_path / "monitor" / f"monitor-{month}.json").read_text(encoding="utf-8"))
        assert code == report["exit_code"]
        assert [entry["as_of"] for entry in report["backtests"]] == ["2024-07-01", "2024-08-01"][:len(
            report["backtests"])] and not any(entry["matured"] for entry in report["backtests"])
    assert len(report["backtests"]) == 2                        # both months' lists, outcomes not final yet
    # a challenger that can hardly rank (one two-leaf tree on a few inputs) is worse: refused
    weak = tmp_path / "weak.yaml"
    weak.write_text(yaml.safe_dump({**SMALL_TRAINING, "model": {"n_estimators": 1, "num_leaves": 2,
                                                                 "colsample_bytree": 0.05, "min_child_samples": 400}}),
                    encoding="utf-8")
    assert main(["-q", "retrain", county, "--config", str(weak)]) == 0
    [refused] = _records(home, "retrain")
    assert refused["outcome"] == "refused" and refused["version"] == 2
    assert refused["champion_before"] == refused["champion_after"] == 1
    assert refused["figures"]["challenger_roc_auc"] < refused["figures"]["champion_roc_auc"]
    assert refused["would_change"] and "at least" in refused["would_change"][0]
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

    # with the weak model forced in, the usual configuration ranks far better. It lists no elderly-only
    # household in need, so its recall for them is 0 against the others' (a new flag), but the weak
    # champion caught none of them either: nobody is worse off, the flag is reported and it is promoted
    assert main(["-q", "promote", "--version", "2", "--force", "--config", config]) == 0
    assert main(["-q", "retrain", county, "--config", config]) == 0
    better = _records(home, "retrain")[-1]
    assert better["version"] == 3 and better["outcome"] == "promoted"
    assert better["champion_before"] == 2 and better["champion_after"] == 3
    figures = better["figures"]
    assert figures["challenger_recall_at_capacity"] >= figures["champion_recall_at_capacity"] + 0.01
    assert figures["challenger_roc_auc"] > figures["champion_roc_auc"]
    assert any("reported but not binding" in reason and "recall of elderly_only=True" in reason
               for reason in better["reasons"])
    assert any("would have kept the champion" in text for text in better["would_change"])
    assert main(["-q", "rollback", "--config", config]) == 0
    back = _records(home, "rollback")[-1]
    assert back["outcome"] == "rolled back" and back["champion_after"] == 2
    assert main(["-q", "rollback", "--config", config]) == 0
    assert registry.model_version(NAME, registry.CHAMPION).version == 1
    assert main(["-q", "rollback", "--config", config]) != 0             # version 1 replaced no champion
