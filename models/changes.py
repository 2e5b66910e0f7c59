"""What changed between two scores of the same household (two dates, or before and after a new
record): the families whose contribution moved most, worded as reasons are, with the new figures."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.catalogue import FEATURES_BY_NAME
from models.explain import Explanations
from models.reasons import ReasonBook


@dataclass(frozen=True)
class Change:
    code: str
    family: str
    before: float               # the family's contribution then (log-odds)
    after: float                # and now
    feature: str                # the family's input that moved most
    zh: str
    en: str

    @property
    def direction(self) -> str:
        return "raised" if self.after > self.before else "lowered"

    def record(self) -> dict:
        return {"code": self.code, "family": self.family, "before": round(self.before, 6),
                "after": round(self.after, 6), "direction": self.direction, "feature": self.feature,
                "zh": self.zh, "en": self.en}


def what_changed(before: Explanations, after: Explanations, after_rows: pd.DataFrame, book: ReasonBook,
                 top: int = 4, min_change: float = 0.01) -> list[list[Change]]:
    """Per row pair (row i of `before` and of `after`, the same household): up to `top` families
    whose contribution moved by at least `min_change`, largest move first."""
    if len(before) != len(after) or list(before.household_id) != list(after.household_id):
        raise ValueError("what changed compares the same households in the same order")
    if before.features != after.features:
        raise ValueError("what changed compares scores of one model; the two have different inputs")
    family_of_feature = np.array([after.families.index(FEATURES_BY_NAME[n].family) for n in after.features])
    actionable = [i for i, family in enumerate(after.families) if family in book.families]
    records = after_rows.to_dict("records")
    out = []
    for row in range(len(after)):
        moved = after.family_contributions[row] - before.family_contributions[row]
        chosen = sorted((i for i in actionable if abs(moved[i]) >= min_change), key=lambda i: (-abs(moved[i]), i))
        changes = []
        for position in chosen[:top]:
            family = after.families[position]
            inputs = np.flatnonzero(family_of_feature == position)
            delta = after.contributions[row, inputs] - before.contributions[row, inputs]
            feature = after.features[inputs[np.argmax(np.abs(delta))]]
            changes.append(Change(book.texts[family]["code"], family, float(before.family_contributions[row, position]),
                                  float(after.family_contributions[row, position]), feature,
                                  book.sentence(family, feature, records[row], "zh"),
                                  book.sentence(family, feature, records[row], "en")))
        out.append(changes)
    return out
