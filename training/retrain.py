"""`stayout retrain` and `stayout rollback`: training and the gate in one step for a scheduler, and
the way back, each leaving a decision record that says why in plain words.

Retraining plans its windows from the export itself (the newest final labels), trains and
registers a challenger, judges it with the promotion gate (only dates neither model learned
from) and promotes it or not. Rolling back gives the champion alias back to the version it
replaced. Records go to `STAYOUT_HOME/decisions/` (JSON and Markdown) and, for a retrain, onto
the challenger's MLflow run.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from models import registry
from stayout.errors import InputError
from stayout.home import stayout_home
from training.config import GateConfig, TrainingConfig
from training.pipeline import TrainingResult, train
from training.promote import Decision, promote

PREVIOUS_CHAMPION = "previous_champion"


@dataclass(frozen=True)
class DecisionRecord:
    kind: str                          # retrain or rollback
    outcome: str                       # first champion, promoted, refused, rolled back
    model_name: str
    version: int                       # the challenger judged, or the version restored
    champion_before: int | None
    champion_after: int | None
    decided_at: str
    reasons: list[str] = field(default_factory=list)
    figures: dict[str, float] = field(default_factory=dict)
    would_change: list[str] = field(default_factory=list)
    learned_until: str | None = None

    def markdown(self) -> str:
        lines = [f"# {self.model_name}: {self.kind}, {self.outcome}", "",
                 f"- decided at {self.decided_at}",
                 f"- version judged or restored: {self.version}",
                 f"- champion before: {self.champion_before or 'none'}; after: {self.champion_after or 'none'}"]
        if self.learned_until:
            lines.append(f"- the challenger learned from dates up to {self.learned_until}")
        lines += ["", "## Why", *[f"- {reason}" for reason in self.reasons]]
        if self.figures:
            lines += ["", "## Figures (same test window, dates neither model learned from)",
                      *[f"- {name}: {value:.4f}" for name, value in self.figures.items() if not math.isnan(value)]]
        if self.would_change:
            lines += ["", "## What would have changed the decision", *[f"- {text}" for text in self.would_change]]
        return "\n".join(lines) + "\n"


def retrain(tables: dict[str, pd.DataFrame], config: TrainingConfig,
            exported_at: pd.Timestamp | None = None, progress=None) -> tuple[DecisionRecord, TrainingResult]:
    name = config.registered_model
    before = _champion(name)
    result = train(tables, config, progress=progress, exported_at=exported_at)
    learned = f"{result.plan.learned_until:%Y-%m-%d}"
    if result.became_champion:
        record = DecisionRecord("retrain", "first champion", name, result.version, None, result.version, _now(),
                                ["there was no champion: the first model becomes it"], learned_until=learned)
    else:
        decision = promote(name, result.version, config.gate)
        record = DecisionRecord("retrain", "promoted" if decision.promote else "refused", name, result.version,
                                before, _champion(name), _now(), list(decision.reasons),
                                {k: float(v) for k, v in decision.figures.items()},
                                would_change(decision, config.gate), learned)
    write_record(record)
    with registry.run(run_id=result.run_id) as run:
        run.log_dict(asdict(record), "decision.json")
        run.log_text(record.markdown(), "decision.md")
    return record, result


def would_change(decision: Decision, gate: GateConfig) -> list[str]:
    """The figures at which the gate would have decided the other way."""
    figures = decision.figures
    recall, champion_recall = figures["challenger_recall_at_capacity"], figures["champion_recall_at_capacity"]
    auc, champion_auc = figures["challenger_roc_auc"], figures["champion_roc_auc"]
    if math.isnan(champion_recall):
        return ["scoring the champion on this challenger's test window (train again while it is registered)"]
    needed = champion_recall + gate.recall_margin
    if decision.promote:
        out = [f"a recall at township capacity under {needed:.3f} (it had {recall:.3f}) would have kept the "
               "champion"]
        if not math.isnan(auc):
            out.append(f"so would a ROC-AUC under {champion_auc - gate.auc_tolerance:.3f} (it had {auc:.3f}) or a "
                       "new recall disparity leaving a group caught less often")
        return out
    out = []
    if recall < needed:
        out.append(f"a recall at township capacity of at least {needed:.3f} (it had {recall:.3f}; the champion "
                   f"{champion_recall:.3f}, the margin {gate.recall_margin})")
    if not math.isnan(auc) and champion_auc - auc > gate.auc_tolerance:
        out.append(f"a ROC-AUC of at least {champion_auc - gate.auc_tolerance:.3f} (it had {auc:.3f})")
    if any(reason.startswith("new fairness flags") for reason in decision.reasons):
        out.append("no new recall disparity leaving a group caught less often than under the champion")
    return out or ["nothing in the figures: the refusal is about which champion was compared; train again"]


def rollback(name: str) -> DecisionRecord:
    """Give the champion alias back to the version the current champion replaced."""
    current = registry.model_version(name, registry.CHAMPION)
    previous = current.tags.get(PREVIOUS_CHAMPION)
    if not previous:
        raise InputError(f"champion version {current.version} of {name} replaced no recorded champion; choose a "
                         "version with `stayout promote --version N --force`")
    registry.set_alias(name, registry.CHAMPION, int(previous))
    registry.set_version_tags(name, current.version, {"rolled_back_at": _now()})
    record = DecisionRecord("rollback", "rolled back", name, int(previous), current.version, int(previous), _now(),
                            [f"version {current.version} handed the champion alias back to version {previous}, "
                             "the champion it had replaced"])
    write_record(record)
    return record


def write_record(record: DecisionRecord) -> Path:
    folder = stayout_home() / "decisions"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{record.decided_at.replace(':', '').replace('-', '')}-{record.kind}-v{record.version}"
    (folder / f"{stem}.json").write_text(json.dumps(asdict(record), indent=1, ensure_ascii=False), encoding="utf-8")
    (folder / f"{stem}.md").write_text(record.markdown(), encoding="utf-8")
    return folder / f"{stem}.json"


def _champion(name: str) -> int | None:
    champion = registry.version_with_alias(name, registry.CHAMPION)
    return champion.version if champion else None


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
