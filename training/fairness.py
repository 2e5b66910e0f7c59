"""Aequitas-style group audit at the capacity cut (the top `capacity` households per township and date).

Per (attribute, value) group, pooled over the as-of dates of the evaluation frame: size
(households), base rate, recall, miss rate (FNR), precision and share flagged; recall and
precision disparity against the reference group (the largest group of the attribute with enough
data), with cluster-bootstrap intervals (households resampled with all their dates). A group with
fewer than `min_households` households or `min_positives` positive rows is "too few": its rates
are NaN and it is never flagged. The flags come from one capacity ranking of the real frame; the
bootstrap resamples households with their flags, so intervals show sampling noise in the
groups, not a re-ranking.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.bootstrap import household_weights, percentile_interval
from models.lists import capacity_flags
from training.metrics import LABEL, require_columns

GROUPS = ("head_minority", "head_female", "elderly_only", "disabled_member", "key_county")
FAIR_BAND = (0.8, 1.25)
INTERVAL_LEVEL = 0.9
OK, TOO_FEW = "ok", "too few"
RATES = ("base_rate", "recall", "miss_rate", "precision", "share_flagged")


@dataclass(frozen=True)
class _AuditRows:
    """Per row of the evaluation frame: household id and code, flagged at capacity, positive."""

    household_id: pd.Series
    household: np.ndarray
    flagged: np.ndarray
    positive: np.ndarray


@dataclass(frozen=True)
class _Limits:
    min_households: int
    min_positives: int
    n_boot: int
    seed: int


def fairness_audit(frame: pd.DataFrame, score_col: str = "score", capacity: int = 10,
                   groups: Sequence[str] = GROUPS, n_boot: int = 200, seed: int = 0,
                   min_households: int = 50, min_positives: int = 5, label_col: str = LABEL) -> pd.DataFrame:
    """One row per (attribute, value); see the module doc for the columns' meaning."""
    require_columns(frame, ["household_id", "as_of", "township_code", score_col, label_col, *groups])
    rows = _AuditRows(frame["household_id"], pd.factorize(frame["household_id"])[0],
                      capacity_flags(frame, score_col, capacity).to_numpy(),
                      frame[label_col].to_numpy(dtype=bool))
    limits = _Limits(min_households, min_positives, n_boot, seed)
    parts = [_audit_attribute(attribute, frame[attribute], rows, limits) for attribute in groups]
    audit = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    audit.attrs["interval_level"] = INTERVAL_LEVEL
    return audit


def fairness_flags(audit: pd.DataFrame) -> list[str]:
    """Human-readable lines for every flagged disparity."""
    level = audit.attrs.get("interval_level", INTERVAL_LEVEL)
    lines = []
    for row in audit.itertuples(index=False):
        for metric in ("recall", "precision"):
            if getattr(row, f"{metric}_flag"):
                lines.append(
                    f"{metric} of {row.attribute}={row.value} is {getattr(row, f'{metric}_disparity'):.2f}x "
                    f"that of {row.attribute}={row.reference} ({level:.0%} CI "
                    f"{getattr(row, f'{metric}_disparity_low'):.2f}-{getattr(row, f'{metric}_disparity_high'):.2f})")
    return lines


FLAG = re.compile(r"^(?P<metric>recall|precision) of (?P<group>\S+=\S+) is (?P<disparity>[0-9.]+|nan)x "
                  r"that of (?P<reference>\S+=\S+) ")


@dataclass(frozen=True)
class Flag:
    """A line of `fairness_flags`, read back."""

    metric: str                  # recall or precision
    subject: str                 # "<metric> of <attribute>=<value>": what the flag is about, figures aside
    worse_off: str               # the group the disparity leaves behind: the flagged one when its rate is lower


def read_flag(flag: str) -> Flag:
    found = FLAG.match(flag)
    if not found:
        raise ValueError(f"not a fairness flag: {flag!r}")
    lower = float(found["disparity"]) < 1.0
    return Flag(found["metric"], f"{found['metric']} of {found['group']}",
                found["group"] if lower else found["reference"])


def group_rates(audit: pd.DataFrame, metric: str = "recall") -> dict[str, float]:
    """`metric` per group of an audit, keyed as the flags name groups ("attribute=value")."""
    return {f"{row.attribute}={row.value}": float(getattr(row, metric)) for row in audit.itertuples(index=False)}


def _audit_attribute(attribute: str, values: pd.Series, rows: _AuditRows, limits: _Limits) -> pd.DataFrame:
    levels = _levels(values)
    group = _group_index(values, levels)
    table = _group_counts(group, len(levels), rows)
    enough = (table["size"] >= limits.min_households) & (table["positives"] >= limits.min_positives)
    table.insert(0, "attribute", attribute)
    table.insert(1, "value", pd.Series(levels, dtype=object))
    table.insert(2, "status", np.where(enough, OK, TOO_FEW))
    table.loc[~enough, list(RATES)] = np.nan
    reference = _reference_position(table)
    table.insert(2, "reference", levels[reference] if reference is not None else None)
    low_high = _bootstrap_disparities(group, len(levels), rows, reference, limits)
    for metric in ("recall", "precision"):
        table[f"{metric}_disparity"] = _disparity(table[metric].to_numpy(), reference)
        low, high = low_high[metric]
        table[f"{metric}_disparity_low"] = np.where(enough, low, np.nan)
        table[f"{metric}_disparity_high"] = np.where(enough, high, np.nan)
    for metric in ("recall", "precision"):
        table[f"{metric}_flag"] = _flags(table, metric, reference)
    table["flag"] = table["recall_flag"] | table["precision_flag"]
    return table


def _levels(values: pd.Series) -> list:
    """Both values of a boolean attribute (an empty group still gets its row); else the values seen."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return [False, True]
    return sorted(values.dropna().unique().tolist())


def _group_index(values: pd.Series, levels: list) -> np.ndarray:
    """Position of each row's value in `levels`; -1 for a missing value (left out of the audit)."""
    position = pd.Series(range(len(levels)), index=pd.Index(levels, dtype=object))
    return values.astype(object).map(position).fillna(-1).to_numpy(dtype=np.int64)


def _group_counts(group: np.ndarray, n_groups: int, rows: _AuditRows) -> pd.DataFrame:
    inside = group >= 0
    groups, households = group[inside], rows.household[inside]
    flagged, positive = rows.flagged[inside], rows.positive[inside]
    counts = pd.DataFrame({
        "size": _distinct_households(groups, households, n_groups),
        "rows": np.bincount(groups, minlength=n_groups),
        "positives": np.bincount(groups, weights=positive, minlength=n_groups).astype(np.int64),
        "flagged": np.bincount(groups, weights=flagged, minlength=n_groups).astype(np.int64),
        "hits": np.bincount(groups, weights=flagged & positive, minlength=n_groups).astype(np.int64),
    })
    counts["base_rate"] = _ratio(counts["positives"], counts["rows"])
    counts["recall"] = _ratio(counts["hits"], counts["positives"])
    counts["miss_rate"] = 1.0 - counts["recall"]
    counts["precision"] = _ratio(counts["hits"], counts["flagged"])
    counts["share_flagged"] = _ratio(counts["flagged"], counts["rows"])
    return counts


def _distinct_households(groups: np.ndarray, households: np.ndarray, n_groups: int) -> np.ndarray:
    pairs = np.unique(np.stack([groups, households]), axis=1) if groups.size else np.empty((2, 0), np.int64)
    return np.bincount(pairs[0], minlength=n_groups)


def _reference_position(table: pd.DataFrame) -> int | None:
    """The largest "ok" group (households, then rows; first level on a tie), or None."""
    usable = table[table["status"] == OK]
    if usable.empty:
        return None
    return int(usable.sort_values(["size", "rows"], ascending=False, kind="mergesort").index[0])


def _disparity(rates: np.ndarray, reference: int | None) -> np.ndarray:
    if reference is None:
        return np.full(rates.shape, np.nan)
    return _ratio(rates, np.full(rates.shape, rates[reference]))


def _bootstrap_disparities(group: np.ndarray, n_groups: int, rows: _AuditRows, reference: int | None,
                           limits: _Limits) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Percentile intervals of recall and precision disparity over household-cluster resamples."""
    nan = np.full(n_groups, np.nan)
    if reference is None or limits.n_boot <= 0:
        return {"recall": (nan, nan), "precision": (nan, nan)}
    inside = group >= 0
    groups = group[inside]
    hit = (rows.flagged & rows.positive)[inside]
    positive, flagged = rows.positive[inside], rows.flagged[inside]
    draws = {"recall": np.empty((limits.n_boot, n_groups)), "precision": np.empty((limits.n_boot, n_groups))}
    for draw, row_weight in enumerate(household_weights(rows.household_id, limits.n_boot, limits.seed)):
        weight = row_weight[inside].astype(float)
        hits = np.bincount(groups, weights=weight * hit, minlength=n_groups)
        draws["recall"][draw] = _disparity(_ratio(hits, np.bincount(groups, weight * positive, n_groups)), reference)
        draws["precision"][draw] = _disparity(_ratio(hits, np.bincount(groups, weight * flagged, n_groups)), reference)
    return {metric: _intervals(values) for metric, values in draws.items()}


def _intervals(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    bounds = np.array([percentile_interval(draws[:, column], INTERVAL_LEVEL) for column in range(draws.shape[1])])
    return bounds[:, 0], bounds[:, 1]


def _flags(table: pd.DataFrame, metric: str, reference: int | None) -> np.ndarray:
    """Estimate outside the fair band and interval excluding 1; never the reference or a "too few" group."""
    estimate = table[f"{metric}_disparity"].to_numpy()
    low, high = table[f"{metric}_disparity_low"].to_numpy(), table[f"{metric}_disparity_high"].to_numpy()
    outside_band = (estimate < FAIR_BAND[0]) | (estimate > FAIR_BAND[1])
    excludes_one = (low > 1.0) | (high < 1.0)
    is_reference = np.arange(len(table)) == (reference if reference is not None else -1)
    return outside_band & excludes_one & (table["status"].to_numpy() == OK) & ~is_reference


def _ratio(numerator: np.ndarray | pd.Series, denominator: np.ndarray | pd.Series) -> np.ndarray:
    """numerator / denominator, NaN where the denominator is 0 or NaN."""
    top, bottom = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    out = np.full(top.shape, np.nan)
    np.divide(top, bottom, out=out, where=(bottom != 0) & ~np.isnan(bottom))
    return out
