"""The real-time service for case workers' systems: `bentoml serve serving.service:Stayout`.

At start it goes offline, loads the champion of `STAYOUT_MODEL_NAME` (default `stayout-relapse`)
and keeps that version for the life of the process (every answer names it), and opens the online
store under `STAYOUT_HOME`. What the start loaded is then frozen out of the garbage collector's
full passes (`gc.freeze`), which otherwise paused a request for 150-350 ms now and then.

Endpoints (JSON bodies, fields at the top level):

- `POST /lookup` {household_id, as_of?}: the stored score of the batch run, its reasons and
  measures; `stale` when another version than the champion produced it.
- `POST /score` {as_of, records}: one household's records in the contract's shape, validated as an
  export is, scored and explained with the stored facts of its county's current run.
- `POST /score_batch` {households: [{as_of, records}, ...]}: up to 1,000 households; a list of
  answers or refusals in the order posted. Calls arriving together are joined by BentoML's
  adaptive batching, then validated together and scored in one pass per county and date.
- `POST /rescore` {household_id, as_of?, records}: new rows added to the stored ones; the new and
  the previous score and what changed. Posted rows go to `STAYOUT_HOME/intake/<date>.jsonl` first.

Village aggregates are facts of the run's as-of date. Asked for another date, the service uses
the latest stored date at or before it (`facts_as_of` in the answer says which), re-dated.

Keys, roles, rate and size limits and the audit log sit in an ASGI middleware (`serving.audit`).
"""
from __future__ import annotations

import datetime as dt
import gc
import json
import logging
import os
from pathlib import Path

import bentoml
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import ValidationError
from starlette.responses import JSONResponse

from features.build import build_features
from features.facts import Facts
from features.history import running_measures
from features.validate import validate_tables
from models import registry
from models.changes import what_changed
from models.explain import explain
from models.household_reasons import ReasonSettings, explain_households
from models.reasons import ReasonBook
from serving.api import (MAX_BATCH, RECORD_TABLES, BatchItem, BatchResult, ErrorBody, LookupRequest, LookupResponse,
                         Problem, Records, RescoreRequest, RescoreResponse, ScoreBatchRequest, ScoreRequest,
                         ScoreResponse, ServiceError, as_records, as_text, empty_text, posted_rows, posted_tables,
                         refusal)
from serving.audit import MODEL_VERSION_HEADER, Gate, serve_version
from serving.store import Store, run_key
from stayout.errors import StayoutError
from stayout.home import go_offline, stayout_home

log = logging.getLogger("stayout.service")
MODEL_NAME_VARIABLE = "STAYOUT_MODEL_NAME"
DATED_FACTS_KEPT = 64
BATCH_LATENCY_MS = 60_000   # a batch of 1,000 households takes seconds; waiting longer than this is overload (503)   # (run, as_of) pairs whose dated facts are kept between requests


class OnlineScorer:
    """The service's work, without HTTP: answers or raises `StayoutError` (mapped to a status)."""

    def __init__(self, bundle, model_name: str, model_version: int, store: Store, book: ReasonBook, home: Path):
        self.bundle, self.model_name, self.model_version = bundle, model_name, int(model_version)
        self.store, self.book, self.home = store, book, Path(home)
        self._facts: dict[str, Facts] = {}
        self._villages: dict[str, frozenset[str]] = {}
        self._dated: dict[tuple[str, pd.Timestamp], tuple[Facts, pd.Timestamp]] = {}

    @classmethod
    def start(cls) -> "OnlineScorer":
        name = os.environ.get(MODEL_NAME_VARIABLE, registry.DEFAULT_MODEL_NAME)
        bundle, found = registry.load_bundle(name, "champion")
        home = stayout_home()
        log.info("serving %s v%d from %s", name, found.version, home)
        return cls(bundle, name, found.version, Store.at_home(home), ReasonBook.load(), home)

    @property
    def model(self) -> dict:
        return {"model_name": self.model_name, "champion_version": self.model_version}

    # ------------------------------------------------------------------ lookup
    def lookup(self, household_id: str, as_of: dt.date | None = None) -> LookupResponse:
        row = self._stored(household_id, as_of)
        explanation = row["explanation"] or {}
        return LookupResponse(
            household_id=row["household_id"], as_of=row["as_of"], score=row["score"], band=row["band"],
            tier=row["tier"], reasons=explanation.get("reasons", []), measures=explanation.get("measures", []),
            model_name=row["model_name"], model_version=row["model_version"], champion_version=self.model_version,
            stale=row["model_name"] != self.model_name or int(row["model_version"]) != self.model_version,
            explained=row["explanation"] is not None, flagged=row["flagged"],
            rank_in_township=row["rank_in_township"], township_code=row["township_code"], run_key=row["run_key"])

    def _stored(self, household_id: str, as_of: dt.date | None) -> dict:
        if as_of is None:
            row = self.store.household(household_id)
            if row is not None:
                return row
        runs = self.store.current_runs()
        if as_of is not None:
            day = f"{as_of:%Y-%m-%d}"
            keys = [run_key(day, self.model_name, self.model_version)]
            keys += [k for k in runs.loc[runs["as_of"] == day, "run_key"].unique() if k not in keys]
            row = next((found for key in keys if (found := self.store.household(household_id, key))), None)
        if row is not None:
            return row
        when = f" as of {as_of:%Y-%m-%d}" if as_of else ""
        if any(self.store.records(household_id, key) for key in runs["run_key"].unique()):
            raise ServiceError(404, f"household {household_id} has no stored score{when}: it is in the export but "
                               "not in the cohort (an open monitoring case, or dissolved); it is followed as a case")
        raise ServiceError(404, f"household {household_id} has no stored score{when}; check the id, or score its "
                           "county with `stayout score`", [Problem(field="household_id", reason="unknown household")])

    # ------------------------------------------------------------------ score
    def score(self, as_of: dt.date, records: Records | dict) -> ScoreResponse:
        posted = posted_tables(as_records(records))
        household_id = _one_household(posted)
        run, facts = self._county_facts(posted)
        raw = {name: posted.get(name, empty_text(name)) for name in _record_table_names()}
        tables = self._validated(raw, facts, {})
        return self._scored(tables, pd.Timestamp(as_of), run, household_id, _not_counted(posted, as_of))[0]

    # ------------------------------------------------------------------ score_batch
    def score_batch(self, items: list[BatchItem | dict]) -> list[BatchResult]:
        """Many households at once, an answer or a refusal each, in the order given: validated
        together and scored in one pass per county and date, so a household costs a fraction of a
        /score call. A refused household does not stop the others; a household given twice is
        scored from each of its posts."""
        results: list[BatchResult | None] = [None] * len(items)
        groups: dict[tuple[str, dt.date, int], list[tuple[int, str, dict]]] = {}
        posts: dict[tuple[str, dt.date, str], int] = {}
        for position, item in enumerate(items):
            household_id = None
            try:
                item = item if isinstance(item, BatchItem) else BatchItem.model_validate(item)
                posted = posted_tables(as_records(item.records))
                household_id = _one_household(posted)
                run, _ = self._county_facts(posted)
                post = posts[(run, item.as_of, household_id)] = posts.get((run, item.as_of, household_id), -1) + 1
                groups.setdefault((run, item.as_of, post), []).append((position, household_id, posted))
            except ServiceError as exc:
                results[position] = _refused(household_id, exc)
            except ValidationError as exc:
                results[position] = _refused(None, refusal(exc))
        for (run, as_of, _), members in groups.items():   # a group holds each household once
            self._score_group(run, pd.Timestamp(as_of), members, results)
        return results

    def _score_group(self, run: str, as_of: pd.Timestamp, members: list[tuple[int, str, dict]],
                     results: list) -> None:
        facts = self._facts_of(run)
        raw, owners = {}, {}
        for name in _record_table_names():
            parts = [posted.get(name, empty_text(name)) for _, _, posted in members]
            raw[name] = pa.concat_tables([part.select(parts[0].column_names) for part in parts])
            owners[name] = np.repeat(np.arange(len(members)), [part.num_rows for part in parts])
        result = validate_tables(raw, accepted=_reference(facts))
        problems: dict[int, list[Problem]] = {}
        for name, table in result.tables.items():
            if name not in owners:
                continue
            for row in table.quarantined[["row_number", "column", "reason"]].itertuples(index=False):
                owner = int(owners[name][int(row.row_number) - 1])
                first = int(np.flatnonzero(owners[name] == owner)[0])
                problems.setdefault(owner, []).append(Problem(table=name, row_number=int(row.row_number) - first,
                                                              column=row.column, reason=row.reason))
        for owner, found in problems.items():
            position, household_id, _ = members[owner]
            results[position] = _refused(household_id, ServiceError(
                422, f"{len(found)} row(s) were rejected by validation; fix them and post again", found))
        good = {household_id for owner, (_, household_id, _) in enumerate(members) if owner not in problems}
        if not good:
            return
        tables = {name: frame[frame["household_id"].astype("str").isin(good)].reset_index(drop=True)
                  for name, frame in result.accepted().items() if name in owners}
        tables.update(_reference(facts))
        try:
            dated, facts_as_of = self._facts_at(run, as_of)
        except ServiceError as exc:
            for position, household_id, _ in members:
                if household_id in good:
                    results[position] = _refused(household_id, exc)
            return
        rows = build_features(tables, [as_of], facts=dated)
        model = {"model": self.model_name, "model_version": self.model_version}
        records = explain_households(self.bundle, rows, self.book, running_measures(tables["assistance"], as_of),
                                     ReasonSettings(), model) if len(rows) else []
        by_household = {record["household_id"]: record for record in records}
        for position, household_id, posted in members:
            if household_id not in good:
                continue
            record = by_household.get(household_id)
            if record is None:
                results[position] = _refused(household_id, ServiceError(
                    422, f"household {household_id} is not in the cohort at {as_of:%Y-%m-%d}: no household row "
                    "recorded before as_of, dissolved, or an open monitoring case",
                    [Problem(field="as_of", reason="not scored at this date")]))
                continue
            answer = self._response(record, as_of, facts_as_of, _not_counted(posted, as_of.date()))
            results[position] = BatchResult(household_id=household_id, status=200, result=answer)

    # ------------------------------------------------------------------ rescore
    def rescore(self, household_id: str, as_of: dt.date | None, records: Records | dict) -> RescoreResponse:
        records = as_records(records)
        posted = {name: _of_household(table, household_id) for name, table in posted_tables(records).items()}
        for name, table in posted.items():
            ids = set(table.column("household_id").to_pylist()) - {household_id}
            if ids:
                raise ServiceError(422, f"records.{name}: rows of household {sorted(map(str, ids))[0]} posted to "
                                   f"rescore {household_id}", [Problem(table=name, column="household_id",
                                                                        field=f"records.{name}",
                                                                        reason="every row must be of the household")])
        stored = self._stored(household_id, None)
        intake = self._log_intake(household_id, records)
        run, facts = stored["run_key"], self._facts_of(stored["run_key"])
        stored_tables = self.store.household_tables(household_id, run)
        raw, offsets = {}, {}
        for name in _record_table_names():
            old = as_text(stored_tables[name])
            new = posted.get(name)
            raw[name] = old if new is None else pa_concat(old, new)
            offsets[name] = old.num_rows
        as_of = pd.Timestamp(as_of if as_of is not None else stored["as_of"])
        tables = self._validated(raw, facts, offsets)
        answer, rows = self._scored(tables, as_of, run, household_id, _not_counted(posted, as_of.date()))
        before_rows = pd.DataFrame([stored["features"]]).assign(household_id=household_id,
                                                                as_of=pd.Timestamp(stored["as_of"]))
        changes = what_changed(explain(self.bundle, before_rows), explain(self.bundle, rows), rows, self.book)[0]
        return RescoreResponse(**answer.model_dump(by_alias=True), previous_score=stored["score"],
                               previous_model_version=stored["model_version"], previous_as_of=stored["as_of"],
                               changes=[change.record() for change in changes], intake_rows=intake)

    # ------------------------------------------------------------------ shared steps
    def _facts_of(self, run: str) -> Facts:
        if run not in self._facts:
            facts = self.store.facts(run)
            if facts is None:
                raise ServiceError(503, f"the online store holds no facts for run {run}; score the county again "
                                   "with `stayout score --force`")
            self._facts[run] = facts
        return self._facts[run]

    def _villages_of(self, run: str) -> frozenset[str]:
        if run not in self._villages:
            self._villages[run] = frozenset(self._facts_of(run).areas["village_code"].astype("str"))
        return self._villages[run]

    def _facts_at(self, run: str, as_of: pd.Timestamp) -> tuple[Facts, pd.Timestamp]:
        """The run's facts dated `as_of` (see `_facts_at`), kept for the next request of that date."""
        key = (run, pd.Timestamp(as_of))
        if key not in self._dated:
            if len(self._dated) >= DATED_FACTS_KEPT:
                self._dated.clear()
            self._dated[key] = _facts_at(self._facts_of(run), key[1])
        return self._dated[key]

    def _county_facts(self, posted) -> tuple[str, Facts]:
        villages = {v for v in posted["households"].column("village_code").to_pylist() if v}
        for run in self.store.current_run_keys():
            if villages & self._villages_of(run):
                return run, self._facts_of(run)
        village = sorted(villages)[0] if villages else None
        why = (f"village {village} is in no county the online store holds a current run for; score its county "
               "with `stayout score` first") if village else "village_code is empty; fill it in"
        raise ServiceError(422, why, [Problem(table="households", row_number=1, column="village_code",
                                              field="records.households[0].village_code", reason=why)])

    def _validated(self, raw: dict, facts: Facts, offsets: dict[str, int]) -> dict[str, pd.DataFrame]:
        """Validation as for an export; any quarantined row refuses the request (422, each place named)."""
        result = validate_tables(raw, accepted=_reference(facts))
        problems = []
        for name, table in result.tables.items():
            if table.quarantined.empty:
                continue
            offset = offsets.get(name, 0)
            for row in table.quarantined[["row_number", "column", "reason"]].itertuples(index=False):
                number = int(row.row_number) - offset
                problems.append(Problem(table=name, row_number=number if number > 0 else None, column=row.column,
                                        reason=row.reason if number > 0 else f"(a stored row) {row.reason}"))
        if problems:
            raise ServiceError(422, f"{len(problems)} row(s) were rejected by validation; fix them and post again",
                               problems)
        tables = result.accepted()
        tables.update(areas=facts.areas, monitoring_lines=facts.monitoring_lines)
        return tables

    def _scored(self, tables, as_of: pd.Timestamp, run: str, household_id: str,
                not_counted: int) -> tuple[ScoreResponse, pd.DataFrame]:
        dated, facts_as_of = self._facts_at(run, as_of)
        rows = build_features(tables, [as_of], facts=dated)
        if rows.empty:
            raise ServiceError(422, f"household {household_id} is not in the cohort at {as_of:%Y-%m-%d}: no household "
                               "row recorded before as_of, dissolved, or an open monitoring case (followed as a case)",
                               [Problem(field="as_of", reason="the household is not scored at this date")])
        received = running_measures(tables["assistance"], as_of)
        model = {"model": self.model_name, "model_version": self.model_version}
        record = explain_households(self.bundle, rows, self.book, received, ReasonSettings(), model)[0]
        return self._response(record, as_of, facts_as_of, not_counted), rows

    def _response(self, record: dict, as_of: pd.Timestamp, facts_as_of: pd.Timestamp,
                  not_counted: int) -> ScoreResponse:
        """A scoring answer from an explained record (`models.household_reasons`)."""
        return ScoreResponse(
            household_id=record["household_id"], as_of=f"{as_of:%Y-%m-%d}", score=record["score"],
            band=record["band"], tier=record["tier"], reasons=record["reasons"], measures=record["measures"],
            model_name=self.model_name, model_version=self.model_version, champion_version=self.model_version,
            facts_as_of=f"{facts_as_of:%Y-%m-%d}", not_counted=not_counted)

    def _log_intake(self, household_id: str, records: Records) -> int:
        """Append the posted rows, one JSON line each, before anything else can refuse them."""
        received = dt.datetime.now(dt.timezone.utc)
        lines = [json.dumps({"received_at": received.isoformat(timespec="milliseconds"),
                             "household_id": household_id, "table": name, "row": row}, ensure_ascii=False) + "\n"
                 for name, row in posted_rows(records)]
        if lines:
            folder = self.home / "intake"
            folder.mkdir(parents=True, exist_ok=True)
            with open(folder / f"{received:%Y-%m-%d}.jsonl", "a", encoding="utf-8") as intake:
                intake.write("".join(lines))
        return len(lines)


def _reference(facts: Facts) -> dict[str, pd.DataFrame]:
    """The county's stored reference tables, accepted when its run was scored."""
    return {"areas": facts.areas, "monitoring_lines": facts.monitoring_lines}


def _refused(household_id: str | None, exc: ServiceError) -> BatchResult:
    return BatchResult(household_id=household_id, status=exc.http_status,
                       error=ErrorBody(error=str(exc), detail=exc.detail))


def pa_concat(old: pa.Table, new: pa.Table) -> pa.Table:
    return pa.concat_tables([old, new.select(old.column_names)])


def _record_table_names() -> list[str]:
    return list(RECORD_TABLES)


def _of_household(table: pa.Table, household_id: str) -> pa.Table:
    """Rows posted to rescore a household belong to it where they leave household_id out."""
    position = table.column_names.index("household_id")
    return table.set_column(position, "household_id", pc.fill_null(table.column("household_id"), household_id))


def _one_household(posted) -> str:
    households = posted.get("households")
    ids = sorted({h for h in households.column("household_id").to_pylist() if h}) if households else []
    if len(ids) != 1:
        why = ("post the household's row(s) in records.households" if not ids else
               f"rows of {len(ids)} households posted; post one household at a time")
        raise ServiceError(422, why, [Problem(table="households", field="records.households", reason=why)])
    return ids[0]


def _not_counted(posted, as_of: dt.date) -> int:
    """Posted rows recorded on or after as_of (features leave them out)."""
    limit = f"{as_of:%Y-%m-%d}"
    return sum(sum(1 for value in table.column("recorded_at").to_pylist() if value and value[:10] >= limit)
               for table in posted.values())


def _facts_at(facts: Facts, as_of: pd.Timestamp) -> tuple[Facts, pd.Timestamp]:
    """The facts with village aggregates of `as_of`: its own if stored, else the latest stored date
    before it, re-dated to `as_of`."""
    dates = facts.as_of_dates
    if as_of in dates:
        return facts.for_dates([as_of]), as_of
    earlier = [d for d in dates if d <= as_of]
    if not earlier:
        first = f"{dates[0]:%Y-%m-%d}" if dates else "none"
        why = f"as_of is before the first date the county's facts are stored for ({first}); use a later date"
        raise ServiceError(422, why, [Problem(field="as_of", reason=why)])
    chosen = max(earlier)
    villages = facts.villages[facts.villages["as_of"] == np.datetime64(chosen, "us")].copy()
    villages["as_of"] = np.full(len(villages), np.datetime64(as_of, "us"))
    return Facts(facts.areas, facts.monitoring_lines, villages.reset_index(drop=True)), chosen


def _answer(ctx, scorer: OnlineScorer | None, work):
    """The endpoint's answer: the typed response, or a JSON error with the error's status."""
    status, headers = 200, {}
    if scorer is not None:
        headers[MODEL_VERSION_HEADER] = str(scorer.model_version)
    try:
        result = work()
    except ServiceError as exc:
        status, result = exc.http_status, JSONResponse(exc.body(), status_code=exc.http_status, headers=headers)
    except StayoutError as exc:
        status = exc.http_status
        result = JSONResponse({"error": str(exc), "detail": []}, status_code=status, headers=headers)
    except Exception:  # a bug: logged with its trace, answered without it
        log.exception("unexpected error")
        status = 500
        result = JSONResponse({"error": "unexpected error in the service; it is logged", "detail": []}, status,
                              headers=headers)
    if ctx is not None:
        ctx.response.status_code = status
        ctx.response.metadata.update(headers)
    return result


@bentoml.service(name="stayout", traffic={"timeout": 60})
class Stayout:
    """Scores, reasons and measures of households for case workers' systems."""

    def __init__(self) -> None:
        go_offline()
        self.scorer = OnlineScorer.start()
        serve_version(self.scorer.model_version)

    @bentoml.on_startup
    def settle(self) -> None:
        """Keep what the start made (libraries, the model, the store) out of the collector's full
        passes: it lives as long as the process. Each full pass over it took 150-350 ms here, a pause
        in whichever request it fell on; after this, a full pass sees only what requests made."""
        gc.collect()
        gc.freeze()

    @bentoml.api(input_spec=LookupRequest, output_spec=LookupResponse)
    def lookup(self, household_id: str, as_of: dt.date | None = None, ctx=None):
        """The stored score of a household, its reasons and measures."""
        return _answer(ctx, self.scorer, lambda: self.scorer.lookup(household_id, as_of))

    @bentoml.api(input_spec=ScoreRequest, output_spec=ScoreResponse)
    def score(self, as_of: dt.date, records: Records, ctx=None):
        """Score one household from its records (validated as an export is)."""
        return _answer(ctx, self.scorer, lambda: self.scorer.score(as_of, records))

    @bentoml.api(input_spec=ScoreBatchRequest, batchable=True, batch_dim=0, max_batch_size=MAX_BATCH,
                 max_latency_ms=BATCH_LATENCY_MS)
    def score_batch(self, households: list[BatchItem]) -> list[BatchResult]:
        """Score up to 1,000 households from their records; an answer or a refusal each, in the order given.
        Concurrent calls are scored together (adaptive batching)."""
        return self.scorer.score_batch(households)

    @bentoml.api(input_spec=RescoreRequest, output_spec=RescoreResponse)
    def rescore(self, household_id: str, as_of: dt.date | None = None, records: Records | None = None, ctx=None):
        """Add new rows to a household's stored records and score it again: new and previous score, what changed."""
        return _answer(ctx, self.scorer,
                       lambda: self.scorer.rescore(household_id, as_of, records if records is not None else Records()))


Stayout.add_asgi_middleware(Gate)


def serve(host: str, port: int) -> None:
    """Run the service until stopped (`stayout serve`), importing it from this checkout."""
    root = Path(__file__).resolve().parent.parent
    bentoml.serve("serving.service:Stayout", host=host, port=port, working_dir=str(root), blocking=True)
