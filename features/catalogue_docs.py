"""Render the user page of the feature catalogue from its declaration in `features.catalogue`."""
from __future__ import annotations

from features.catalogue import FAMILY_LABELS, FEATURE_SCHEMA_VERSION, FEATURES

HEADER = f"""# Feature catalogue, schema version {FEATURE_SCHEMA_VERSION}

<!-- Generated from features/catalogue.py by `stayout docs`; do not edit by hand. -->

Every feature of a household at an as-of date D uses only records known before D
(`recorded_at < D`; status dates such as `eliminated_on`, `resolved_at` and `end_on` only once
they are before D). Windows ("last 12 months") are the whole calendar months before D's month.
Income is what assessments found: a month is assessed when a survey income row covers it, and
the latest assessed 12-month income is the latest run of 12 assessed months before D's month
(`assessed_income_age_months` says how old it is, `assessed_months_24m` how much of the last two
years was assessed). A month nobody assessed is unknown, never zero income; department transfers
are read on their own. Nothing depends on where the export starts. Imputation: `zero` fills a missing value with 0,
`false` with false, `missing` leaves it empty for the model to treat as unknown.

Protected attributes (sex and ethnicity of the head) are built for the fairness audit but are
not model inputs unless the training configuration asks for them.
"""


def render_catalogue() -> str:
    lines = [HEADER, "| feature | type | unit | family | imputation | description | 说明 |",
             "|---|---|---|---|---|---|---|"]
    for feature in FEATURES:
        family = FAMILY_LABELS[feature.family][0] + (" (protected)" if feature.protected else "")
        lines.append(f"| `{feature.name}` | {feature.dtype} | {feature.unit} | {family} | {feature.imputation} "
                     f"| {feature.description} | {feature.description_zh} |")
    lines += ["", "## Reason families", "", "| family | English | 中文 |", "|---|---|---|"]
    lines += [f"| `{name}` | {en} | {zh} |" for name, (en, zh) in FAMILY_LABELS.items()]
    return "\n".join(lines) + "\n"
