"""The model card of a registered version: what it learned from, how well it does beside today's
rules, where it is unfair, what it cannot do, and what it is for. Markdown, and HTML made from it
(markdown-it-py), both logged on the version's MLflow run."""
from __future__ import annotations

from html import escape

import pandas as pd
from markdown_it import MarkdownIt

METRICS = (("roc_auc", "ROC-AUC"), ("recall_at_capacity", "recall at township capacity"),
           ("precision_at_capacity", "precision at township capacity"), ("recall_at_10pct", "recall@10%"),
           ("ece", "expected calibration error"))
SCORES = ("model", "today's rules", "logistic regression")
LIMITATIONS = (
    "It sees what counties record, not what happens: a household nobody visits, assesses or reports on looks "
    "the same as one with nothing wrong.",
    "Income is known only where a survey assessed a whole 12 months; elsewhere `need` is unknown and the "
    "label rests on cases being opened (see the known-need shares above).",
    "Scores are calibrated on the validation cohort; a county whose recording differs (another survey rhythm, "
    "fewer department feeds) needs `stayout monitor` before its scores are trusted.",
    "Reasons are the model's contributions summed by cause: they say what moved the score, not what caused "
    "the hardship.",
)
USES = (
    "Intended: ranking the monitored and at-risk households of a county so that case workers visit the "
    "likeliest relapses first, with reasons and suggested measures to check at the visit.",
    "Not intended: deciding eligibility for any benefit, removing a household from monitoring, judging "
    "officials or villages by their scores, or any use about a named person outside the mechanism.",
)


def model_card(name: str, version: int, plan, schedule: pd.DataFrame, comparison: pd.DataFrame,
               fairness: pd.DataFrame, flags: list[str], training_rows: int) -> str:
    dates = ", ".join(f"{d:%Y-%m-%d}" for d in plan.test)
    learned = plan.refit_train + plan.refit_validation or plan.train + plan.validation
    lines = [f"# Model card: {name} version {version}", "",
             "## Data", "",
             f"- export ends {plan.data_end:%Y-%m-%d}; the version learned from as-of dates "
             f"{min(learned):%Y-%m-%d} to {max(learned):%Y-%m-%d} ({training_rows:,} household-dates)",
             f"- cohort: every household of the export existing at an as-of date and not an open monitoring case",
             f"- evaluated on {dates} ({plan.evaluation})"]
    if plan.holdout_counties:
        lines.append(f"- counties held out of training: {', '.join(plan.holdout_counties)}")
    lines += ["", "## Label", "",
              f"- `relapse_12m` ({plan.label}): a monitoring case identified within 12 months of the as-of date, "
              "or survey-assessed income below the line over those 12 months; final 90 days after the window"]
    if "need_known" in schedule.columns:
        known = schedule.groupby("part", sort=False)["need_known"].mean()
        lines.append("- share of households whose `need` is known: "
                     + ", ".join(f"{part} {share:.0%}" for part, share in known.items()))
    lines += [f"- {note}" for note in plan.notes]
    lines += ["", "## Metrics on the test window, beside the baselines", "",
              "| metric | " + " | ".join(SCORES) + " |", "|---|" + "---|" * len(SCORES)]
    for key, label in METRICS:
        if key in comparison.index:
            lines.append(f"| {label} | " + " | ".join(f"{comparison.loc[key, score]:.3f}" for score in SCORES
                                                      if score in comparison.columns) + " |")
    lines += ["", "## Fairness at township capacity", ""]
    lines.append("Flags: " + ("; ".join(flags) if flags else "none") + ".")
    if len(fairness):
        columns = [c for c in ("attribute", "value", "size", "households", "base_rate", "recall", "precision",
                               "recall_disparity", "precision_disparity", "status") if c in fairness.columns]
        lines += ["", "| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
        for row in fairness[columns].itertuples(index=False):
            lines.append("| " + " | ".join(_cell(value) for value in row) + " |")
    lines += ["", "## Known limitations", "", *[f"- {text}" for text in LIMITATIONS],
              "", "## Uses", "", *[f"- {text}" for text in USES]]
    return "\n".join(lines) + "\n"


def card_html(markdown: str, title: str) -> str:
    body = MarkdownIt("commonmark").enable("table").render(markdown)
    style = ("body{font-family:sans-serif;margin:24px;max-width:980px;color:#1f2933}table{border-collapse:collapse}"
             "th,td{border:1px solid #d9e2ec;padding:4px 8px}th{background:#f0f4f8}")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{style}</style></head><body>{body}</body></html>")


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return escape(str(value)).replace("|", "/")
