"""The promotion gate: a challenger replaces the champion only when it is better and no less fair.

No less fair means no new recall disparity between groups (the share of each group's relapses
the list catches, the miss rate's complement) that leaves its group caught less often than the
champion caught it: a disparity that comes only from the other groups gaining is reported, since
refusing it would keep everyone at the champion's level. A new precision disparity is written in the
reasons but does not decide: where groups relapse at different rates, as elderly-only
households do, equal recall and equal precision cannot both hold, and missing a household in
need is the harm this list exists to avoid.

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
from training.fairness import read_flag

RECALL = "recall_at_capacity"
AUC = "roc_auc"
CHALLENGER, CHAMPION = "gate_challenger_", "gate_champion_"
# For an assistive programme the miss rate per group matters most: a new recall disparity (in
# either direction, since the reference group can be the one missed) keeps a challenger out.
BINDING = "recall"


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
          gate: GateConfig, group_recall: dict[str, dict[str, float]] | None = None
          ) -> tuple[bool, list[str], dict[str, float]]:
    """Apply the gate to the challenger's and the champion's figures on the same test window;
    `group_recall` holds each model's recall per group ("attribute=value") there."""
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
    new_flags = new_fairness_flags(challenger_flags, champion_flags)
    binding = [flag for flag in new_flags if read_flag(flag).metric == BINDING]
    harms = [flag for flag in binding if _leaves_behind(flag, group_recall)]
    if harms:
        passed = False
        reasons.append("new fairness flags: " + " | ".join(harms))
    if kept := [flag for flag in binding if flag not in harms]:
        reasons.append("new recall disparities where the group left behind is caught at least as often as under "
                       "the champion (the others gained; nobody lost), reported but not binding: " + " | ".join(kept))
    if noted := [flag for flag in new_flags if flag not in binding]:
        reasons.append("new precision differences, reported but not binding (precision follows each group's "
                       "relapse rate, so it cannot be held equal together with recall): " + " | ".join(noted))
    return passed, reasons, figures


def _leaves_behind(flag: str, group_recall: dict[str, dict[str, float]] | None) -> bool:
    """Whether the group a new recall disparity leaves behind has a lower recall under the
    challenger than under the champion (unknown recalls count as lower)."""
    group = read_flag(flag).worse_off
    if not group_recall:
        return True
    now = group_recall.get("challenger", {}).get(group, math.nan)
    before = group_recall.get("champion", {}).get(group, math.nan)
    return math.isnan(now) or math.isnan(before) or now < before


def new_fairness_flags(challenger_flags: list[str], champion_flags: list[str]) -> list[str]:
    """The challenger's flags about a metric and group the champion's flags do not name (the same
    disparity with other figures is not new)."""
    held = {read_flag(flag).subject for flag in champion_flags}
    return [flag for flag in challenger_flags if read_flag(flag).subject not in held]


def promote(name: str, version: int | None, gate: GateConfig, force: bool = False) -> Decision:
    """Decide on `version` (default: the challenger alias) and move the champion alias if it passes."""
    candidate = registry.model_version(name, version if version is not None else registry.CHALLENGER)
    champion = registry.version_with_alias(name, registry.CHAMPION)
    if champion and champion.version == candidate.version:
        raise InputError(f"version {candidate.version} is already the champion; nothing to promote")
    fairness = registry.run_json(candidate.run_id, "fairness.json").get("gate", {})
    passed, reasons, figures = judge(registry.run_metrics(candidate.run_id), fairness.get("challenger", []),
                                     fairness.get("champion", []), gate, fairness.get("recall"))
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
