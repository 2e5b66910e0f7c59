"""Champion and challenger, judged only on final dates that neither learned from.

The challenger's evaluated model is its pre-refit twin, trained on the plan's training dates and
tested on dates after them. The registered champion learned from every usable date up to its
`learned_until`. So:

- when the challenger's test window holds at least `MIN_UNSEEN_DATES` dates after the champion's
  `learned_until`, the registered champion is scored on those dates beside the challenger's twin;
- otherwise the champion's configuration is trained again on the challenger's training and
  validation dates, and the two pre-refit twins are compared on the challenger's test window:
  a comparison of procedures, recorded as such.

The figures go into the challenger's run as `gate_challenger_*` and `gate_champion_*` metrics;
`stayout promote` decides on them.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd
from pydantic import ValidationError

from features.catalogue import model_features
from models import registry
from stayout.errors import NotFoundError
from training.config import TrainingConfig
from training.fairness import fairness_audit, fairness_flags, group_rates
from training.metrics import evaluate
from training.model import fit_bundle

log = logging.getLogger(__name__)
MIN_UNSEEN_DATES = 3
CHALLENGER, CHAMPION = "model", "champion"
UNSEEN, PROCEDURES, NONE = "champion on unseen dates", "procedures on the test window", "no champion"
GATE_METRICS = ("recall_at_capacity", "recall_at_10pct", "roc_auc", "ece")


@dataclass
class GateComparison:
    kind: str
    champion_version: int | None = None
    dates: tuple[pd.Timestamp, ...] = ()
    metrics: dict[str, float] = field(default_factory=dict)
    challenger_flags: list[str] = field(default_factory=list)
    champion_flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    group_recall: dict[str, dict[str, float]] = field(default_factory=dict)   # per role, per "attribute=value"

    def summary(self) -> str:
        if self.kind == NONE:
            return "no champion yet: this model becomes the first champion"
        dates = ", ".join(f"{d:%Y-%m-%d}" for d in self.dates)
        figures = "; ".join(f"{name} {self.metrics[f'gate_challenger_{name}']:.3f} vs champion "
                            f"{self.metrics[f'gate_champion_{name}']:.3f}" for name in ("recall_at_capacity", "roc_auc"))
        return f"gate: {self.kind} (champion version {self.champion_version}, dates {dates}): {figures}" + (
            "".join(f"; {note}" for note in self.notes))


def compare_with_champion(config: TrainingConfig, plan, train_rows: pd.DataFrame, valid_rows: pd.DataFrame,
                          test: pd.DataFrame) -> GateComparison:
    """The gate's comparison for a challenger whose test frame carries its scores in `model`."""
    if not registry.has_alias(config.registered_model, registry.CHAMPION):
        return GateComparison(NONE)
    champion = registry.model_version(config.registered_model, registry.CHAMPION)
    learned = champion.tags.get("learned_until")
    unseen = tuple(d for d in plan.test if learned and d > pd.Timestamp(learned))
    notes: list[str] = []
    if len(unseen) >= MIN_UNSEEN_DATES:
        rows = test[test["as_of"].isin(unseen)].reset_index(drop=True)
        bundle, _ = registry.load_bundle(config.registered_model, champion.version)
        try:
            comparison = _judge(config, rows.assign(**{CHAMPION: bundle.predict(rows)}), UNSEEN, champion, unseen)
            return comparison
        except KeyError as exc:
            notes.append(f"the champion cannot score today's features ({exc}); its procedure is compared instead")
    else:
        notes.append(f"the champion learned until {learned or 'an unknown date'}: fewer than {MIN_UNSEEN_DATES} "
                     "test dates after it, so its procedure is trained again on this run's dates")
    champion_config = _champion_config(champion, config, notes)
    twin = fit_bundle(train_rows, valid_rows, model_features(champion_config.include_protected),
                      champion_config.model, champion_config.seed, champion_config.explanations.tiers)
    comparison = _judge(config, test.assign(**{CHAMPION: twin.predict(test)}), PROCEDURES, champion, plan.test)
    comparison.notes = notes
    return comparison


def _judge(config: TrainingConfig, rows: pd.DataFrame, kind: str, champion, dates) -> GateComparison:
    evaluation = config.evaluation
    metrics, flags, recall = {}, {}, {}
    for role, score in (("challenger", CHALLENGER), ("champion", CHAMPION)):
        result = evaluate(rows, score, capacity=evaluation.township_capacity, ks=evaluation.list_shares,
                          n_boot=evaluation.bootstrap_samples, seed=config.seed)
        metrics.update({f"gate_{role}_{name}": result[name] for name in GATE_METRICS})
        audit = fairness_audit(rows, score, capacity=evaluation.township_capacity,
                               n_boot=evaluation.bootstrap_samples, seed=config.seed)
        flags[role], recall[role] = fairness_flags(audit), group_rates(audit, "recall")
    return GateComparison(kind, champion.version, tuple(dates), metrics, flags["challenger"], flags["champion"],
                          group_recall=recall)


def _champion_config(champion, config: TrainingConfig, notes: list[str]) -> TrainingConfig:
    """The configuration the champion was trained with (this run's when it cannot be read)."""
    try:
        return TrainingConfig.model_validate(registry.run_json(champion.run_id, "config.json"))
    except (ValidationError, NotFoundError, ValueError) as exc:
        log.warning("the champion's configuration cannot be read (%s); using this run's", exc)
        notes.append("the champion's configuration could not be read; this run's was used for its twin")
        return config
