"""Batch scoring of a county or province: every household of the cohort at one as-of date.

The run goes in stages, each leaving files that a restarted run trusts:

1. features and scores, one part of households at a time (`_work/scores-NNNNN.parquet`);
2. township lists over all scores: rank, flagged within capacity, the households to explain;
3. reasons and measures of those households, part by part (`_work/reasons-NNNNN.parquet`);
4. the outputs (`scores.parquet`, `townships/*.csv`, `summary.json`, `report.html`), the online
   store, and last the completion marker `_COMPLETE.json`.

Every file is written under a temporary name and renamed, so a run killed at any point leaves
whole files only; `resume` continues from them and gives what an uninterrupted run gives. A run
whose marker exists is not repeated unless forced; runs of different model versions live in
different folders and never overwrite each other.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from features.build import build_features
from features.facts import Facts
from features.history import cohort, running_measures
from features.parted import PartedExport, read_export_in_parts
from models.bundle import ModelBundle
from models.household_reasons import ReasonSettings, explain_households
from models.lists import county_code, ranking, township_code
from models.reasons import ReasonBook
from serving import files
from stayout.errors import InputError

log = logging.getLogger(__name__)

MARKER = "_COMPLETE.json"
WORK = "_work"
OUTPUT_SCHEMA = "1"
STOP_AT_VARIABLE = "STAYOUT_SCORE_KILL_AT"    # tests: the process kills itself (SIGKILL) at this point


@dataclass(frozen=True)
class ScoreSettings:
    as_of: pd.Timestamp
    capacity: int = 10                   # households a township's staff visit per round (flagged by rank)
    explain_per_township: int = 20       # the top of each township list gets reasons (at least the flagged)
    chunk_households: int = 50_000
    reasons: ReasonSettings = field(default_factory=ReasonSettings)

    def __post_init__(self):
        if self.capacity < 1 or self.chunk_households < 1 or self.explain_per_township < 0:
            raise InputError("capacity and chunk size must be at least 1 and the households to explain per township "
                             "at least 0; check --capacity-per-township and --chunk-households")


@dataclass(frozen=True)
class Model:
    bundle: ModelBundle
    name: str
    version: int


@dataclass
class RunResult:
    run_dir: Path
    finished: bool                  # the run is complete (now or before)
    repeated: bool                  # False when a finished run was found and left alone
    summary: dict
    resumed_parts: int = 0


def run_folder(out_dir: Path, as_of: pd.Timestamp, version: int) -> Path:
    return Path(out_dir) / f"{pd.Timestamp(as_of):%Y-%m-%d}" / f"v{version}"


def score_export(data_dir: Path, model: Model, settings: ScoreSettings, out_dir: Path, book: ReasonBook,
                 resume: bool = False, force: bool = False, store=None, progress: bool | None = None,
                 quarantine_dir: Path | None = None) -> RunResult:
    """Score every cohort household of the export in `data_dir` at `settings.as_of` into
    `out_dir/<as_of>/v<version>/`. The export is read in parts of `settings.chunk_households`
    households (`features.parted`), so memory is bounded by the part size."""
    as_of = pd.Timestamp(settings.as_of)
    run_dir = run_folder(out_dir, as_of, model.version)
    marker = run_dir / MARKER
    if marker.exists() and not force:
        log.info("%s is a finished run; nothing to do (--force scores it again)", run_dir)
        return RunResult(run_dir, True, False, files.read_json(run_dir / "summary.json"))
    work = _claim(run_dir, resume, force)
    clock = _Clock()
    export = read_export_in_parts(data_dir, work / "input", settings.chunk_households, quarantine_dir)
    manifest = {"output_schema": OUTPUT_SCHEMA, "as_of": f"{as_of:%Y-%m-%d}", "model": model.name,
                "model_version": model.version, "feature_schema": model.bundle.schema_version,
                "input_snapshot": export.snapshot, "capacity": settings.capacity,
                "explain_per_township": settings.explain_per_township,
                "chunk_households": settings.chunk_households, "reasons": asdict(settings.reasons)}
    _check_manifest(run_dir, work, manifest)
    clock.lap("read_and_validate")
    whole = export.reference_tables()
    households = cohort(whole["households"], whole["cases"], as_of)
    households = households.assign(household_id=households["household_id"].astype("str"))
    facts = Facts.from_tables(whole, [as_of])
    clock.lap("facts")
    done = _score_parts(export, facts, model, as_of, households, work, progress)
    clock.lap("features_and_scores")
    _kill_point("scored")
    lists = _township_lists(work, len(export), settings)
    clock.lap("lists")
    _explain_parts(export, lists, model, as_of, book, settings, work)
    clock.lap("reasons")
    _kill_point("explained")
    from serving.outputs import InputAccount, write_outputs

    reasons = [pd.read_parquet(part_path(work, "reasons", k)) for k in range(len(export))]
    account = InputAccount(export.validation, export.whole["households"]["household_id"].astype("str").nunique())
    summary = write_outputs(run_dir, account, manifest, lists, reasons, settings)
    clock.lap("outputs")
    _kill_point("outputs")
    if store is not None:
        store.write_run(run_dir, manifest, summary, lists, work, len(export), export, facts, model)
        clock.lap("store")
    _kill_point("stored")
    files.write_json(marker, {**manifest, "finished_at": pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"),
                              "households_scored": summary["reconciliation"]["scored"],
                              "seconds_this_session": clock.laps})
    shutil.rmtree(work, ignore_errors=True)
    return RunResult(run_dir, True, True, summary, done)


def _claim(run_dir: Path, resume: bool, force: bool) -> Path:
    """The run's work folder: new, or an unfinished run's when resuming."""
    work = run_dir / WORK
    if force and run_dir.exists():
        shutil.rmtree(run_dir)
    if work.exists():
        if not resume:
            raise InputError(f"{run_dir} holds an unfinished run; continue it with --resume, or start it again with "
                             "--force")
        log.info("resuming the unfinished run in %s", run_dir)
    elif run_dir.exists() and any(run_dir.iterdir()):
        raise InputError(f"{run_dir} is not empty and holds no run this command can continue; move it away or use "
                         "--force")
    work.mkdir(parents=True, exist_ok=True)
    return work


def _check_manifest(run_dir: Path, work: Path, manifest: dict) -> None:
    """A resumed run must have been started with the same input and settings."""
    path = work / "run.json"
    if path.exists():
        started = files.read_json(path)
        different = sorted(k for k in manifest if started.get(k) != manifest[k])
        if different:
            raise InputError(f"the unfinished run in {run_dir} was started with other settings or input "
                             f"({', '.join(different)} differ); rerun with the same ones, or with --force to "
                             "start again")
    else:
        files.write_json(path, manifest)


def part_path(work: Path, stage: str, part: int) -> Path:
    return work / f"{stage}-{part:05d}.parquet"


def _score_parts(export: PartedExport, facts: Facts, model: Model, as_of: pd.Timestamp,
                 households: pd.DataFrame, work: Path, progress: bool | None) -> int:
    """Features and scores of every part not already on disk; returns how many were found done."""
    village = households.set_index("household_id")["village_code"].astype("str")
    total = len(export)
    done = [k for k in range(total) if part_path(work, "scores", k).exists()]
    bar = _progress(len(households), progress)
    bar.update(sum(int(village.index.isin(export.ids(k)).sum()) for k in done))
    started = time.monotonic()
    for part in range(total):
        path = part_path(work, "scores", part)
        if path.exists():
            continue
        features = score_rows(build_features(export.part_tables(part), [as_of], facts=facts), village, model.bundle)
        files.write_parquet(path, features)
        bar.update(len(features))
        if not bar.interactive:
            rate = bar.count / max(time.monotonic() - started, 1e-9)
            log.info("part %d/%d scored: %d households (%.0f households/s)", part + 1, total, len(features), rate)
        _kill_point(f"part:{part}")
    bar.close()
    if done:
        log.info("%d of %d parts were already scored and are kept", len(done), total)
    return len(done)


def score_rows(features: pd.DataFrame, village: pd.Series, bundle: ModelBundle) -> pd.DataFrame:
    """The features with each household's village (from `village`, indexed by household), score, band and tier."""
    scores = bundle.predict(features)
    band, tier = bundle.band_and_tier(scores)
    features.insert(1, "village_code", features["household_id"].map(village).to_numpy())
    features.insert(3, "score", scores)
    features.insert(4, "band", band.astype("int64"))
    features.insert(5, "tier", tier.astype(str))
    return features


LIST_COLUMNS = ("household_id", "village_code", "as_of", "score", "band", "tier")


def _township_lists(work: Path, parts: int, settings: ScoreSettings) -> pd.DataFrame:
    """Every scored household with its place, rank in its township list, flagged and explained."""
    frames = [pd.read_parquet(part_path(work, "scores", k), columns=list(LIST_COLUMNS)) for k in range(parts)]
    lists = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(LIST_COLUMNS))
    lists = rank_lists(lists, settings.capacity, settings.explain_per_township)
    lists["part"] = np.repeat(np.arange(parts), [len(f) for f in frames]) if frames else []
    return lists


def rank_lists(lists: pd.DataFrame, capacity: int, explain_per_township: int) -> pd.DataFrame:
    """Scored households (`LIST_COLUMNS`) with township, county, rank in the township list, flagged
    (within capacity) and explained; a township's ranks need only its own households."""
    lists = lists.copy()
    lists["township_code"] = township_code(lists["village_code"])
    lists["county_code"] = county_code(lists["village_code"])
    lists["rank_in_township"] = ranking(lists, "score", within=("township_code",)).astype("int64")
    lists["flagged"] = lists["rank_in_township"] <= capacity
    lists["explained"] = lists["flagged"] | (lists["rank_in_township"] <= explain_per_township)
    return lists


def _explain_parts(export: PartedExport, lists: pd.DataFrame, model: Model, as_of: pd.Timestamp, book: ReasonBook,
                   settings: ScoreSettings, work: Path) -> None:
    """Reasons and measures of the households to explain, part by part."""
    meta = {"model": model.name, "model_version": model.version, "feature_schema": model.bundle.schema_version}
    for part in range(len(export)):
        path = part_path(work, "reasons", part)
        if path.exists():
            continue
        chosen = lists.loc[(lists["part"] == part) & lists["explained"], "household_id"]
        rows, received = pd.DataFrame(), {}
        if len(chosen):
            features = pd.read_parquet(part_path(work, "scores", part))
            rows = features[features["household_id"].isin(chosen)].reset_index(drop=True)
            received = running_measures(export.partition.part_tables(part)["assistance"], as_of)
        files.write_parquet(path, explain_rows(model.bundle, rows, received, book, settings.reasons, meta))
        _kill_point(f"reasons:{part}")


def explain_rows(bundle: ModelBundle, rows: pd.DataFrame, received: dict[str, set[str]], book: ReasonBook,
                 reasons: ReasonSettings, meta: dict) -> pd.DataFrame:
    """Reasons and measures of the scored feature `rows` as columns (`reason_columns`); none for no rows."""
    records = explain_households(bundle, rows, book, received, reasons, meta) if len(rows) else []
    return reason_columns(records)


def reason_columns(records: list[dict]) -> pd.DataFrame:
    """Explained records as columns: codes and texts of the reasons, measures, and the full JSON."""
    def texts(record, key, lang):
        return [item[lang] for item in record[key]]

    return pd.DataFrame({
        "household_id": pd.Series([r["household_id"] for r in records], dtype="str"),
        "reason_codes": pd.Series([[x["code"] for x in r["reasons"]] for r in records], dtype="object"),
        "reason_families": pd.Series([[x["family"] for x in r["reasons"]] for r in records], dtype="object"),
        "reasons_zh": pd.Series([texts(r, "reasons", "zh") for r in records], dtype="object"),
        "reasons_en": pd.Series([texts(r, "reasons", "en") for r in records], dtype="object"),
        "measure_codes": pd.Series([[m["code"] for m in r["measures"]] for r in records], dtype="object"),
        "measures_zh": pd.Series([texts(r, "measures", "zh") for r in records], dtype="object"),
        "measures_en": pd.Series([texts(r, "measures", "en") for r in records], dtype="object"),
        "measures_received": pd.Series([[m["code"] for m in r["measures"] if m["received"]] for r in records],
                                       dtype="object"),
        "explanation_json": pd.Series([json.dumps({k: r[k] for k in ("reasons", "measures")}, ensure_ascii=False)
                                       for r in records], dtype="str"),
    })


class _Clock:
    """Wall seconds of each stage of this session of the run (a resumed run times only its own work)."""

    def __init__(self):
        self.laps: dict[str, float] = {}
        self._last = time.monotonic()

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.laps[name] = round(now - self._last, 2)
        self._last = now


class _Bar:
    """tqdm on a terminal (households per second), nothing otherwise (plain log lines instead)."""

    def __init__(self, total: int, interactive: bool):
        self.interactive, self.count = interactive, 0
        self._bar = None
        if interactive:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="household", unit_scale=True, desc="scoring", file=sys.stderr)

    def update(self, n: int) -> None:
        self.count += n
        if self._bar is not None:
            self._bar.update(n)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def _progress(total: int, progress: bool | None) -> _Bar:
    return _Bar(total, sys.stderr.isatty() if progress is None else progress)


def _kill_point(name: str) -> None:
    """Where tests stop a run the hard way: the process kills itself, no cleanup runs."""
    if os.environ.get(STOP_AT_VARIABLE) == name:
        os.kill(os.getpid(), signal.SIGKILL)
