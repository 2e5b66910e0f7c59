"""The online store the service reads: an embedded SQLite file under `STAYOUT_HOME`.

Per batch run (as_of and model version) it holds, for every scored household, the features,
score, band, tier, rank, reasons and measures; each household's validated records (so that one
household can be scored again the moment a new record arrives); and the run's facts (lines,
areas, village aggregates), so a recomputed household gets what the batch gave it. The latest
finished run of each county is marked current.

The schema is versioned: a store written by another schema version is refused, with how to
rebuild it.
"""
from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 (pa.compute)

from features.catalogue import FEATURE_NAMES
from features.contract import TABLES
from features.facts import Facts
from features.validate import empty_accepted
from features.timeline import HouseholdIndex
from stayout.errors import StayoutError

SCHEMA_VERSION = "1"  # the first published schema
FILE_NAME = "store.sqlite"
BLOCK_HOUSEHOLDS = 1_000

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE runs (
    run_key TEXT PRIMARY KEY, as_of TEXT NOT NULL, model_name TEXT NOT NULL, model_version INTEGER NOT NULL,
    feature_schema TEXT NOT NULL, input_snapshot TEXT NOT NULL, out_dir TEXT NOT NULL, stored_at TEXT NOT NULL,
    feature_names TEXT NOT NULL, households INTEGER NOT NULL);
CREATE TABLE run_counties (
    run_key TEXT NOT NULL, county_code TEXT NOT NULL, is_current INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_key, county_code));
CREATE TABLE scores (
    household_id TEXT NOT NULL, run_key TEXT NOT NULL, as_of TEXT NOT NULL, model_version INTEGER NOT NULL,
    county_code TEXT NOT NULL, township_code TEXT NOT NULL, village_code TEXT NOT NULL,
    score REAL NOT NULL, band INTEGER NOT NULL, tier TEXT NOT NULL, rank_in_township INTEGER NOT NULL,
    flagged INTEGER NOT NULL, explanation TEXT, features BLOB NOT NULL,
    PRIMARY KEY (household_id, run_key));
CREATE TABLE record_index (household_id TEXT NOT NULL, run_key TEXT NOT NULL, block INTEGER NOT NULL,
    PRIMARY KEY (household_id, run_key));
CREATE TABLE record_blocks (run_key TEXT NOT NULL, block INTEGER NOT NULL, table_name TEXT NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (run_key, block, table_name));
CREATE TABLE facts (run_key TEXT NOT NULL, name TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_key, name));
"""


class StoreSchemaError(StayoutError):
    """The store on disk was written by another schema version."""


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._checked = False      # the schema version is read once per Store, not on every lookup

    @classmethod
    def at_home(cls, home: Path) -> "Store":
        return cls(Path(home) / FILE_NAME)

    def connect(self) -> sqlite3.Connection:
        fresh = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=60)
        if fresh:
            connection.execute("PRAGMA journal_mode=WAL")     # kept by the file: set once, at creation
            with connection:
                connection.executescript(SCHEMA)
                connection.execute("INSERT INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,))
        if not self._checked:
            self._check(connection)
            self._checked = True
        return connection

    def _check(self, connection: sqlite3.Connection) -> None:
        try:
            found = connection.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.DatabaseError:
            found = None
        version = found[0] if found else "unknown"
        if version != SCHEMA_VERSION:
            connection.close()
            raise StoreSchemaError(
                f"the online store {self.path} was written by store schema {version}; this version of stayout "
                f"reads schema {SCHEMA_VERSION}. Rebuild it: move the file away, then run `stayout score` again "
                "for the runs the service should answer from (--force if the run folders already exist)")

    # ------------------------------------------------------------------ writing
    def write_run(self, run_dir: Path, manifest: dict, summary: dict, lists: pd.DataFrame, work: Path, parts: int,
                  export, facts: Facts, model) -> str:
        """Store one run (replacing an earlier copy of the same run) and mark it current where it is the
        latest finished run of its county."""
        from serving.batch import part_path

        key = run_key(manifest["as_of"], manifest["model"], manifest["model_version"])
        with closing(self.connect()) as connection, connection:
            for table in ("scores", "record_index", "record_blocks", "facts", "run_counties", "runs"):
                connection.execute(f"DELETE FROM {table} WHERE run_key = ?", (key,))
            connection.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?)", (
                key, manifest["as_of"], manifest["model"], int(manifest["model_version"]), manifest["feature_schema"],
                manifest["input_snapshot"], str(Path(run_dir).resolve()),
                pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds"), json.dumps(list(FEATURE_NAMES)),
                int(len(lists))))
            connection.executemany("INSERT INTO facts VALUES (?, ?, ?)", (
                (key, name, _block_bytes(pa.Table.from_pandas(frame, preserve_index=False)))
                for name, frame in (("areas", facts.areas), ("monitoring_lines", facts.monitoring_lines),
                                    ("villages", facts.villages))))
            reasons = pd.read_parquet(run_dir / "scores.parquet", columns=["household_id", "explanation_json"])
            explanation = dict(zip(reasons["household_id"], reasons["explanation_json"]))
            places = lists.set_index("household_id")
            block = 0
            for part in range(parts):
                frame = pd.read_parquet(part_path(work, "scores", part))
                self._insert_scores(connection, key, manifest, frame, places, explanation)
                block = self._insert_records(connection, key, export.part_tables(part), export.ids(part), block)
            for county in sorted(lists["county_code"].unique()):
                connection.execute("INSERT INTO run_counties VALUES (?, ?, 0)", (key, county))
            _mark_current(connection)
        return key

    def _insert_scores(self, connection, key, manifest, frame, places, explanation) -> None:
        values = frame.loc[:, list(FEATURE_NAMES)].astype("float64").to_numpy()
        place = places.loc[frame["household_id"]]
        ids = frame["household_id"].astype("str").tolist()
        texts = [explanation.get(h) for h in ids]
        columns = zip(ids, place["county_code"].tolist(), place["township_code"].tolist(),
                      place["village_code"].tolist(), frame["score"].astype(float).tolist(),
                      frame["band"].astype(int).tolist(), frame["tier"].astype(str).tolist(),
                      place["rank_in_township"].astype(int).tolist(), place["flagged"].astype(int).tolist(),
                      texts, values)
        as_of, version = manifest["as_of"], int(manifest["model_version"])
        rows = [(h, key, as_of, version, county, township, village, score, band, tier, rank, flagged,
                 text if isinstance(text, str) else None, vector.tobytes())
                for h, county, township, village, score, band, tier, rank, flagged, text, vector in columns]
        connection.executemany("INSERT INTO scores VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)

    def _insert_records(self, connection, key, tables: dict[str, pd.DataFrame], ids, first_block: int) -> int:
        """The validated rows of the households `ids`, in blocks of BLOCK_HOUSEHOLDS households: one
        Arrow blob per block and table (a lookup reads one small blob per table)."""
        ids = pd.Index(pd.Series(list(ids), dtype="str"))
        index = HouseholdIndex(ids)
        blocks = first_block + np.arange(len(ids)) // BLOCK_HOUSEHOLDS
        connection.executemany("INSERT INTO record_index VALUES (?,?,?)",
                               zip(ids.tolist(), [key] * len(ids), blocks.tolist()))
        for name, frame in tables.items():
            if "household_id" not in frame.columns or frame.empty:
                continue
            position = index.codes(frame["household_id"])
            inside = np.flatnonzero(position >= 0)
            block_of = blocks[position[inside]]
            order = np.argsort(block_of, kind="stable")
            rows = pa.Table.from_pandas(frame, preserve_index=False).take(pa.array(inside[order]))
            block_of = block_of[order]
            bounds = np.flatnonzero(np.diff(block_of)) + 1
            starts, ends = np.r_[0, bounds], np.r_[bounds, len(block_of)]
            connection.executemany("INSERT INTO record_blocks VALUES (?,?,?,?)", (
                (key, int(block_of[start]), name, _block_bytes(rows.slice(start, end - start)))
                for start, end in zip(starts, ends) if end > start))
        return int(blocks[-1]) + 1 if len(ids) else first_block

    # ------------------------------------------------------------------ reading
    def current_runs(self) -> pd.DataFrame:
        with closing(self.connect()) as connection:
            return pd.read_sql_query(
                "SELECT c.county_code, r.* FROM run_counties c JOIN runs r USING (run_key) WHERE c.is_current = 1 "
                "ORDER BY c.county_code", connection)

    def current_run_keys(self) -> list[str]:
        """The runs that are current for some county, in county order (each once)."""
        with closing(self.connect()) as connection:
            keys = connection.execute("SELECT c.run_key FROM run_counties c JOIN runs r USING (run_key) "
                                      "WHERE c.is_current = 1 ORDER BY c.county_code").fetchall()
        return list(dict.fromkeys(key for key, in keys))

    def runs(self) -> pd.DataFrame:
        """Every stored run, oldest as_of first."""
        with closing(self.connect()) as connection:
            return pd.read_sql_query("SELECT * FROM runs ORDER BY as_of, run_key", connection)

    def run_scores(self, run: str) -> pd.DataFrame:
        """A run's scored households: id, county, score, band, tier, flagged."""
        with closing(self.connect()) as connection:
            frame = pd.read_sql_query(
                "SELECT household_id, county_code, township_code, score, band, tier, flagged FROM scores "
                "WHERE run_key = ? ORDER BY household_id", connection, params=(run,))
        return frame.assign(flagged=frame["flagged"].astype(bool))

    def household(self, household_id: str, run: str | None = None) -> dict | None:
        """The stored score of a household in `run` (default: its county's current run), with its
        features (by name), reasons and measures; None when it is not stored."""
        with closing(self.connect()) as connection:
            query = ("SELECT s.*, r.model_name, r.feature_names FROM scores s JOIN runs r USING (run_key) "
                     + ("WHERE s.household_id = ? AND s.run_key = ?" if run else
                        "JOIN run_counties c ON c.run_key = s.run_key AND c.county_code = s.county_code "
                        "WHERE s.household_id = ? AND c.is_current = 1"))
            connection.row_factory = sqlite3.Row
            row = connection.execute(query, (household_id, run) if run else (household_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        names = json.loads(out.pop("feature_names"))
        out["features"] = dict(zip(names, np.frombuffer(out.pop("features"), dtype="float64").tolist()))
        out["explanation"] = json.loads(out["explanation"]) if out["explanation"] else None
        out["flagged"] = bool(out["flagged"])
        return out

    def records(self, household_id: str, run: str) -> dict[str, pd.DataFrame]:
        """The household's validated rows per table as stored by the run (tables without rows absent)."""
        with closing(self.connect()) as connection:
            blobs = connection.execute(
                "SELECT b.table_name, b.data FROM record_index i JOIN record_blocks b "
                "ON b.run_key = i.run_key AND b.block = i.block WHERE i.household_id = ? AND i.run_key = ?",
                (household_id, run)).fetchall()
        out = {}
        for name, blob in blobs:
            table = pa.ipc.open_stream(pa.BufferReader(blob)).read_all()
            rows = table.filter(pa.compute.equal(table.column("household_id").cast(pa.string()), household_id))
            if rows.num_rows:
                out[name] = rows.to_pandas()
        return out

    def household_tables(self, household_id: str, run: str) -> dict[str, pd.DataFrame]:
        """All the contract's tables for one household as the run stored them: its own rows, the
        reference tables (areas, lines) from the run's facts, empty tables where it has no rows."""
        found = self.records(household_id, run)
        facts = self.facts(run)
        out = {}
        for table in TABLES:
            if table.name in ("areas", "monitoring_lines") and facts is not None:
                out[table.name] = getattr(facts, table.name)
            else:
                out[table.name] = found.get(table.name, empty_accepted(table))
        return out

    def facts(self, run: str) -> Facts | None:
        """The facts the run scored with (lines, areas, village aggregates), dtypes as they were."""
        with closing(self.connect()) as connection:
            rows = dict(connection.execute("SELECT name, data FROM facts WHERE run_key = ?", (run,)).fetchall())
        if not rows:
            return None
        frames = {name: pa.ipc.open_stream(pa.BufferReader(blob)).read_all().to_pandas() for name, blob in rows.items()}
        return Facts(frames["areas"], frames["monitoring_lines"], frames["villages"])


def run_key(as_of: str, model: str, version: int) -> str:
    return f"{as_of}/{model}/v{int(version)}"


def _mark_current(connection: sqlite3.Connection) -> None:
    """Per county, the run with the latest as_of (then the latest stored) is current."""
    connection.execute("UPDATE run_counties SET is_current = 0")
    connection.execute("""
        UPDATE run_counties SET is_current = 1 WHERE rowid IN (
            SELECT rowid FROM (
                SELECT c.rowid AS rowid, ROW_NUMBER() OVER (PARTITION BY c.county_code
                    ORDER BY r.as_of DESC, r.stored_at DESC, r.model_version DESC) AS position
                FROM run_counties c JOIN runs r USING (run_key))
            WHERE position = 1)""")


BLOCK_OPTIONS = pa.ipc.IpcWriteOptions(compression="zstd")


def _block_bytes(table: pa.Table) -> bytes:
    """Rows as an Arrow IPC stream (lz4): far cheaper to write than Parquet, read back whole."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema, options=BLOCK_OPTIONS) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()
