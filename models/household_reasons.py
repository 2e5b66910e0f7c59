"""One record per explained household: score, band, tier, reasons and measures, as the list and
the service give them (batch scoring and the API share this)."""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from models.bundle import ModelBundle
from models.changes import what_changed
from models.explain import explain
from models.reasons import Reason, ReasonBook, reasons


@dataclass(frozen=True)
class ReasonSettings:
    min_contribution: float = 0.05
    max_reasons: int = 4
    protective: bool = False


def explain_households(bundle: ModelBundle, rows: pd.DataFrame, book: ReasonBook,
                       received: dict[str, set[str]], settings: ReasonSettings = ReasonSettings(),
                       model: dict | None = None) -> list[dict]:
    """Records for the feature `rows` given (only these are explained: contributions are dear)."""
    explanations = explain(bundle, rows)
    found = reasons(explanations, rows, book, received, settings.min_contribution, settings.max_reasons)
    protective = reasons(explanations, rows, book, received, settings.min_contribution, settings.max_reasons,
                         protective=True) if settings.protective else [[] for _ in range(len(rows))]
    as_of = rows["as_of"].to_numpy() if "as_of" in rows else [None] * len(rows)
    out = []
    for row in range(len(rows)):
        record = {"household_id": str(explanations.household_id[row]),
                  "as_of": None if as_of[row] is None else f"{pd.Timestamp(as_of[row]):%Y-%m-%d}",
                  "score": float(explanations.score[row]), "band": int(explanations.band[row]),
                  "tier": str(explanations.tier[row]), "reasons": [r.record() for r in found[row]],
                  **({"protective": [r.record() for r in protective[row]]} if settings.protective else {}),
                  "measures": _measures(found[row]), **(model or {})}
        out.append(record)
    return out


def _measures(found: list[Reason]) -> list[dict]:
    """The measures of all reasons, each once, in the order of the reasons."""
    seen: dict[str, dict] = {}
    for reason in found:
        for measure in reason.measures:
            seen.setdefault(measure.code, {**measure.__dict__, "for": []})["for"].append(reason.code)
    return list(seen.values())


def explain_cohort(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, bundle: ModelBundle, book: ReasonBook,
                   households: list[str] | None = None, top: int | None = None,
                   settings: ReasonSettings = ReasonSettings(), model: dict | None = None,
                   since: pd.Timestamp | None = None) -> list[dict]:
    """Records of the named households of the cohort at `as_of`, or of its `top` households by
    score (highest first, household id breaking ties). Every household is scored; only the
    chosen ones are explained. With `since`, each record also says what changed since that date
    (`previous_score` and `changes`; none for a household not in the cohort then)."""
    from features.build import build_features
    from features.history import running_measures
    from stayout.errors import NotFoundError

    frame = build_features(tables, [pd.Timestamp(as_of)])
    if households:
        missing = sorted(set(households) - set(frame["household_id"]))
        if missing:
            raise NotFoundError(f"household(s) {', '.join(missing[:5])} are not in the cohort at {as_of:%Y-%m-%d} "
                                "(unknown, dissolved, or an open monitoring case); check the id and the date")
        chosen = frame[frame["household_id"].isin(households)]
        chosen = chosen.set_index("household_id").loc[households].reset_index()
    else:
        scored = frame.assign(_score=bundle.predict(frame))
        chosen = scored.sort_values(["_score", "household_id"], ascending=[False, True]).head(top or 20)
        chosen = chosen.drop(columns="_score").reset_index(drop=True)
    received = running_measures(tables["assistance"], pd.Timestamp(as_of))
    records = explain_households(bundle, chosen, book, received, settings, model)
    if since is not None:
        _add_changes(records, tables, chosen, pd.Timestamp(since), bundle, book)
    return records


def _add_changes(records: list[dict], tables, chosen: pd.DataFrame, since: pd.Timestamp, bundle: ModelBundle,
                 book: ReasonBook) -> None:
    from features.build import build_features

    earlier = build_features(tables, [since]).set_index("household_id")
    both = [h for h in chosen["household_id"] if h in earlier.index]
    if not both:
        return
    now = chosen.set_index("household_id").loc[both].reset_index()
    then = earlier.loc[both].reset_index()
    before, after = explain(bundle, then), explain(bundle, now)
    changes = dict(zip(both, what_changed(before, after, now, book)))
    previous = dict(zip(both, before.score))
    for record in records:
        if record["household_id"] in changes:
            record["since"] = f"{since:%Y-%m-%d}"
            record["previous_score"] = float(previous[record["household_id"]])
            record["changes"] = [change.record() for change in changes[record["household_id"]]]
