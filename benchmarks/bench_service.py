"""The real-time service (`serving.service:Stayout`) over HTTP on 127.0.0.1, beside a bare BentoML
endpoint (`benchmarks.bare_service:Bare`) served the same way in the same run.

Setup: a simulated county of 20,000 households over 48 months (cached), a small model trained on
it and the county scored at 2025-01-01 into the online store of `service-home` (cached behind a
marker that names the setup; a different setup builds them again). Keys, audit log and intake of
the home are made fresh each run. Each server runs in its own process group, with a rate limit
above the load, and is measured from its own client process:

- sequential `/lookup` from one persistent client (targets: p50 <= 15 ms, p99 <= 50 ms, p50 at
  most 2x the bare endpoint's); the ratios are taken from a fourth run with both servers up and
  each household looked up on both in turn (which goes first alternating), so that both are timed
  in the same minutes of a machine whose speed drifts;
- sequential `/score` of one household with 4 years of history (target p50 <= 40 ms), and in a
  third process the in-process `OnlineScorer.score` call with a cProfile of one call;
- `/score_batch` of 200 households (households per second against `/score`'s), and the same
  households as 4 calls sent at once, which adaptive batching may join;
- 60 s of `/lookup` at 100 requests a second, paced over 8 threads (target: no error, the rate
  achieved).
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import json
import os
import pstats
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from benchmarks.common import print_table, report_step, run_step
from stayout.home import OFFLINE_ENVIRONMENT

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2025-01-01"
SIMULATE = ("--households", "20000", "--counties", "2", "--start", "2021-01", "--months", "48", "--seed", "21")
TRAINING = {"splits": {"test_dates": 2, "validation_dates": 2, "max_training_dates": 6},
            "model": {"n_estimators": 200}, "evaluation": {"bootstrap_samples": 20}}
MARKER = "_BENCH_SETUP.json"
TARGET, BARE = "serving.service:Stayout", "benchmarks.bare_service:Bare"
RATE_LIMIT = {"STAYOUT_RATE_PER_SECOND": "1000", "STAYOUT_RATE_BURST": "2000"}
LOOKUPS, WARMUP, SCORES = 1000, 50, 100
BATCH, BATCH_CALLS, CONCURRENT = 200, 3, 4   # /score_batch: households a call, calls timed, calls at once
LOAD_RATE, LOAD_SECONDS, LOAD_THREADS = 100, 60, 8
READY_SECONDS = 180


# ------------------------------------------------------------------ setup (CLI in subprocesses)
def _cli_env(home: Path) -> dict[str, str]:
    env = {**os.environ, **OFFLINE_ENVIRONMENT, "STAYOUT_HOME": str(home.resolve())}
    for variable in ("MLFLOW_TRACKING_URI", "STAYOUT_DEFAULT_TRACKING_URI"):   # the bench home's own registry
        env.pop(variable, None)
    return env


def _cli(home: Path, *args: str) -> None:
    completed = subprocess.run([sys.executable, "-m", "stayout.cli", "-q", *args], cwd=ROOT, env=_cli_env(home),
                               capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"stayout {' '.join(args)} failed:\n{completed.stderr[-4000:]}")


def prepare(workdir: Path) -> dict:
    """County (cached), trained home and stored run (cached behind a marker), fresh keys and audit."""
    county, home, scores = workdir / "service-county", workdir / "service-home", workdir / "service-scores"
    timings = {}
    if not (county / "export.json").exists():
        shutil.rmtree(county, ignore_errors=True)
        start = time.perf_counter()
        _cli(home, "simulate", "--out", str(county), *SIMULATE)
        timings["simulate"] = time.perf_counter() - start
    setup = {"simulate": list(SIMULATE), "training": TRAINING, "as_of": AS_OF}
    marker = home / MARKER
    stored = scores / AS_OF / "v1" / "scores.parquet"
    cached = (marker.exists() and (home / "store.sqlite").exists() and stored.exists()
              and json.loads(marker.read_text(encoding="utf-8")) == setup)
    if not cached:
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(scores, ignore_errors=True)
        home.mkdir(parents=True)
        config = workdir / "service-training.yaml"
        config.write_text(json.dumps(TRAINING), encoding="utf-8")        # JSON is YAML
        start = time.perf_counter()
        _cli(home, "train", str(county), "--config", str(config))
        timings["train"] = time.perf_counter() - start
        start = time.perf_counter()
        _cli(home, "score", str(county), "--as-of", AS_OF, "--out", str(scores), "--force")
        timings["score"] = time.perf_counter() - start
        marker.write_text(json.dumps(setup), encoding="utf-8")
    for state in ("audit", "intake"):
        shutil.rmtree(home / state, ignore_errors=True)
    (home / "keys.json").unlink(missing_ok=True)
    return {"county": county, "home": home, "stored": stored, "cached": cached, "timings": timings}


def write_plan(setup: dict, workdir: Path) -> Path:
    """The key, the households to look up and the body to score, for the client processes."""
    import pandas as pd
    import pyarrow.parquet as pq

    from serving.api import as_text
    from serving.keys import KeyRing
    from serving.store import Store, run_key

    home = setup["home"]
    scores = pd.read_parquet(setup["stored"], columns=["household_id", "score", "model_name", "model_version"])
    ids = scores["household_id"].sample(n=min(len(scores), 2 * LOOKUPS + WARMUP), random_state=21).tolist()
    households = pd.read_parquet(setup["county"] / "households.parquet",
                                 columns=["household_id", "recorded_at", "dissolved_on"])
    since_2021 = households[(households["recorded_at"] < "2021-02-01") & households["dissolved_on"].isna()]
    candidates = set(since_2021["household_id"]) & set(scores["household_id"])
    rows = pd.Series(0, index=sorted(candidates))
    for path in sorted(setup["county"].glob("*.parquet")):
        if path.stem in ("areas", "monitoring_lines"):
            continue
        column = pq.read_table(path, columns=["household_id"]).column("household_id").to_pandas()
        counts = column[column.isin(candidates)].value_counts()
        rows = rows.add(counts, fill_value=0)
    rows = rows.sort_values(kind="stable")
    household = rows.index[len(rows) // 2]                     # the median of households with 4 years
    first = scores.iloc[0]
    run = run_key(AS_OF, first["model_name"], int(first["model_version"]))
    tables = Store.at_home(home).household_tables(household, run)
    records = {name: as_text(frame).to_pylist() for name, frame in tables.items()
               if name not in ("areas", "monitoring_lines")}
    body_path = workdir / "service-score-body.json"
    body_path.write_text(json.dumps({"as_of": AS_OF, "records": records}, ensure_ascii=False), encoding="utf-8")
    store = Store.at_home(home)
    batch = [{"as_of": AS_OF, "records": {name: as_text(frame).to_pylist()
                                          for name, frame in store.records(h, run).items()}} for h in ids[:BATCH]]
    batch_path = workdir / "service-batch-body.json"
    batch_path.write_text(json.dumps({"households": batch}, ensure_ascii=False), encoding="utf-8")
    _, key = KeyRing.at_home(home).create("caseworker", "bench")
    plan = {"key": key, "lookup_ids": ids, "expected": dict(zip(scores["household_id"], scores["score"])),
            "score_body": str(body_path.resolve()), "score_household": household,
            "batch_body": str(batch_path.resolve()),
            "score_rows": sum(len(v) for v in records.values()), "households": len(scores)}
    path = home / "bench-plan.json"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(plan, out)
    return path


# ------------------------------------------------------------------ a server in its own process group
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`bentoml serve TARGET` on a free port, ready (/readyz 200) on entry, its group stopped on exit."""

    def __init__(self, target: str, env: dict[str, str], log: Path):
        self.target, self.env, self.log_path = target, env, log
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        import httpx

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")
        start = time.perf_counter()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bentoml", "serve", self.target, "--host", "127.0.0.1", "--port",
                 str(self.port), "--working-dir", str(ROOT)],
                cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)
            deadline = time.monotonic() + READY_SECONDS
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.target} exited with {self.process.returncode}:\n{self.log_tail()}")
                try:
                    if httpx.get(f"{self.url}/readyz", timeout=2, trust_env=False).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.target} not ready in {READY_SECONDS} s:\n{self.log_tail()}")
                time.sleep(0.25)
        except BaseException:
            self.stop()
            raise
        self.ready_seconds = time.perf_counter() - start
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def log_tail(self, characters: int = 4000) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-characters:]

    def resident_mib(self) -> float:
        """Resident memory of every process of the server's group (supervisor and workers)."""
        total = 0
        for status in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = status.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == self.process.pid:               # pgrp
                    for line in (status.parent / "status").read_text().splitlines():
                        if line.startswith("VmRSS:"):
                            total += int(line.split()[1])
            except (OSError, IndexError, ValueError):
                continue
        return total / 1024

    def stop(self) -> None:
        if self.process is None:
            return
        group = self.process.pid
        try:
            os.killpg(group, signal.SIGTERM)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(group, signal.SIGKILL)                          # whatever of the group is left
        except ProcessLookupError:
            pass
        self.process.wait()
        self.process = None
        self._log.close()


def server_env(home: str) -> dict[str, str]:
    env = _cli_env(Path(home))
    env.update(RATE_LIMIT)
    return env


# ------------------------------------------------------------------ the client process
def _figures(seconds: list[float]) -> dict:
    values = np.asarray(seconds) * 1000
    return {"n": len(values), "p50_ms": round(float(np.percentile(values, 50)), 2),
            "p90_ms": round(float(np.percentile(values, 90)), 2),
            "p99_ms": round(float(np.percentile(values, 99)), 2), "max_ms": round(float(values.max()), 2)}


def sequential(client, path: str, bodies: list[bytes], headers: dict) -> tuple[dict, list]:
    latencies, answers = [], []
    for body in bodies:
        start = time.perf_counter()
        response = client.post(path, content=body, headers=headers)
        latencies.append(time.perf_counter() - start)
        answers.append((response.status_code, response.content))
    result = _figures(latencies)
    result["errors"] = sum(status != 200 for status, _ in answers)
    return result, answers


def paced(url: str, path: str, bodies: list[bytes], headers: dict, rate: float, seconds: float,
          threads: int) -> dict:
    """Requests due at a fixed rate, sent by `threads` workers (a request waits for a free worker)."""
    import httpx

    total = int(rate * seconds)
    due = [i / rate for i in range(total)]
    sent = [0.0] * total
    done = [0.0] * total
    statuses: list = [None] * total
    counter, lock = iter(range(total)), threading.Lock()
    begin = time.perf_counter() + 0.2

    def worker() -> None:
        with httpx.Client(base_url=url, timeout=30, trust_env=False) as client:
            while True:
                with lock:
                    i = next(counter, None)
                if i is None:
                    return
                wait = begin + due[i] - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                sent[i] = time.perf_counter()
                try:
                    statuses[i] = client.post(path, content=bodies[i % len(bodies)], headers=headers).status_code
                except httpx.HTTPError as exc:
                    statuses[i] = type(exc).__name__
                done[i] = time.perf_counter()

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    elapsed = max(done) - begin
    latencies = [d - s for d, s in zip(done, sent)]
    late = [s - (begin + t) for s, t in zip(sent, due)]
    errors: dict[str, int] = {}
    for status in statuses:
        if status != 200:
            errors[str(status)] = errors.get(str(status), 0) + 1
    result = _figures(latencies)
    result.update(offered_per_second=rate, seconds=round(elapsed, 2), achieved_per_second=round(total / elapsed, 2),
                  errors=sum(errors.values()), error_kinds=errors, late_over_50ms=sum(x > 0.05 for x in late),
                  from_due_p99_ms=round(float(np.percentile(np.add(latencies, late), 99)) * 1000, 2))
    return result


def _concurrent(url: str, batch: bytes, headers: dict) -> dict:
    """CONCURRENT /score_batch calls of BATCH / CONCURRENT households each, sent at once: adaptive
    batching may join them; the wall time of all against one call with all of them."""
    import httpx

    households = json.loads(batch)["households"]
    size = len(households) // CONCURRENT
    bodies = [json.dumps({"households": households[i * size:(i + 1) * size]}).encode() for i in range(CONCURRENT)]
    clients = [httpx.Client(base_url=url, timeout=120, trust_env=False) for _ in bodies]
    statuses: list = [None] * len(bodies)

    def call(i: int) -> None:
        statuses[i] = clients[i].post("/score_batch", content=bodies[i], headers=headers).status_code

    start = time.perf_counter()
    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(bodies))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - start
    for client in clients:
        client.close()
    return {"seconds": round(seconds, 2), "errors": sum(status != 200 for status in statuses)}


def step_http(target: str, plan_path: str, home: str, log: str, score: bool) -> dict:
    import httpx

    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    headers = {"authorization": f"Bearer {plan['key']}", "content-type": "application/json"}
    ids = plan["lookup_ids"]
    bodies = [json.dumps({"household_id": h}).encode() for h in ids]
    result = {"step": "http", "target": target}
    with Server(target, server_env(home), Path(log)) as server:
        result["ready_seconds"] = round(server.ready_seconds, 1)
        with httpx.Client(base_url=server.url, timeout=60, trust_env=False) as client:
            warm, _ = sequential(client, "/lookup", bodies[:WARMUP], headers)
            result["lookup"], answers = sequential(client, "/lookup", bodies[WARMUP:WARMUP + LOOKUPS], headers)
            if target == TARGET:
                wrong = [h for h, (status, content) in zip(ids[WARMUP:], answers)
                         if status != 200 or abs(json.loads(content)["score"] - plan["expected"][h]) > 1e-9]
                if wrong or warm["errors"]:
                    raise RuntimeError(f"/lookup answers wrong for {len(wrong)} households, e.g. {wrong[:1]}: "
                                       f"{answers[ids[WARMUP:].index(wrong[0])] if wrong else ''}")
            if score:
                body = Path(plan["score_body"]).read_bytes()
                result["score_body_kib"] = round(len(body) / 1024, 1)
                first, answers = sequential(client, "/score", [body] * 2, headers)
                if first["errors"]:
                    raise RuntimeError(f"/score answered {answers[0][0]}: {answers[0][1][:1000]!r}")
                result["score"], _ = sequential(client, "/score", [body] * SCORES, headers)
                batch = Path(plan["batch_body"]).read_bytes()
                result["batch"], answers = sequential(client, "/score_batch", [batch] * BATCH_CALLS, headers)
                refused = sum(item["status"] != 200 for item in json.loads(answers[-1][1]))
                if result["batch"]["errors"] or refused:
                    raise RuntimeError(f"/score_batch answered {answers[-1][0]}, {refused} refused: "
                                       f"{answers[-1][1][:1000]!r}")
                result["concurrent"] = _concurrent(server.url, batch, headers)
        result["load"] = paced(server.url, "/lookup", bodies, headers, LOAD_RATE, LOAD_SECONDS, LOAD_THREADS)
        result["resident_mib"] = round(server.resident_mib())
    return result


def step_paired(plan_path: str, home: str, logs: str) -> dict:
    """The bare endpoint and the service up together, each household's /lookup sent to both in
    turn, then the /score body to the service between bare lookups: both timed in the same minutes."""
    import httpx

    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    headers = {"authorization": f"Bearer {plan['key']}", "content-type": "application/json"}
    bodies = [json.dumps({"household_id": h}).encode() for h in plan["lookup_ids"]]
    score = Path(plan["score_body"]).read_bytes()
    env = server_env(home)
    with Server(BARE, env, Path(logs) / "paired-bare.log") as bare, \
            Server(TARGET, env, Path(logs) / "paired-stayout.log") as served, \
            httpx.Client(base_url=bare.url, timeout=60, trust_env=False) as to_bare, \
            httpx.Client(base_url=served.url, timeout=60, trust_env=False) as to_served:
        for body in bodies[:WARMUP]:
            sequential(to_bare, "/lookup", [body], headers)
            sequential(to_served, "/lookup", [body], headers)
        sequential(to_served, "/score", [score] * 2, headers)
        times: dict[str, list[float]] = {}
        rounds = [[("bare", to_bare, "/lookup", body), ("lookup", to_served, "/lookup", body)]
                  for body in bodies[WARMUP:WARMUP + LOOKUPS]]
        rounds += [[("bare_beside_score", to_bare, "/lookup", bodies[i]), ("score", to_served, "/score", score)]
                   for i in range(SCORES)]
        for i, pair in enumerate(rounds):
            for name, client, path, body in (pair if i % 2 == 0 else pair[::-1]):   # which goes first alternates
                start = time.perf_counter()
                status = client.post(path, content=body, headers=headers).status_code
                times.setdefault(name, []).append(time.perf_counter() - start)
                if status != 200:
                    raise RuntimeError(f"paired {path} answered {status}")
    return {"step": "paired", **{name: _figures(seconds) for name, seconds in times.items()}}


# ------------------------------------------------------------------ in process, with a profile
def step_profile(home: str, plan_path: str) -> dict:
    os.environ["STAYOUT_HOME"] = home
    from stayout.home import go_offline

    go_offline()
    start = time.perf_counter()
    from serving.service import OnlineScorer

    scorer = OnlineScorer.start()
    result = {"step": "profile", "start_seconds": round(time.perf_counter() - start, 1)}
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    body = json.loads(Path(plan["score_body"]).read_text(encoding="utf-8"))
    as_of, records = dt.date.fromisoformat(body["as_of"]), body["records"]
    start = time.perf_counter()
    scorer.score(as_of, records)                  # the first call reads the county's facts from the store
    result["first_seconds"] = round(time.perf_counter() - start, 3)
    times = []
    for _ in range(10):
        start = time.perf_counter()
        scorer.score(as_of, records)
        times.append(time.perf_counter() - start)
    result["score"] = _figures(times)
    result.update(_profiled(lambda: scorer.score(as_of, records)))
    ids = plan["lookup_ids"][:200]
    for household in ids[:20]:
        scorer.lookup(household)
    start = time.perf_counter()
    for household in ids:
        scorer.lookup(household)
    result["lookup_ms"] = round((time.perf_counter() - start) / len(ids) * 1000, 2)
    result["lookup_profile"] = _profiled(lambda: [scorer.lookup(household) for household in ids])
    return result


def _place(file: str, line: int, name: str) -> tuple[str, bool]:
    path = Path(file)
    try:
        relative = path.resolve().relative_to(ROOT)
    except (ValueError, OSError):
        return f"{'/'.join(path.parts[-2:])}:{line} {name}", False
    ours = relative.parts[0] in ("features", "serving", "models")
    return f"{relative}:{line} {name}", ours


def _profiled(work) -> dict:
    """cProfile of `work`: the product's functions by cumulative time, and the largest own times
    anywhere, each with the nearest product function that called it (along the costliest callers).
    Work in other threads (validation parses columns in a thread pool) shows as lock waits."""
    profiler = cProfile.Profile()
    profiler.enable()
    work()
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    ours, own = [], []
    for key, (_, calls, own_time, cumulative, _) in stats.items():
        place, mine = _place(*key)
        if mine and not key[2].startswith("<"):                     # no list comprehensions and the like
            ours.append((cumulative, calls, place))
        own.append((own_time, calls, key))
    total = sum(own_time for own_time, _, _ in own)
    largest = []
    for own_time, calls, key in sorted(own, reverse=True)[:5]:
        caller, seen = key, set()
        while True:
            callers = stats.get(caller, (0, 0, 0, 0, {}))[4]
            caller = max(callers, key=lambda k: callers[k][3]) if callers else None
            if caller is None or caller in seen or _place(*caller)[1]:
                break
            seen.add(caller)
        place = _place(*key)[0] + (f" (under {_place(*caller)[0]})" if caller else "")
        largest.append([round(own_time, 3), calls, place])
    return {"profiled_seconds": round(total, 3),
            "cumulative": [[round(c, 3), n, p] for c, n, p in sorted(ours, reverse=True)[:12]],
            "own_time": largest}


# ------------------------------------------------------------------ the table
def _ok(passed: bool) -> str:
    return "OK" if passed else "MISSED"


def run(workdir: Path) -> dict:
    started = time.perf_counter()
    setup = prepare(workdir)
    plan = write_plan(setup, workdir)
    home, logs = str(setup["home"].resolve()), workdir / "service-logs"
    details = {k: v for k, v in json.loads(plan.read_text(encoding="utf-8")).items() if k != "key"}
    try:
        bare = run_step("benchmarks.bench_service", "--step", "http", BARE, str(plan), home, str(logs / "bare.log"))
        served = run_step("benchmarks.bench_service", "--step", "http", TARGET, str(plan), home,
                          str(logs / "stayout.log"), "--score")
        profile = run_step("benchmarks.bench_service", "--step", "profile", str(plan), home)
        paired = run_step("benchmarks.bench_service", "--step", "paired", str(plan), home, str(logs))
    finally:
        plan.unlink(missing_ok=True)
    score_rows, household = details["score_rows"], details["score_household"]

    b, s, sc, bl, sl = bare["lookup"], served["lookup"], served["score"], bare["load"], served["load"]
    lookup_ok = s["p50_ms"] <= 15 and s["p99_ms"] <= 50
    pb, pl, pbs, ps = paired["bare"], paired["lookup"], paired["bare_beside_score"], paired["score"]
    ratio = pl["p50_ms"] / pb["p50_ms"]
    load_ok = sl["errors"] == 0 and sl["achieved_per_second"] >= 0.98 * LOAD_RATE

    def line(f: dict) -> str:
        return (f"p50 {f['p50_ms']:.1f} ms, p90 {f['p90_ms']:.1f}, p99 {f['p99_ms']:.1f}, max {f['max_ms']:.1f} "
                f"(n={f['n']})")

    def load(f: dict) -> str:
        return (f"{f['achieved_per_second']:.1f}/s achieved of {f['offered_per_second']}/s over {f['seconds']:.0f} s, "
                f"{f['errors']} errors{' ' + json.dumps(f['error_kinds']) if f['errors'] else ''}, "
                f"p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms ({f['from_due_p99_ms']:.1f} from the due time), "
                f"{f['late_over_50ms']} sent >50 ms late")

    setup_note = "cached" if setup["cached"] else ", ".join(f"{k} {v:.0f} s" for k, v in setup["timings"].items())
    rows = [
        ("reference: bare BentoML /lookup", line(b)),
        ("/lookup (sequential, one client)", f"{line(s)} (target p50 <= 15, p99 <= 50) {_ok(lookup_ok)}"),
        ("  ratio /lookup p50 to bare p50", f"{ratio:.1f}x (target <= 2x) {_ok(ratio <= 2)}; p99 "
                                            f"{pl['p99_ms'] / pb['p99_ms']:.1f}x; both up, calls alternated: "
                                            f"{pl['p50_ms']:.1f} ms against {pb['p50_ms']:.1f} (n={pl['n']})"),
        (f"/score ({score_rows:,} rows, {served['score_body_kib']:.0f} KiB)",
         f"{line(sc)} (target p50 <= 40) {_ok(sc['p50_ms'] <= 40)}"),
        ("  ratio /score p50 to bare p50", f"{ps['p50_ms'] / pbs['p50_ms']:.0f}x; both up, calls alternated: "
                                           f"{ps['p50_ms']:.1f} ms against {pbs['p50_ms']:.1f} (n={ps['n']})"),
        (f"/score_batch of {BATCH} households", f"p50 {served['batch']['p50_ms'] / 1000:.2f} s = "
                                               f"{BATCH / served['batch']['p50_ms'] * 1000:.0f} households/s "
                                               f"against {1000 / sc['p50_ms']:.1f}/s by /score (n={BATCH_CALLS})"),
        (f"  the same as {CONCURRENT} calls at once", f"{served['concurrent']['seconds']:.2f} s for all, "
                                                     f"{served['concurrent']['errors']} errors (adaptive batching)"),
        ("  in process OnlineScorer.score", f"p50 {profile['score']['p50_ms']:.1f} ms, p99 "
                                            f"{profile['score']['p99_ms']:.1f} (n=10; first call "
                                            f"{profile['first_seconds'] * 1000:.0f} ms reads the facts)"),
        (f"reference: bare, {LOAD_SECONDS} s at {LOAD_RATE}/s", load(bl)),
        (f"/lookup, {LOAD_SECONDS} s at {LOAD_RATE}/s ({LOAD_THREADS} threads)",
         f"{load(sl)} (target: no error, the rate) {_ok(load_ok)}"),
        ("  ratio under load p50 / p99", f"{sl['p50_ms'] / bl['p50_ms']:.1f}x / {sl['p99_ms'] / bl['p99_ms']:.1f}x"),
        ("ready after start (bare / stayout)", f"{bare['ready_seconds']:.1f} s / {served['ready_seconds']:.1f} s"),
        ("resident memory after load (bare / stayout)",
         f"{bare['resident_mib']:,} MiB / {served['resident_mib']:,} MiB"),
        ("setup", f"{setup_note}; benchmark {time.perf_counter() - started:.0f} s; {os.cpu_count()} cores "
                  "shared with the client (and anything else running)"),
    ]
    print_table(f"real-time service: {details['households']:,} households scored at {AS_OF} in the online store",
                rows)
    total = profile["profiled_seconds"]
    print_table(f"where /score spends its time: cProfile of one in-process OnlineScorer.score of household "
                f"{household} ({total:.3f} s profiled)", _profile_rows(profile))
    lookups = profile["lookup_profile"]
    print_table(f"where /lookup spends its time: in process {profile['lookup_ms']:.1f} ms a lookup; cProfile of 200 "
                f"({lookups['profiled_seconds']:.3f} s profiled)", _profile_rows(lookups, 5, 3))
    return {"lookup_p50_ms": s["p50_ms"], "score_p50_ms": sc["p50_ms"], "lookup_ratio": ratio}


def _profile_rows(profile: dict, cumulative: int = 12, own: int = 4) -> list[tuple[str, str]]:
    total = profile["profiled_seconds"]
    rows = [(place, f"{seconds:.3f} s cumulative ({seconds / total:.0%}), {calls} calls")
            for seconds, calls, place in profile["cumulative"][:cumulative]]
    rows += [(f"own time: {place}", f"{seconds:.3f} s ({seconds / total:.0%}), {calls} calls")
             for seconds, calls, place in profile["own_time"][:own]]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--step", choices=("http", "paired", "profile"))
    parser.add_argument("args", nargs="*")
    parser.add_argument("--score", action="store_true")
    args = parser.parse_args()
    if args.step == "http":
        report_step(step_http(*args.args, score=args.score))
    elif args.step == "paired":
        report_step(step_paired(*args.args))
    elif args.step == "profile":
        report_step(step_profile(args.args[1], args.args[0]))
    else:
        run(Path(args.args[0]) if args.args else Path(".stayout/bench"))


if __name__ == "__main__":
    main()
