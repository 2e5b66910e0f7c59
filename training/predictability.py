"""Is the answer too easy? Checks run on every test window before its figures are believed.

Twelve months ahead, an honest pooled ROC-AUC is 0.70-0.85 (domain notes). A higher figure means
a feature re-derives the label or the data make the answer easy; these checks say which:

- `single_feature_scan`: each model input used alone as a score (on `need`, only where it is known). One feature near the model's
  AUC re-derives the label (for example the label's own income windows overlapping the income
  features) rather than predicting it.
- `within_groups`: the same scores judged inside formerly poor and ordinary households. A pooled
  AUC far above both means the split between the groups does the work, not the ranking inside
  them, which is what a case worker's list needs.
- `late_discoveries`: only households whose case the official channels found 90 days or more
  after the as-of date, against every negative. This is the trouble nobody had seen yet.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from training.metrics import LABEL, precision_recall_at_k, require_columns, roc_auc

SUSPICIOUS_AUC = 0.90          # a single input this good re-derives the label or the data are easy
LATE_DISCOVERY_DAYS = 90
GROUP_COLUMN = "ex_poor"
GROUP_NAMES = {True: "formerly poor", False: "ordinary"}


def single_feature_auc(values: pd.Series, positive: pd.Series) -> float:
    """ROC-AUC of one feature used alone, in its better direction (0.5-1.0); missing values rank
    with the lowest; NaN when the feature is constant or a class is absent."""
    ranks = _ranks(values)
    return _auc_from_ranks(ranks, np.asarray(positive, dtype=bool)) if ranks is not None else float("nan")


def _ranks(values: pd.Series) -> np.ndarray | None:
    """Average ranks of the values (missing ones tied below the lowest); None for a constant."""
    numbers = pd.to_numeric(values.astype("float64") if values.dtype == "boolean" else values, errors="coerce")
    numbers = numbers.to_numpy(dtype=float, na_value=np.nan)
    known = numbers[~np.isnan(numbers)]
    if len(known) == 0 or known.min() == known.max():
        return None
    return rankdata(np.where(np.isnan(numbers), known.min() - 1.0, numbers))


def _auc_from_ranks(ranks: np.ndarray, positive: np.ndarray) -> float:
    """Mann-Whitney ROC-AUC from average ranks (ties count half), in the better direction."""
    positives = int(positive.sum())
    negatives = len(positive) - positives
    if not positives or not negatives:
        return float("nan")
    auc = (ranks[positive].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    return float(max(auc, 1.0 - auc))


def single_feature_scan(frame: pd.DataFrame, features: Sequence[str], top: int = 10) -> pd.DataFrame:
    """The `top` strongest inputs alone: AUC on the label and on each label part, and a flag at 0.90.

    Categorical (non-numeric) inputs are skipped: their order carries no direction.
    """
    require_columns(frame, [LABEL, "label_admin", "label_need", *features], "test frame")
    every = np.ones(len(frame), dtype=bool)
    parts = {"auc": (frame[LABEL].astype(bool), every),
             "auc_admin": (frame["label_admin"].fillna(False).astype(bool), every),
             "auc_need": (frame["label_need"].fillna(False).astype(bool), frame["label_need"].notna().to_numpy())}
    rows = []
    for name in features:
        column = frame[name]
        if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
            continue
        everywhere, where_need_known = _ranks(column), _ranks(column[parts["auc_need"][1]])
        row = {"feature": name}
        for key, (y, known) in parts.items():
            ranks = where_need_known if key == "auc_need" else everywhere
            row[key] = _auc_from_ranks(ranks, y.to_numpy()[known]) if ranks is not None else np.nan
        rows.append(row)
    table = pd.DataFrame(rows, columns=["feature", *parts])
    table = table.sort_values(["auc", "feature"], ascending=[False, True], na_position="last").head(top)
    table["suspicious"] = table[list(parts)].max(axis=1) >= SUSPICIOUS_AUC
    return table.reset_index(drop=True)


def within_groups(frame: pd.DataFrame, scores: Sequence[str], features: Sequence[str] = ()) -> pd.DataFrame:
    """ROC-AUC and recall@10% of each score inside formerly poor and inside ordinary households
    (the list made inside the group), beside the pooled figures; with `features`, also the
    strongest single input inside each group and its ROC-AUC there."""
    require_columns(frame, [LABEL, GROUP_COLUMN, "household_id", "as_of", *scores], "test frame")
    group = frame[GROUP_COLUMN].fillna(False).astype(bool)
    subsets = {"all households": frame, **{GROUP_NAMES[value]: frame[group == value] for value in (True, False)}}
    rows = []
    for name, rows_in in subsets.items():
        positive = rows_in[LABEL].astype(bool)
        row = {"group": name, "rows": len(rows_in), "base_rate": float(positive.mean()) if len(rows_in) else np.nan}
        for score in scores:
            row[f"auc {score}"] = roc_auc(positive, rows_in[score])
            row[f"recall@10% {score}"] = (precision_recall_at_k(rows_in, score, 0.10)["recall"]
                                          if len(rows_in) else np.nan)
        if features:
            strongest = single_feature_scan(rows_in, features, top=1) if len(rows_in) else pd.DataFrame()
            row["strongest_input"] = strongest["feature"].iloc[0] if len(strongest) else None
            row["strongest_input_auc"] = float(strongest["auc"].iloc[0]) if len(strongest) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def late_discoveries(frame: pd.DataFrame, scores: Sequence[str], days: int = LATE_DISCOVERY_DAYS) -> pd.DataFrame:
    """ROC-AUC of each score for positives whose case was discovered `days` or more after the
    as-of date, against all negatives; and how many such positives there are."""
    require_columns(frame, [LABEL, "case_discovered_on", "as_of", *scores], "test frame")
    positive = frame[LABEL].astype(bool)
    delay = (pd.to_datetime(frame["case_discovered_on"]) - pd.to_datetime(frame["as_of"])).dt.days
    late = positive & (delay >= days)
    judged = late | ~positive
    row = {"positives": int(late.sum()), "share_of_positives": float(late.sum() / max(int(positive.sum()), 1))}
    for score in scores:
        row[f"auc {score}"] = roc_auc(late[judged], frame.loc[judged, score])
    return pd.DataFrame([row])


def predictability_audit(frame: pd.DataFrame, features: Sequence[str], scores: Sequence[str]) -> dict:
    """All three checks and a plain verdict; the first score is the model's."""
    scan = single_feature_scan(frame, features)
    groups = within_groups(frame, scores, features)
    late = late_discoveries(frame, scores)
    model = scores[0]
    pooled = float(groups.loc[0, f"auc {model}"])
    notes = []
    if pooled > SUSPICIOUS_AUC:
        notes.append(f"pooled ROC-AUC {pooled:.3f} is above {SUSPICIOUS_AUC:.2f}: do not present it as a success")
    for row in scan[scan["suspicious"]].itertuples():
        notes.append(f"{row.feature} alone reaches AUC {max(row.auc, row.auc_admin, row.auc_need):.3f} "
                     f"(label {row.auc:.3f}, admin {row.auc_admin:.3f}, need {row.auc_need:.3f})")
    inside = groups.loc[1:, f"auc {model}"].astype(float)
    if len(inside.dropna()) and pooled - float(inside.max()) > 0.03:
        notes.append(f"inside each group the model reaches {', '.join(f'{v:.3f}' for v in inside)} "
                     f"({', '.join(groups.loc[1:, 'group'])}): the gap between the groups lifts the pooled figure")
    for row in groups.iloc[1:].itertuples():
        if row.strongest_input_auc >= SUSPICIOUS_AUC:
            notes.append(f"inside {row.group} households {row.strongest_input} alone reaches AUC "
                         f"{row.strongest_input_auc:.3f}: their relapse follows that one fact of the present")
    return {"single_features": scan, "within_groups": groups, "late_discoveries": late, "notes": notes}


def audit_record(audit: dict) -> dict:
    """The audit as plain JSON-able data (for the MLflow run)."""
    return {"notes": audit["notes"],
            **{key: audit[key].replace({np.nan: None}).to_dict("records")
               for key in ("single_features", "within_groups", "late_discoveries")}}


def audit_metrics(audit: dict, model: str) -> dict[str, float]:
    """A few numbers worth plotting across runs."""
    groups, late, scan = audit["within_groups"], audit["late_discoveries"], audit["single_features"]
    metrics = {"max_single_feature_auc": float(scan["auc"].max()) if len(scan) else float("nan"),
               "roc_auc_late_discoveries": float(late.loc[0, f"auc {model}"])}
    for _, row in groups.iloc[1:].iterrows():
        metrics[f"roc_auc_{row['group'].replace(' ', '_')}"] = float(row[f"auc {model}"])
    return metrics
