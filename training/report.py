"""A training run in plain text: the plan, the model beside the baselines, and the checks on them."""
from __future__ import annotations

import pandas as pd

from training.predictability import LATE_DISCOVERY_DAYS

MODEL, RULES, LOGISTIC = "model", "today's rules", "logistic regression"
SHARES_SHOWN = ("need_known", "need_known_ex_poor", "need_known_ordinary")


def plan_report(plan, schedule: pd.DataFrame) -> str:
    lines = [f"Export ends {plan.data_end:%Y-%m-%d}; labels look 12 months ahead and are final 90 days later.",
             f"Evaluation: {plan.evaluation}; the registered model learns from dates up to "
             f"{plan.learned_until:%Y-%m-%d}."]
    if plan.holdout_counties:
        lines.append(f"Held out of training and validation: counties {', '.join(plan.holdout_counties)}")
    lines += [f"- {note}" for note in plan.notes]
    lines.append(schedule.to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    return "\n".join(lines)


def known_need_report(schedule: pd.DataFrame) -> str:
    """The share of known `need` by part and household type (final dates only)."""
    present = [c for c in SHARES_SHOWN if c in schedule.columns]
    if not present:
        return ""
    table = schedule.groupby("part", sort=False)[present].mean()
    lines = ["Share of households whose need is known (survey assessment of all 12 months), mean over dates:"]
    lines += [f"  {part}: " + ", ".join(f"{column.removeprefix('need_known').strip('_') or 'all'} {value:.0%}"
                                        for column, value in row.items()) for part, row in table.iterrows()]
    return "\n".join(lines)


def targets_report(table: pd.DataFrame) -> str:
    """The figures a county asks for, read off the comparison table."""
    model, rules, logistic = (table[name] for name in (MODEL, RULES, LOGISTIC))
    lines = []
    for cut, label in (("capacity", "recall at township capacity"), ("10pct", "recall@10%")):
        key = f"recall_at_{cut}"
        ratio = model[key] / rules[key] if rules[key] > 0 else float("nan")
        lines.append(
            f"{label}: model {model[key]:.3f}, today's rules {rules[key]:.3f} ({ratio:.2f}x), logistic regression "
            f"{logistic[key]:.3f}; model minus rules {model[f'{key}_vs_rules']:+.3f} (90% interval "
            f"{model[f'{key}_vs_rules_low']:+.3f} to {model[f'{key}_vs_rules_high']:+.3f}), minus logistic "
            f"{model[f'{key}_vs_logistic']:+.3f} ({model[f'{key}_vs_logistic_low']:+.3f} to "
            f"{model[f'{key}_vs_logistic_high']:+.3f})")
    lines += [
        f"ROC-AUC {model['roc_auc']:.3f} (90% interval {model['roc_auc_low']:.3f}-{model['roc_auc_high']:.3f}; "
        "honest range 0.70-0.85, above 0.90 means something makes the answer too easy)",
        f"expected calibration error {model['ece']:.4f} (target <= 0.02)",
    ]
    return "\n".join(lines)


def looks_fine_report(fine: pd.DataFrame) -> str:
    """The same lists judged on the households today's rules see nothing wrong with."""
    first = fine.iloc[0]
    lines = [f"Households that look fine at D (no rule fires): {int(first['rows_looking_fine']):,} rows, "
             f"relapse rate {first['base_rate_looking_fine']:.4f}, "
             f"{first['share_of_relapses_looking_fine']:.0%} of all relapses (what today's rules miss)"]
    for row in fine.itertuples(index=False):
        lines.append(f"  {row.score}: ROC-AUC among them {row.roc_auc_looking_fine:.3f}; of their relapses, in the "
                     f"list at township capacity {row.recall_at_capacity_looking_fine:.3f}, "
                     f"at 10% {row.recall_at_10pct_looking_fine:.3f}")
    return "\n".join(lines)


def predictability_report(audit: dict) -> str:
    """The checks on whether the test figures are too easy to believe."""
    groups = audit["within_groups"].set_index("group")
    late = audit["late_discoveries"].iloc[0]
    lines = ["Is the answer too easy? (checks on the test window)"]
    lines += [f"  {group}: ROC-AUC model {row['auc model']:.3f}, rules {row[f'auc {RULES}']:.3f}; "
              f"recall@10% model {row['recall@10% model']:.3f}, rules {row[f'recall@10% {RULES}']:.3f}"
              + (f"; strongest single input {row['strongest_input']} {row['strongest_input_auc']:.3f}"
                 if isinstance(row.get("strongest_input"), str) else "")
              for group, row in groups.iterrows()]
    lines.append(f"  cases the official channels found {LATE_DISCOVERY_DAYS} days or more later "
                 f"({int(late['positives'])}, {late['share_of_positives']:.0%} of positives): "
                 f"ROC-AUC model {late['auc model']:.3f}, rules {late[f'auc {RULES}']:.3f}")
    lines += [f"  WARNING {note}" for note in audit["notes"]]
    return "\n".join(lines)


def training_report(result, registered_model: str) -> str:
    plan = result.plan
    role = "champion (first model)" if result.became_champion else "challenger"
    parts = [
        plan_report(plan, result.schedule),
        known_need_report(result.schedule),
        f"Test window: {', '.join(f'{d:%Y-%m-%d}' for d in plan.test)} (trained on {len(plan.train)} dates, "
        f"validated on {len(plan.validation)})",
        result.comparison[~result.comparison.index.str.contains("_vs_")].to_string(float_format=lambda v: f"{v:.4f}"),
        targets_report(result.comparison),
        looks_fine_report(result.looks_fine),
        predictability_report(result.predictability),
        "Fairness at township capacity: " + ("; ".join(result.flags) if result.flags else "no flags"),
        result.gate.summary(),
        f"Registered {registered_model} version {result.version} as {role}, refitted on the dates up to "
        f"{plan.learned_until:%Y-%m-%d}; MLflow run {result.run_id}",
    ]
    return "\n".join(part for part in parts if part)
