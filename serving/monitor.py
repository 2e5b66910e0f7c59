"""`stayout monitor`: drift of the current cohort against the champion's training reference.

For every model input and the calibrated score: PSI on the reference's 10 quantile bins (0.10
watch, 0.25 act, judged with at least 500 households on each side), the share missing on each
side and levels the reference never had (`models.drift`; inputs that move with the calendar alone
are compared in their calendar-free view, listed in the report); per county, the cohort, its mean score
and the share in the high tier. The verdict is the worst status found: `ok` or `watch` exit 0,
`act` exits 3 so that a scheduler can react. Written to `OUT/monitor-<as_of>.json` and `.html`
(`serving.monitor_report`), and as a run of the `stayout-monitor` experiment in MLflow.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from features.build import build_features
from features.history import villages_at
from features.labels import NeedGrid, attach_labels, data_end, is_final
from features.timeline import HouseholdIndex
from features.read import read_export
from models import registry
from models.drift import ORDER, SCORE, worst_first
from models.lists import capacity_flags, county_code, township_code
from serving.files import write_json, write_text
from serving.monitor_report import render_monitor
from stayout.errors import InputError
from serving.store import Store
from stayout.home import quarantine_dir_for, stayout_home

EXIT_ACT = 3
DEFAULT_CAPACITY = 10            # households flagged per township, as `stayout score` does by default
MONITOR_EXPERIMENT = "stayout-monitor"


@dataclass(frozen=True)
class MonitorResult:
    verdict: str                      # ok, watch or act
    against: str                      # which training reference the cohort was compared with
    path: Path
    drift: pd.DataFrame               # one row per input and the score
    counties: pd.DataFrame

    @property
    def exit_code(self) -> int:
        return EXIT_ACT if self.verdict == "act" else 0


def monitor(data_dir: Path, as_of: pd.Timestamp, out: Path, model_name: str = registry.DEFAULT_MODEL_NAME,
            alias: str = "champion", capacity: int = DEFAULT_CAPACITY) -> MonitorResult:
    bundle, found = registry.load_bundle(model_name, alias)
    if bundle.reference is None:
        raise InputError(f"{model_name} v{found.version} was trained before models kept their training reference; "
                         "train it again with `stayout train` to monitor drift")
    export = read_export(data_dir, quarantine_dir_for(data_dir))
    frame = build_features(export.tables, [as_of])
    if frame.empty:
        raise InputError(f"the cohort at {as_of:%Y-%m-%d} is empty; choose a date inside the export")
    scores = bundle.predict(frame)
    current = bundle.reference.viewed(frame.loc[:, list(bundle.feature_names)].astype("float64"), as_of)
    current = current.assign(**{SCORE: scores})
    reference, against = bundle.reference.for_month(as_of.month)
    views = dict(getattr(bundle.reference, "views", {}))
    drift = worst_first(reference.compare(current))
    judged = drift[drift["status"] != "too_few"]
    verdict = max(judged["status"], key=ORDER.__getitem__) if len(judged) else "ok"
    counties = _counties(export.tables["households"], frame, scores, bundle, as_of, capacity)
    backtests = backtest(Store.at_home(stayout_home()), export.tables, export.exported_at)
    result = {
        "as_of": f"{as_of:%Y-%m-%d}", "model_name": model_name, "model_version": found.version, "verdict": verdict,
        "exit_code": EXIT_ACT if verdict == "act" else 0, "households": len(frame), "capacity": capacity,
        "reference_rows": reference.rows, "reference": against, "views": views,
        "act": drift.loc[drift["status"] == "act", "column"].tolist(),
        "watch": drift.loc[drift["status"] == "watch", "column"].tolist(),
        "drift": drift.to_dict(orient="records"), "counties": counties.to_dict(orient="records"),
        "backtests": backtests,
    }
    path = Path(out) / f"monitor-{as_of:%Y-%m-%d}.json"
    write_json(path, result)
    page = render_monitor(result)
    write_text(path.with_suffix(".html"), page)
    _track(result, page)
    return MonitorResult(verdict, against, path, drift, counties)


def _track(result: dict, page: str) -> None:
    """The run a person opens in the MLflow UI: PSI of every input as metrics, the verdict as a tag,
    the JSON and the page as artifacts."""
    with registry.run(MONITOR_EXPERIMENT) as run:
        run.log_params({"as_of": result["as_of"], "model_name": result["model_name"],
                        "model_version": str(result["model_version"]), "reference": result["reference"][:250]})
        run.set_tags({"verdict": result["verdict"], "kind": "monitor"})
        run.log_metrics({"households": result["households"], "to_act": len(result["act"]),
                         "to_watch": len(result["watch"]),
                         **{f"psi_{row['column']}": row["psi"] for row in result["drift"]}})
        run.log_dict(result, f"monitor-{result['as_of']}.json")
        run.log_text(page, f"monitor-{result['as_of']}.html")


def backtest(store: Store, tables: dict[str, pd.DataFrame], exported_at: pd.Timestamp | None) -> list[dict]:
    """Each list the online store holds for households of this export, against what happened:
    once its 12-month outcome is final in this export, the realized relapse rate of the flagged
    households (precision at capacity), the share of all relapses they caught (recall), and the
    mean score each tier promised beside the rate realized in it."""
    if not store.path.exists():
        return []
    end = data_end(tables, exported_at)
    known = set(tables["households"]["household_id"].astype("str"))
    grid = None
    out = []
    for run in store.runs().itertuples(index=False):
        as_of = pd.Timestamp(run.as_of)
        scores = store.run_scores(run.run_key)
        scores = scores[scores["household_id"].isin(known)].reset_index(drop=True)
        if scores.empty:
            continue
        entry = {"run_key": run.run_key, "as_of": run.as_of, "model_version": int(run.model_version),
                 "households": len(scores), "matured": is_final(as_of, end)}
        if not entry["matured"]:
            out.append(entry)
            continue
        if grid is None:
            grid = NeedGrid.build(tables, HouseholdIndex.from_tables(tables))
        labels = attach_labels(scores[["household_id"]].assign(as_of=as_of), tables, exported_at, grid)
        relapsed = labels["relapse_12m"].fillna(False).to_numpy(dtype=bool)
        flagged = scores["flagged"].to_numpy()
        tiers = [{"tier": tier, "households": int(mask.sum()), "promised": round(float(scores["score"][mask].mean()), 4),
                  "realized": round(float(relapsed[mask].mean()), 4)}
                 for tier in ("high", "medium", "low") if (mask := (scores["tier"] == tier).to_numpy()).any()]
        entry.update(flagged=int(flagged.sum()), relapsed=int(relapsed.sum()),
                     precision_at_capacity=round(float(relapsed[flagged].mean()), 4) if flagged.any() else None,
                     recall_at_capacity=round(float(relapsed[flagged].sum() / relapsed.sum()), 4)
                     if relapsed.any() else None,
                     promised=round(float(scores["score"].mean()), 4), realized=round(float(relapsed.mean()), 4),
                     tiers=tiers)
        out.append(entry)
    return out


def _counties(households: pd.DataFrame, frame: pd.DataFrame, scores, bundle, as_of: pd.Timestamp,
              capacity: int) -> pd.DataFrame:
    """Per county: the cohort, its mean score, the share in the high tier and the share flagged
    (within `capacity` of its township's list)."""
    villages = villages_at(households, frame).astype("str")
    _, tiers = bundle.band_and_tier(scores)
    table = pd.DataFrame({"household_id": frame["household_id"].to_numpy(), "as_of": as_of,
                          "township_code": township_code(villages).to_numpy(),
                          "county_code": county_code(villages).to_numpy(), "score": scores,
                          "high": pd.Series(tiers) == "high"})
    table["flagged"] = capacity_flags(table, "score", capacity).to_numpy()
    grouped = table.groupby("county_code", sort=True)
    return pd.DataFrame({"households": grouped.size(), "mean_score": grouped["score"].mean().round(4),
                         "high_tier_share": grouped["high"].mean().round(4),
                         "flagged_share": grouped["flagged"].mean().round(4)}).reset_index()
