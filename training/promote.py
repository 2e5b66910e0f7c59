"""The promotion gate: a challenger replaces the champion only when it is better and no less fair.

The figures come from the challenger's training run, where both were judged on final dates that
neither learned from (`training.gate`: the registered champion on unseen dates, or the two
procedures retrained on the same dates). The decision and its figures are written to the
challenger's run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass


from models import registry
from stayout.errors import InputError
from training.config import GateConfig

RECALL = "recall_at_capacity"
AUC = "roc_auc"
CHALLENGER, CHAMPION = "gate_challenger_", "gate_champion_"


@dataclass(frozen=True)
class Decision:
    version: int
    promote: bool
    forced: bool
    reasons: tuple[str, ...]
    figures: dict[str, float]

    def summary(self) -> str:
        verdict = "promoted" if self.promote else "refused"
        forced = " (forced)" if self.forced else ""
        return f"version {self.version}: {verdict}{forced}: " + "; ".join(self.reasons)


def judge(metrics: dict[str, float], challenger_flags: list[str], champion_flags: list[str],
          gate: GateConfig) -> tuple[bool, list[str], dict[str, float]]:
    """Apply the gate to the challenger's and the champion's figures on the same test window."""
    recall, champion_recall = metrics.get(CHALLENGER + RECALL, math.nan), metrics.get(CHAMPION + RECALL, math.nan)
    auc, champion_auc = metrics.get(CHALLENGER + AUC, math.nan), metrics.get(CHAMPION + AUC, math.nan)
    figures = {"challenger_recall_at_capacity": recall, "champion_recall_at_capacity": champion_recall,
               "challenger_roc_auc": auc, "champion_roc_auc": champion_auc}
    if math.isnan(champion_recall):
        return False, ["no champion was scored on this challenger's test window; use --force"], figures
    reasons, passed = [], True
    gain = recall - champion_recall
    if gain >= gate.recall_margin:
        reasons.append(f"recall at township capacity {recall:.3f} vs {champion_recall:.3f} (+{gain:.3f})")
    else:
        passed = False
        reasons.append(f"recall at township capacity {recall:.3f} vs {champion_recall:.3f}: "
                       f"gain {gain:+.3f} is below the margin {gate.recall_margin}")
    loss = champion_auc - auc
    if loss > gate.auc_tolerance:
        passed = False
        reasons.append(f"ROC-AUC {auc:.3f} vs {champion_auc:.3f} loses more than {gate.auc_tolerance}")
    new_flags = sorted(set(challenger_flags) - set(champion_flags))
    if new_flags:
        passed = False
        reasons.append("new fairness flags: " + " | ".join(new_flags))
    return passed, reasons, figures


def promote(name: str, version: int | None, gate: GateConfig, force: bool = False) -> Decision:
    """Decide on `version` (default: the challenger alias) and move the champion alias if it passes."""
    candidate = registry.model_version(name, version if version is not None else registry.CHALLENGER)
    champion = registry.version_with_alias(name, registry.CHAMPION)
    if champion and champion.version == candidate.version:
        raise InputError(f"version {candidate.version} is already the champion; nothing to promote")
    fairness = registry.run_json(candidate.run_id, "fairness.json").get("gate", {})
    passed, reasons, figures = judge(registry.run_metrics(candidate.run_id), fairness.get("challenger", []),
                                     fairness.get("champion", []), gate)
    comparison = registry.run_tag(candidate.run_id, "gate.comparison")
    if comparison:
        reasons.insert(0, f"compared as {comparison}")
    scored = registry.run_tag(candidate.run_id, "champion_scored_version")
    if champion and scored != str(champion.version):
        passed = False
        reasons.append(f"the champion is now version {champion.version} but version {scored} was scored in "
                       "this challenger's run; train again to compare them on the same households")
    decision = Decision(candidate.version, passed or force, force and not passed, tuple(reasons), figures)
    _record(candidate.run_id, decision, champion)
    if decision.promote:
        registry.set_alias(name, registry.CHAMPION, candidate.version)
        if champion:   # what `stayout rollback` gives the alias back to
            registry.set_version_tags(name, candidate.version, {"previous_champion": str(champion.version)})
    return decision


def _record(run_id: str, decision: Decision, champion: registry.ModelVersion | None) -> None:
    with registry.run(run_id=run_id) as run:
        run.set_tags({"promotion.decision": "promoted" if decision.promote else "refused",
                         "promotion.forced": str(decision.forced).lower(),
                         "promotion.champion_version": str(champion.version) if champion else "none",
                         "promotion.reasons": " | ".join(decision.reasons)[:4900]})
        run.log_metrics({f"promotion_{k}": v for k, v in decision.figures.items() if not math.isnan(v)})
