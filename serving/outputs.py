"""What a batch run leaves for people: the scores file, township lists for Excel, the summary with
its reconciliation and churn, and the report page."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.validate import ValidationResult
from serving import files

TIER_ZH = {"high": "高", "medium": "中", "low": "低"}
CSV_COLUMNS = {                       # Chinese headers of the township list; nothing that identifies a person
    "rank_in_township": "排名",
    "household_id": "户编号",
    "village_code": "村代码",
    "flagged": "列入本轮走访",
    "score": "风险分",
    "band": "风险档(1-20)",
    "tier": "风险等级",
    "reasons": "主要原因",
    "measures": "建议帮扶措施",
}
SCORE_COLUMNS = ("household_id", "village_code", "township_code", "county_code", "as_of", "score", "band", "tier",
                 "rank_in_township", "flagged", "explained", "reason_codes", "reason_families", "reasons_zh",
                 "reasons_en", "measure_codes", "measures_zh", "measures_en", "measures_received",
                 "explanation_json", "model_name", "model_version", "feature_schema_version", "input_snapshot")


@dataclass(frozen=True)
class InputAccount:
    """What the run read: validation of every table (counts and quarantine) and the export's households."""

    validation: ValidationResult
    households: int


def write_outputs(run_dir: Path, account: InputAccount, manifest: dict, lists: pd.DataFrame,
                  reasons: list[pd.DataFrame], settings) -> dict:
    """The scores file, township lists, summary and report of the lists and the explained households' reasons."""
    from serving.report import render_report

    reasons = pd.concat(reasons, ignore_index=True) if reasons else pd.DataFrame(
        {"household_id": pd.Series(dtype="str")})
    scores = scores_frame(lists, reasons, manifest)
    files.write_parquet(run_dir / "scores.parquet", scores)
    for township, rows in scores.groupby("township_code", sort=True):
        files.write_csv(run_dir / "townships" / f"{township}.csv", township_csv(rows))
    summary = run_summary(account, manifest, scores, previous_flagged(run_dir, manifest))
    files.write_json(run_dir / "summary.json", summary)
    files.write_text(run_dir / "report.html", render_report(summary, scores))
    return summary


def scores_frame(lists: pd.DataFrame, reasons: pd.DataFrame, manifest: dict) -> pd.DataFrame:
    frame = lists.drop(columns=["part"], errors="ignore").merge(reasons, on="household_id", how="left", validate="one_to_one")
    empty = [[] for _ in range(len(frame))]
    for column in ("reason_codes", "reason_families", "reasons_zh", "reasons_en", "measure_codes", "measures_zh",
                   "measures_en", "measures_received"):
        present = frame[column].notna() if column in frame else pd.Series(False, index=frame.index)
        values = frame[column] if column in frame else pd.Series(empty, index=frame.index, dtype="object")
        frame[column] = [list(v) if ok else [] for v, ok in zip(values, present)]
    frame["explanation_json"] = frame.get("explanation_json", pd.Series(index=frame.index, dtype="str"))
    frame["model_name"] = manifest["model"]
    frame["model_version"] = int(manifest["model_version"])
    frame["feature_schema_version"] = manifest["feature_schema"]
    frame["input_snapshot"] = manifest["input_snapshot"]
    frame = frame.sort_values(["county_code", "township_code", "rank_in_township"], kind="mergesort")
    return frame.loc[:, list(SCORE_COLUMNS)].reset_index(drop=True)


def township_csv(rows: pd.DataFrame) -> pd.DataFrame:
    """One township's list for case workers, ranked, flagged households first."""
    rows = rows.sort_values("rank_in_township")

    measures = ["；".join(text + ("（已享受）" if code in set(received) else "") for code, text in zip(codes, texts))
                for codes, texts, received in zip(rows["measure_codes"], rows["measures_zh"], rows["measures_received"])]
    out = pd.DataFrame({
        "rank_in_township": rows["rank_in_township"].to_numpy(),
        "household_id": rows["household_id"].to_numpy(),
        "village_code": rows["village_code"].to_numpy(),
        "flagged": np.where(rows["flagged"], "是", "否"),
        "score": rows["score"].round(4).to_numpy(),
        "band": rows["band"].to_numpy(),
        "tier": rows["tier"].map(TIER_ZH).to_numpy(),
        "reasons": ["；".join(texts) for texts in rows["reasons_zh"]],
        "measures": measures,
    })
    return out.rename(columns=CSV_COLUMNS)


def previous_flagged(run_dir: Path, manifest: dict) -> dict[str, dict]:
    """Per county, the flagged households of the latest finished run before this as-of date in the
    same output folder (any model version; the latest finished when several)."""
    from serving.batch import MARKER

    out_dir, as_of = run_dir.parent.parent, manifest["as_of"]
    candidates = []
    for marker in out_dir.glob(f"*/v*/{MARKER}"):
        earlier = marker.parent.parent.name
        if earlier < as_of:
            info = files.read_json(marker)
            candidates.append((earlier, info.get("finished_at", ""), marker.parent, info))
    found: dict[str, dict] = {}
    for earlier, _, folder, info in sorted(candidates, reverse=True):
        flagged = pd.read_parquet(folder / "scores.parquet", columns=["household_id", "county_code", "flagged"])
        for county, rows in flagged.groupby("county_code"):
            found.setdefault(county, {"as_of": earlier, "model_version": info.get("model_version"),
                                      "flagged": set(rows.loc[rows["flagged"], "household_id"])})
    return found


def run_summary(account: InputAccount, manifest: dict, scores: pd.DataFrame, previous: dict[str, dict]) -> dict:
    table = account.validation.reconciliation()
    households = account.households
    bands = scores["band"].value_counts().reindex(range(1, 21), fill_value=0)
    return {
        "as_of": manifest["as_of"], "model": manifest["model"], "model_version": manifest["model_version"],
        "feature_schema": manifest["feature_schema"], "input_snapshot": manifest["input_snapshot"],
        "capacity_per_township": manifest["capacity"],
        "reconciliation": {
            "households_in_export": int(households),
            "households_in_cohort": int(len(scores)),
            "households_not_in_cohort": int(households - len(scores)),
            "scored": int(scores["score"].notna().sum()),
            "explained": int(scores["explained"].sum()),
            "flagged": int(scores["flagged"].sum()),
            "rows_read": int(table["read"].sum()), "rows_accepted": int(table["accepted"].sum()),
            "rows_collapsed": int(table["collapsed"].sum()), "rows_quarantined": int(table["quarantined"].sum()),
            "quarantined_by_table": {r["table"]: int(r["quarantined"]) for r in table.to_dict("records")
                                     if r["quarantined"]},
            "rows_reconcile": bool(table["reconciles"].all()),
            "households_reconcile": bool(scores["score"].notna().sum() == len(scores)),
        },
        "scores": {"mean": _round(scores["score"].mean()),
                   "quantiles": {f"p{int(q * 100)}": _round(scores["score"].quantile(q)) for q in (0.5, 0.9, 0.99)},
                   "bands": {str(b): int(n) for b, n in bands.items()},
                   "tiers": {t: int((scores["tier"] == t).sum()) for t in ("high", "medium", "low")}},
        "counties": {county: {"households": int(len(rows)), "townships": int(rows["township_code"].nunique()),
                              "flagged": int(rows["flagged"].sum()), "high_tier": int((rows["tier"] == "high").sum())}
                     for county, rows in scores.groupby("county_code", sort=True)},
        "flagged_per_township": {t: int(n) for t, n in scores.groupby("township_code", sort=True)["flagged"].sum()
                                 .items()},
        "reasons_of_flagged": _reason_counts(scores[scores["flagged"]]),
        "churn": _churn(scores, previous),
    }


def _reason_counts(flagged: pd.DataFrame) -> dict[str, int]:
    families = pd.Series([f for families in flagged["reason_families"] for f in families], dtype="str")
    return {family: int(n) for family, n in families.value_counts().sort_index().items()}


def _churn(scores: pd.DataFrame, previous: dict[str, dict]) -> dict[str, dict | None]:
    out = {}
    for county, rows in scores.groupby("county_code", sort=True):
        now = set(rows.loc[rows["flagged"], "household_id"])
        before = previous.get(county)
        if before is None:
            out[county] = None
            continue
        union = now | before["flagged"]
        out[county] = {"previous_as_of": before["as_of"], "previous_model_version": before["model_version"],
                       "entered": len(now - before["flagged"]), "left": len(before["flagged"] - now),
                       "stayed": len(now & before["flagged"]),
                       "jaccard": _round(len(now & before["flagged"]) / len(union)) if union else None}
    return out


def _round(value) -> float | None:
    return None if value is None or pd.isna(value) else round(float(value), 6)

