"""The real-time service: the class called in process, the HTTP layer with keys, limits and audit,
parity with batch scoring, and one real server on 127.0.0.1."""
from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from starlette.testclient import TestClient

from serving.api import RECORD_TABLES, ServiceError, as_text
from serving.keys import KeyRing
from serving.service import OnlineScorer, Stayout
from serving.store import Store
from stayout.cli import main
from synthetic.export import write_export
from synthetic.simulate import SimulationConfig, simulate
from tests.conftest import home_set_to, home_with_model

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
README_HOUSEHOLD = "6205211002050064"     # the demo county's household in the README's examples
AS_OF = "2024-06-01"
RUN = f"{AS_OF}/stayout-relapse/v1"


@pytest.fixture(scope="module")
def county(tmp_path_factory, trained_once):
    """A trained champion and a small county scored into the online store (its own STAYOUT_HOME)."""
    base = tmp_path_factory.mktemp("service")
    home = base / "home"
    with home_set_to(home_with_model(trained_once, home)):
        write_export(simulate(SimulationConfig(households=300, counties=2, start="2021-01", months=42, seed=31)),
                     base / "county", seed=31)
        assert main(["-q", "score", str(base / "county"), "--out", str(base / "out"), "--config",
                     str(trained_once["config"]), "--as-of", AS_OF, "--capacity-per-township", "6"]) == 0
        scores = pd.read_parquet(base / "out" / AS_OF / "v1" / "scores.parquet").set_index("household_id")
        yield {"base": base, "home": home, "scores": scores}


@pytest.fixture(autouse=True)
def stayout_home(county, monkeypatch):       # every test here uses the module's home (its model and store)
    monkeypatch.setenv("STAYOUT_HOME", str(county["home"]))
    return county["home"]


@pytest.fixture(scope="module")
def scorer(county):
    return OnlineScorer.start()


@pytest.fixture
def keys(county):
    ring = KeyRing.at_home(county["home"])
    return {role: {"Authorization": f"Bearer {ring.create(role, f'test {role}')[1]}"}
            for role in ("caseworker", "admin")}


@pytest.fixture(scope="module")
def client(county):
    """One app per process (BentoML registers its metrics once); the gate reads its limits per call."""
    with TestClient(Stayout.to_asgi()) as found:
        yield found


def _flagged(county) -> str:
    return county["scores"][county["scores"]["flagged"]].index[0]


def _records(household_id: str) -> dict:
    """The household's stored rows as JSON, as a case worker's system would post them."""
    tables = Store.at_home(os.environ["STAYOUT_HOME"]).household_tables(household_id, RUN)
    return {name: as_text(frame).to_pylist() for name, frame in tables.items()
            if name not in ("areas", "monitoring_lines")}


def _audit(county) -> list[dict]:
    path = county["home"] / "audit" / "audit.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# ------------------------------------------------------------------ the class, in process
def test_lookup_gives_the_batch_score_with_the_pinned_champion(county, scorer):
    household = _flagged(county)
    found = scorer.lookup(household)
    batch = county["scores"].loc[household]
    assert found.score == pytest.approx(batch["score"], abs=1e-12) and found.band == batch["band"]
    assert [r.code for r in found.reasons] == list(batch["reason_codes"]) and found.measures
    assert found.model_version == found.champion_version == 1 and not found.stale and found.explained
    assert found.as_of == AS_OF and found.flagged and found.run_key == RUN
    assert scorer.lookup(household, dt.date(2024, 6, 1)) == found
    with pytest.raises(ServiceError) as refused:
        scorer.lookup(household, dt.date(2023, 1, 1))
    assert refused.value.http_status == 404 and "2023-01-01" in str(refused.value)


def test_lookup_says_stale_when_another_version_is_champion(county, scorer):
    other = OnlineScorer(scorer.bundle, scorer.model_name, 2, scorer.store, scorer.book, scorer.home)
    found = other.lookup(_flagged(county))
    assert found.stale and found.model_version == 1 and found.champion_version == 2


def test_an_unexplained_household_is_looked_up_without_reasons(county, scorer):
    quiet = county["scores"][~county["scores"]["explained"]].index[0]
    found = scorer.lookup(quiet)
    assert not found.explained and found.reasons == [] and found.score == pytest.approx(
        county["scores"].loc[quiet, "score"], abs=1e-12)


def test_a_household_outside_the_cohort_gets_404_saying_so(county, scorer):
    exported = pd.read_parquet(county["base"] / "county" / "households.parquet")["household_id"].astype(str)
    outside = sorted(set(exported) - set(county["scores"].index))[0]
    with pytest.raises(ServiceError) as refused:
        scorer.lookup(outside)
    assert refused.value.http_status == 404 and "not in the cohort" in str(refused.value)
    with pytest.raises(ServiceError, match="not in the cohort") as refused:
        scorer.score(dt.date(2024, 6, 1), _records(outside))
    assert refused.value.http_status == 422


def test_score_and_rescore_equal_the_batch_score(county, scorer):
    """Parity: batch scores.parquet, /score with the stored records and /rescore with nothing new."""
    for household in county["scores"][county["scores"]["flagged"]].index[:3]:
        batch = county["scores"].loc[household]
        scored = scorer.score(dt.date(2024, 6, 1), _records(household))
        again = scorer.rescore(household, dt.date(2024, 6, 1), {})
        for found in (scored, again):
            assert found.score == pytest.approx(batch["score"], abs=1e-9)
            assert [r.code for r in found.reasons] == list(batch["reason_codes"])
            assert found.band == batch["band"] and found.tier == batch["tier"] and found.facts_as_of == AS_OF
        assert again.previous_score == pytest.approx(batch["score"], abs=1e-12) and again.changes == []
        assert again.intake_rows == 0


def test_rescore_with_new_rows_logs_them_and_says_what_changed(county, scorer):
    household = _flagged(county)
    # household_id left out: the row belongs to the household rescored
    event = {"event_id": "EV-NEW-1", "person_id": None, "event_type": "illness_major",
             "occurred_on": "2024-05-10", "severity": 3, "est_loss_yuan": 30000.0, "data_source": "survey",
             "recorded_at": "2024-05-12 10:00:00"}
    late = {**event, "household_id": household, "event_id": "EV-NEW-2", "recorded_at": "2024-06-20 10:00:00",
            "occurred_on": "2024-06-18"}
    found = scorer.rescore(household, None, {"events": [event, late]})
    assert found.as_of == AS_OF and found.not_counted == 1 and found.intake_rows == 2
    assert found.previous_score == pytest.approx(county["scores"].loc[household, "score"], abs=1e-12)
    assert all(change.direction in ("raised", "lowered") for change in found.changes)
    if found.score != found.previous_score:
        assert found.changes
    intake = list((county["home"] / "intake").glob("*.jsonl"))
    lines = [json.loads(line) for path in intake for line in path.read_text(encoding="utf-8").splitlines()]
    mine = [line for line in lines if line["row"].get("event_id") in ("EV-NEW-1", "EV-NEW-2")]
    assert len(mine) == 2 and {line["household_id"] for line in mine} == {household}
    assert all(line["table"] == "events" and line["received_at"] for line in mine)


def test_rescore_refuses_rows_of_another_household(county, scorer):
    household, other = county["scores"].index[:2]
    with pytest.raises(ServiceError) as refused:
        scorer.rescore(household, None, {"events": [{"household_id": other}]})
    assert refused.value.http_status == 422


# ------------------------------------------------------------------ HTTP: answers and errors
def test_lookup_over_http_and_unknown_household_404(county, client, keys):
    household = _flagged(county)
    found = client.post("/lookup", json={"household_id": household}, headers=keys["caseworker"])
    assert found.status_code == 200 and found.json()["model_version"] == 1
    assert found.headers["x-stayout-model-version"] == "1"
    missing = client.post("/lookup", json={"household_id": "0000000000000000"}, headers=keys["caseworker"])
    assert missing.status_code == 404
    assert "no stored score" in missing.json()["error"] and missing.json()["detail"][0]["field"] == "household_id"


def test_the_served_start_is_left_out_of_full_collections(client):
    # the libraries, the model and the store loaded at start: frozen while the service runs
    assert gc.get_freeze_count() > 100_000


@pytest.mark.parametrize("body, field", [
    ({"household_id": "1", "extra": 1}, "extra"),
    ({}, "household_id"),
    ({"household_id": "1", "as_of": "June"}, "as_of"),
    ({"household_id": 5}, "household_id"),
])
def test_bad_lookup_input_gets_400_naming_the_field(client, keys, body, field):
    answer = client.post("/lookup", json=body, headers=keys["caseworker"])
    assert answer.status_code == 400
    assert field in [str(part) for problem in answer.json()["detail"] for part in problem["loc"]]


@pytest.mark.parametrize("body", [
    b"{not json", b"[]", b'{"as_of": "2024-06-01", "records": []}', b'{"as_of": "2024-06-01", "records": {"x": 1}}',
    b'{"as_of": "2024-06-01", "records": {"households": [1]}}', b'{"as_of": "2024-06-01", "records": {}}',
    b'{"as_of": "2024-06-01", "records": {"households": [{}]}}',
    b'{"as_of": "2024-06-01", "records": {"areas": [{}]}}',
    b'{"as_of": "2024-06-01", "records": {"households": [{"household_id": "1", "village_code": "999"}]}}',
    b'{"as_of": "1990-01-01", "records": {"households": [{"household_id": "1", "nope": "1"}]}}',
])
def test_no_malformed_score_request_gets_a_5xx(client, keys, body):
    answer = client.post("/score", content=body, headers={**keys["caseworker"], "content-type": "application/json"})
    assert answer.status_code in (400, 404, 422) and answer.json()


def test_a_rejected_row_gets_422_naming_table_row_column_and_reason(county, client, keys):
    records = _records(_flagged(county))
    records["members"][1]["birth_year"] = "nineteen"
    answer = client.post("/score", json={"as_of": AS_OF, "records": records}, headers=keys["caseworker"])
    assert answer.status_code == 422
    problem = answer.json()["detail"][0]
    assert problem["table"] == "members" and problem["row_number"] == 2 and problem["column"] == "birth_year"
    assert "nineteen" in problem["reason"]


def test_score_at_a_later_date_uses_the_latest_stored_facts(county, client, keys):
    answer = client.post("/score", json={"as_of": "2024-09-01", "records": _records(_flagged(county))},
                         headers=keys["caseworker"])
    assert answer.status_code == 200
    assert answer.json()["facts_as_of"] == AS_OF and answer.json()["as_of"] == "2024-09-01"
    early = client.post("/score", json={"as_of": "2020-01-01", "records": _records(_flagged(county))},
                        headers=keys["caseworker"])
    assert early.status_code == 422 and early.json()["detail"][0]["field"] == "as_of"


def test_score_batch_equals_the_batch_run_and_refuses_only_the_bad_households(county, client, keys):
    scores = county["scores"]
    chosen = list(scores[scores["flagged"]].index[:4]) + list(scores[~scores["explained"]].index[:6])
    households = [{"as_of": AS_OF, "records": _records(h)} for h in chosen]
    broken = _records(chosen[1])
    broken["events"] = broken.get("events", []) + [{**(broken.get("events") or [{}])[0], "event_id": "E-BAD",
                                                    "household_id": chosen[1], "occurred_on": "not a date"}]
    households[1] = {"as_of": AS_OF, "records": broken}
    households.append({"as_of": AS_OF, "records": _records(chosen[0])})          # the same household again
    households.append({"as_of": AS_OF, "records": {}})                            # no household row
    answer = client.post("/score_batch", json={"households": households}, headers=keys["caseworker"])
    assert answer.status_code == 200 and answer.headers["x-stayout-model-version"] == "1"
    results = answer.json()
    assert len(results) == len(households) and [r["status"] for r in results].count(200) == len(chosen)
    assert results[1]["status"] == 422 and results[1]["error"]["detail"][0]["table"] == "events"
    assert results[-1]["status"] == 422 and results[-1]["household_id"] is None
    assert results[len(chosen)]["result"]["score"] == pytest.approx(results[0]["result"]["score"], abs=1e-12)
    for position, household in enumerate(chosen):
        if position == 1:
            continue
        found = results[position]["result"]
        assert results[position]["household_id"] == household
        assert found["score"] == pytest.approx(scores.loc[household, "score"], abs=1e-9)
        if scores.loc[household, "explained"]:
            assert [r["code"] for r in found["reasons"]] == list(scores.loc[household, "reason_codes"])
    too_many = client.post("/score_batch", json={"households": [households[0]] * 1001}, headers=keys["caseworker"])
    assert too_many.status_code == 400 and "households" in too_many.text


def test_concurrent_batches_are_scored_together_and_answered_apart(county, client, keys):
    """Adaptive batching: calls arriving together share one pass; each gets its own households back."""
    from concurrent.futures import ThreadPoolExecutor

    chosen = list(county["scores"].index[:12])
    bodies = [{"households": [{"as_of": AS_OF, "records": _records(h)} for h in chosen[i::3]]} for i in range(3)]
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(lambda body: client.post("/score_batch", json=body, headers=keys["caseworker"]),
                                bodies))
    for body, answer in zip(bodies, answers):
        assert answer.status_code == 200
        got = [r["household_id"] for r in answer.json()]
        assert got == [item["records"]["households"][0]["household_id"] for item in body["households"]]
        for result in answer.json():
            assert result["result"]["score"] == pytest.approx(county["scores"].loc[result["household_id"], "score"],
                                                              abs=1e-9)


def test_http_parity_of_score_and_rescore(county, client, keys):
    household = _flagged(county)
    batch = county["scores"].loc[household]
    scored = client.post("/score", json={"as_of": AS_OF, "records": _records(household)}, headers=keys["caseworker"])
    again = client.post("/rescore", json={"household_id": household, "as_of": AS_OF}, headers=keys["admin"])
    for answer in (scored, again):
        assert answer.status_code == 200
        assert answer.json()["score"] == pytest.approx(batch["score"], abs=1e-9)
        assert [r["code"] for r in answer.json()["reasons"]] == list(batch["reason_codes"])


# ------------------------------------------------------------------ HTTP: keys, roles, limits, audit
def test_the_openapi_rows_are_the_contracts_tables(client, keys):
    """One declaration: each record table's row schema has exactly the contract's columns, described."""
    schemas = client.get("/docs.json").json()["components"]["schemas"]
    assert set(schemas["Records"]["properties"]) == set(RECORD_TABLES)
    for name, table in RECORD_TABLES.items():
        row = schemas[schemas["Records"]["properties"][name]["items"]["$ref"].rsplit("/", 1)[1]]
        assert list(row["properties"]) == list(table.column_names) and row["additionalProperties"] is False
        for column in table.columns:
            described = row["properties"][column.name]["description"]
            assert column.kind in described and all(code in described for code in column.code_values)
    answer = client.post("/score", json={"as_of": AS_OF, "records": {"events": [{"event_kind": "flood"}]}},
                         headers=keys["caseworker"])
    assert answer.status_code == 400 and "event_kind" in json.dumps(answer.json())


def test_no_key_or_a_wrong_key_gets_401_and_a_wrong_role_403(county, client, keys):
    body = {"household_id": _flagged(county)}
    for headers in ({}, {"Authorization": "Bearer so.00000000.wrong"}, {"Authorization": "Basic abc"},
                    {"Authorization": keys["admin"]["Authorization"][:-2]}):
        answer = client.post("/lookup", json=body, headers=headers)
        assert answer.status_code == 401 and "API key" in answer.json()["error"]
    forbidden = client.get("/metrics", headers=keys["caseworker"])
    assert forbidden.status_code == 403 and "admin" in forbidden.json()["error"]
    ring = KeyRing.at_home(county["home"])
    record, key = ring.create("caseworker")
    ring.revoke(record.key_id)
    assert client.post("/lookup", json=body, headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_probes_and_openapi_answer_without_a_key(client):
    assert client.get("/livez").status_code == 200 and client.get("/readyz").status_code == 200
    document = client.get("/docs.json").json()
    assert {"/lookup", "/score", "/rescore", "/score_batch"} <= set(document["paths"])


def test_too_many_calls_get_429(county, client, keys, monkeypatch):
    monkeypatch.setenv("STAYOUT_RATE_PER_SECOND", "0.001")
    monkeypatch.setenv("STAYOUT_RATE_BURST", "2")
    statuses = [client.post("/lookup", json={"household_id": _flagged(county)},
                            headers=keys["caseworker"]) for _ in range(3)]
    assert [s.status_code for s in statuses] == [200, 200, 429]
    assert "too many" in statuses[2].json()["error"] and statuses[2].headers["retry-after"]
    other = client.post("/lookup", json={"household_id": _flagged(county)}, headers=keys["admin"])
    assert other.status_code == 200                                 # the limit is per key


def test_a_large_body_gets_413(county, client, keys, monkeypatch):
    monkeypatch.setenv("STAYOUT_MAX_BODY_BYTES", "2000")
    answer = client.post("/score", json={"as_of": AS_OF, "records": _records(_flagged(county))},
                         headers=keys["caseworker"])
    assert answer.status_code == 413 and "larger than" in answer.json()["error"]
    streamed = client.post("/lookup", content=iter([b'{"household_id": "', b"1" * 3000, b'"}']),
                           headers={**keys["caseworker"], "content-type": "application/json"})
    assert streamed.status_code == 413


def test_every_call_is_audited_without_the_household_id(county, client, keys):
    household = _flagged(county)
    before = len(_audit(county))
    client.post("/lookup", json={"household_id": household}, headers=keys["caseworker"])
    client.post("/lookup", json={"household_id": household})
    client.post("/score", json={"as_of": AS_OF, "records": _records(household)}, headers=keys["caseworker"])
    lines = _audit(county)[before:]
    assert [(line["endpoint"], line["status"]) for line in lines] == [("/lookup", 200), ("/lookup", 401),
                                                                     ("/score", 200)]
    assert lines[0]["household"] == lines[2]["household"] and lines[0]["household"]
    assert lines[1]["household"] is None                     # a call without a key is refused before its body is read
    assert lines[0]["key_id"] and lines[1]["key_id"] is None and lines[0]["model_version"] == 1
    assert all(line["latency_ms"] >= 0 and line["time"] for line in lines)
    text = (county["home"] / "audit" / "audit.jsonl").read_text(encoding="utf-8")
    assert household not in text
    assert stat.S_IMODE((county["home"] / "audit" / "secret").stat().st_mode) == 0o600


# ------------------------------------------------------------------ a real server
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _readme_example(name: str) -> str:
    """The code block of README.md that follows `<!-- example: name -->`."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    after = text.split(f"<!-- example: {name} -->", 1)[1]
    return after.split("```", 2)[1].split("\n", 1)[1]


def test_the_readme_examples_work_against_a_real_server(county, tmp_path):
    """The README's shell and Python examples, run as written (another port, a household of this
    county) against `stayout serve` on 127.0.0.1: every endpoint answers over HTTP."""
    port, household = _free_port(), _flagged(county)
    stayout = str(Path(sys.executable).parent / "stayout")

    def adapted(code: str) -> str:
        return (code.replace("127.0.0.1:3000", f"127.0.0.1:{port}")
                .replace("--port 3000 &", f"--port {port} > server.log 2>&1 &")   # its output not in ours
                .replace(README_HOUSEHOLD, household).replace(".venv/bin/stayout", stayout))

    (tmp_path / "example.py").write_text(adapted(_readme_example("service-python")), encoding="utf-8")
    url = f"http://127.0.0.1:{port}"
    script = (adapted(_readme_example("service-shell")) + "export KEY\n"
              + f'echo "PYTHON-START"; "{sys.executable}" example.py\n'
              + f'echo "STATUS livez=$(curl -s -o /dev/null -w "%{{http_code}}" {url}/livez)'
              + f' metrics=$(curl -s -o /dev/null -w "%{{http_code}}" {url}/metrics)'
              + f' caseworker=$(curl -s -o /dev/null -w "%{{http_code}}" -H "Authorization: Bearer $KEY" {url}/metrics)'
              + f' admin=$(curl -s -H "Authorization: Bearer $({stayout} keys create --role admin | tail -1)" {url}/metrics'
              + ' | grep -c "^bentoml_service_request")'
              + f' nokey=$(curl -s -o /dev/null -w "%{{http_code}}" -X POST {url}/lookup -d "{{}}")"\n')
    process = subprocess.Popen(["bash", "-e", "-c", script], cwd=tmp_path, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=dict(os.environ), start_new_session=True)
    try:
        out, err = process.communicate(timeout=300)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    log = (tmp_path / "server.log").read_text(encoding="utf-8", errors="replace")[-2000:]
    assert process.returncode == 0, err[-3000:] + log
    shell, _, python = out.partition("PYTHON-START")
    answers, position, decoder = [], 0, json.JSONDecoder()
    while len(answers) < 4:
        position = shell.index("{" if len(answers) != 2 else "[", position)
        found, position = decoder.raw_decode(shell, position)
        answers.append(found)
    lookup, scored, batch, rescored = answers
    expected = county["scores"].loc[household, "score"]
    assert lookup["score"] == pytest.approx(expected, abs=1e-12)
    assert scored["score"] == pytest.approx(expected, abs=1e-9) and batch[0]["result"]["score"] == scored["score"]
    assert rescored["previous_score"] == pytest.approx(expected, abs=1e-12) and rescored["intake_rows"] == 1
    assert shell.count('"endpoint": "/') >= 4                          # `stayout audit --tail 4`
    lines = python.strip().splitlines()
    assert lines[0].startswith(f"{lookup['score']} {lookup['tier']} [")
    assert lines[1].startswith(f"{scored['score']} 200 {rescored['score']} -> ") and lines[2].startswith("404:")
    status = dict(part.split("=") for part in python.rsplit("STATUS ", 1)[1].split())
    assert {name: status[name] for name in ("livez", "metrics", "caseworker", "nokey")} == {
        "livez": "200", "metrics": "401", "caseworker": "403", "nokey": "401"}    # metrics need an admin key
    assert int(status["admin"]) > 0


def test_bentoml_build_packs_a_bento_that_serves(county, keys, tmp_path):
    """`bentoml build` from the repository (bentofile.yaml) into a fresh BentoML home; the bento holds
    the product's code and not training's, and `bentoml serve stayout:latest` answers a lookup."""
    import httpx

    env = {**os.environ, "BENTOML_HOME": str(tmp_path / "bentoml")}
    bentoml_command = str(Path(sys.executable).parent / "bentoml")
    built = subprocess.run([bentoml_command, "build", str(ROOT)], cwd=ROOT, env=env, capture_output=True, text=True,
                           timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    [bento] = (tmp_path / "bentoml" / "bentos" / "stayout").glob("*/bento.yaml")
    source = bento.parent / "src"
    assert (source / "serving" / "service.py").exists() and (source / "features" / "reason_texts.yaml").exists()
    assert not (source / "training").exists() and not (source / "tests").exists()
    assert "serving.service:Stayout" in bento.read_text(encoding="utf-8")
    port, household = _free_port(), _flagged(county)
    with open(tmp_path / "bento.log", "wb") as log:
        server = subprocess.Popen([bentoml_command, "serve", "stayout:latest", "--host", "127.0.0.1", "--port",
                                   str(port)], cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while server.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            time.sleep(0.5)
        found = httpx.post(f"http://127.0.0.1:{port}/lookup", json={"household_id": household},
                           headers=keys["caseworker"], timeout=30)
        assert found.status_code == 200, (tmp_path / "bento.log").read_text(errors="replace")[-3000:]
        assert found.json()["score"] == pytest.approx(county["scores"].loc[household, "score"], abs=1e-12)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


# ------------------------------------------------------------------ any input, never a 5xx
@pytest.mark.parametrize("path", ["/lookup", "/score", "/rescore", "/score_batch"])
def test_no_input_of_any_shape_gets_a_5xx(client, keys, path):
    """Schemathesis generates bodies from the OpenAPI document (valid and not); none may get a 5xx."""
    operation = schemathesis.openapi.from_asgi("/docs.json", client.app)[path]["POST"]

    @given(case=operation.as_strategy())
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def answered(case):
        # sent through the module's client: one event loop for the app, as in a server (batching needs it)
        sent = case.as_transport_kwargs(base_url=str(client.base_url), headers=keys["admin"])
        body = sent.get("data")
        response = client.request(sent["method"], sent["url"], headers=sent.get("headers"), params=sent.get("params"),
                                  json=sent.get("json"), content=body.encode() if isinstance(body, str) else body)
        assert response.status_code < 500, f"{path} {case.body!r} -> {response.status_code} {response.text[:300]}"
        kind = response.headers.get("content-type") or [""]
        assert (kind[0] if isinstance(kind, list) else kind).startswith("application/json")

    answered()
