"""Reasons in the policy's own causes, worded with the household's figures, and the measures that answer them.

The wording and the measures are data a county can edit (`features/reason_texts.yaml`,
`features/measures.yaml`); `ReasonBook.load` reads and checks them against the catalogue. A
reason is a risk-raising family of inputs whose summed contribution is at least the configured
minimum; at most `max_reasons` are given, largest first. Families that no measure can answer
(`past_cases`, `other`) are never reasons.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from features.blocks_people import MAX_DEPENDENCY
from features.catalogue import FAMILY_LABELS, FEATURES_BY_NAME
from models.explain import Explanations

NOT_ACTIONABLE = ("past_cases", "other")
LANGUAGES = ("zh", "en")
UNKNOWN = {"zh": "未知", "en": "unknown"}
# {dependency_ratio:dependency}: the ratio, or, at its cap (no member aged 16-59), that fact in words
DEPENDENCY = {"zh": ("抚养比 {:.2f}", "无 16-59 岁成员"), "en": ("dependency ratio {:.2f}", "no member aged 16-59")}
FORMATS = {
    "yuan": lambda v: f"{round(v):,}", "times": lambda v: f"{v:.1f}" if abs(v) >= 1 else f"{v:.2f}",
    "ratio": lambda v: f"{v:.2f}", "dependency": lambda v: f"{v:.2f}",
    "share": lambda v: f"{v:.0%}", "count": lambda v: f"{round(v)}", "months": lambda v: f"{round(v)}",
    "years": lambda v: f"{round(v)}", "mu": lambda v: f"{v:.1f}", "flag": lambda v: "",
}
PLACEHOLDER = re.compile(r"\{(\w+)(?::(\w+))?\}")
OPTIONAL = re.compile(r"\[([^\[\]]*)\]")


class ReasonBookError(ValueError):
    """The reason texts or the measures do not fit the catalogue."""


@dataclass(frozen=True)
class Measure:
    code: str
    zh: str
    en: str
    received: bool = False      # the household already receives it (a running assistance measure)


@dataclass(frozen=True)
class Reason:
    code: str
    family: str
    contribution: float         # log-odds the family adds to the score
    feature: str                # the family's input that raised the score most
    zh: str
    en: str
    measures: tuple[Measure, ...]

    def record(self) -> dict:
        return {"code": self.code, "family": self.family, "contribution": round(self.contribution, 6),
                "feature": self.feature, "zh": self.zh, "en": self.en,
                "measures": [m.__dict__ for m in self.measures]}


def _known(value, fmt: str | None) -> bool:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return False
    return bool(value) if fmt == "flag" else True


def _fill(text: str, values: dict, language: str) -> str:
    def one(match: re.Match) -> str:
        name, fmt = match.group(1), match.group(2)
        value = values.get(name)
        if not _known(value, fmt):
            return "" if fmt == "flag" else UNKNOWN[language]
        if fmt == "dependency":
            ratio, capped = DEPENDENCY[language]
            return capped if float(value) >= MAX_DEPENDENCY else ratio.format(float(value))
        return FORMATS[fmt](float(value)) if fmt else str(value)
    return PLACEHOLDER.sub(one, text)


def render(template: str, values: dict, language: str) -> str:
    """The template with the household's values: a bracketed part [known|otherwise] takes its first
    text only when every value in it is known; an unknown value elsewhere reads as unknown."""
    def optional(match: re.Match) -> str:
        first, _, otherwise = match.group(1).partition("|")
        known = all(_known(values.get(name), fmt) for name, fmt in PLACEHOLDER.findall(first))
        return _fill(first if known else otherwise, values, language)
    return _fill(OPTIONAL.sub(optional, template), values, language)


@dataclass(frozen=True)
class ReasonBook:
    texts: dict
    measures: dict

    @classmethod
    def load(cls, texts: str | Path | None = None, measures: str | Path | None = None) -> "ReasonBook":
        book = cls(_read_yaml(texts, "reason_texts.yaml"), _read_yaml(measures, "measures.yaml"))
        book.check()
        return book

    @property
    def families(self) -> tuple[str, ...]:
        """Families that can be a reason, in catalogue order."""
        return tuple(f for f in FAMILY_LABELS if f not in NOT_ACTIONABLE)

    def check(self) -> None:
        """Every actionable family has a code, a default in both languages and a measure; every
        placeholder names a catalogue feature with a known format."""
        for family in self.families:
            entry = self.texts.get(family)
            if not entry or not entry.get("code") or any(not entry.get("default", {}).get(lang) for lang in LANGUAGES):
                raise ReasonBookError(f"reason texts: family {family} needs a code and a default in zh and en")
            if not self.measures.get(family):
                raise ReasonBookError(f"measures: family {family} needs at least one measure")
            for feature, sentences in {"default": entry["default"], **entry.get("features", {})}.items():
                if feature != "default" and feature not in FEATURES_BY_NAME:
                    raise ReasonBookError(f"reason texts: {family}.features.{feature} is not a catalogue feature")
                for language in LANGUAGES:
                    self._check_placeholders(f"{family}.{feature}.{language}", sentences.get(language))
        for family in set(self.texts) | set(self.measures):
            if family not in FAMILY_LABELS or family in NOT_ACTIONABLE:
                raise ReasonBookError(f"{family} is not a family that can be a reason; use one of "
                                      f"{', '.join(self.families)}")

    @staticmethod
    def _check_placeholders(where: str, text: str | None) -> None:
        if not text:
            raise ReasonBookError(f"reason texts: {where} is missing")
        for name, fmt in PLACEHOLDER.findall(text):
            if name not in FEATURES_BY_NAME or (fmt and fmt not in FORMATS):
                raise ReasonBookError(f"reason texts: {where} names {{{name}:{fmt}}}; use a catalogue feature "
                                      f"and one of the formats {', '.join(FORMATS)}")

    def sentence(self, family: str, feature: str, values: dict, language: str) -> str:
        entry = self.texts[family]
        template = entry.get("features", {}).get(feature, entry["default"])[language]
        return render(template, values, language)

    def measures_for(self, family: str, received: set[str]) -> tuple[Measure, ...]:
        return tuple(Measure(m["code"], m["zh"], m["en"], m.get("assistance") in received)
                     for m in self.measures[family])


def _read_yaml(path: str | Path | None, default_name: str) -> dict:
    text = Path(path).read_text(encoding="utf-8") if path else \
        resources.files("features").joinpath(default_name).read_text(encoding="utf-8")
    data = yaml.safe_load(text) or {}
    if not isinstance(data, dict):
        raise ReasonBookError(f"{path or default_name} must map families to entries")
    return data


def reasons(explanations: Explanations, rows: pd.DataFrame, book: ReasonBook,
            received: dict[str, set[str]] | None = None, min_contribution: float = 0.05, max_reasons: int = 4,
            protective: bool = False) -> list[list[Reason]]:
    """Per row: its reasons (or, with `protective`, the families that lower the score most)."""
    received = received or {}
    sign = -1.0 if protective else 1.0
    actionable = [i for i, family in enumerate(explanations.families) if family in book.families]
    family_of_feature = np.array([explanations.families.index(FEATURES_BY_NAME[n].family)
                                  for n in explanations.features])
    # each row as Python values (what to_dict("records") gives, without a Series per column)
    records = [dict(zip(rows.columns, values)) for values in rows.to_numpy(dtype=object)]
    out = []
    for row in range(len(explanations)):
        signed = sign * explanations.family_contributions[row]
        chosen = sorted((i for i in actionable if signed[i] >= min_contribution), key=lambda i: (-signed[i], i))
        household = str(explanations.household_id[row])
        out.append([_reason(explanations, row, i, family_of_feature, sign, records[row], book,
                            received.get(household, set())) for i in chosen[:max_reasons]])
    return out


def _reason(explanations, row, family_position, family_of_feature, sign, values, book, received) -> Reason:
    family = explanations.families[family_position]
    inputs = np.flatnonzero(family_of_feature == family_position)
    strongest = inputs[np.argmax(sign * explanations.contributions[row, inputs])]
    feature = explanations.features[strongest]
    return Reason(book.texts[family]["code"], family, float(explanations.family_contributions[row, family_position]),
                  feature, book.sentence(family, feature, values, "zh"), book.sentence(family, feature, values, "en"),
                  book.measures_for(family, received))
