"""API keys, the rate limit and the audit log on their own, and their commands."""
from __future__ import annotations

import json
import stat

import pytest

from serving.audit import AuditLog
from serving.keys import KeyRing, RateLimiter
from stayout.cli import main


def test_a_key_is_stored_hashed_and_verified(stayout_home):
    ring = KeyRing.at_home(stayout_home)
    record, key = ring.create("caseworker", "county office")
    text = (stayout_home / "keys.json").read_text(encoding="utf-8")
    secret = key.split(".")[2]
    assert secret not in text and record.digest in text and record.salt in text
    assert stat.S_IMODE((stayout_home / "keys.json").stat().st_mode) == 0o600
    assert ring.verify(key) == record
    assert KeyRing.at_home(stayout_home).verify(key) == record          # another process reads the same file
    assert ring.verify(key[:-1] + ("x" if key[-1] != "x" else "y")) is None
    assert ring.verify("so." + record.key_id) is None and ring.verify("") is None
    assert ring.verify(f"so.{record.key_id}.{secret}.extra") is None


def test_two_keys_never_share_salt_or_digest(stayout_home):
    ring = KeyRing.at_home(stayout_home)
    (first, _), (second, _) = ring.create("admin"), ring.create("admin")
    assert first.salt != second.salt and first.digest != second.digest and first.key_id != second.key_id


def test_a_revoked_key_stops_working_in_a_running_ring(stayout_home):
    serving_ring = KeyRing.at_home(stayout_home)
    record, key = KeyRing.at_home(stayout_home).create("caseworker")
    assert serving_ring.verify(key) == record
    KeyRing.at_home(stayout_home).revoke(record.key_id)                 # `stayout keys revoke` elsewhere
    assert serving_ring.verify(key) is None
    assert serving_ring.keys()[0].revoked_at is not None


def test_unknown_role_and_unknown_key_are_refused(stayout_home):
    ring = KeyRing.at_home(stayout_home)
    with pytest.raises(Exception, match="role"):
        ring.create("viewer")
    with pytest.raises(Exception, match="no key"):
        ring.revoke("deadbeef")


def test_token_bucket_allows_a_burst_then_the_rate():
    now = [0.0]
    limiter = RateLimiter(rate=2, burst=3, clock=lambda: now[0])
    assert [limiter.allow("a")[0] for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b")[0]                                        # buckets are per key
    allowed, wait = limiter.allow("a")
    assert not allowed and wait == pytest.approx(0.5)
    now[0] = 0.5
    assert limiter.allow("a")[0] and not limiter.allow("a")[0]
    now[0] = 100.0
    assert sum(limiter.allow("a")[0] for _ in range(10)) == 3            # refills only up to the burst


def test_audit_secret_is_private_and_the_mark_keyed(stayout_home):
    log = AuditLog.at_home(stayout_home)
    mark = log.household_mark("6205211002000035")
    secret = stayout_home / "audit" / "secret"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and len(secret.read_bytes()) == 32
    assert AuditLog.at_home(stayout_home).household_mark("6205211002000035") == mark    # same secret at restart
    assert "6205211002000035" not in mark and len(mark) == 64
    log.append("k1", "/lookup", "6205211002000035", "3", 200, 1.234)
    assert log.tail(5) == [{**log.tail(1)[0], "key_id": "k1", "endpoint": "/lookup", "household": mark,
                            "model_version": 3, "status": 200, "latency_ms": 1.23}]


def test_key_and_audit_commands(stayout_home, capsys):
    assert main(["keys", "create", "--role", "caseworker", "--name", "township app"]) == 0
    created = capsys.readouterr().out
    key = created.strip().splitlines()[-1]
    key_id = key.split(".")[1]
    assert key.startswith("so.") and "only time" in created
    assert main(["keys", "list"]) == 0
    listed = capsys.readouterr().out
    assert key_id in listed and "township app" in listed and key.split(".")[2] not in listed and "active" in listed
    assert main(["keys", "revoke", key_id]) == 0
    assert main(["keys", "list"]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["keys", "revoke", "nope"]) == 2
    with pytest.raises(SystemExit):
        main(["keys", "create", "--role", "viewer"])
    capsys.readouterr()
    assert main(["audit", "--tail", "5"]) == 0
    assert "no calls" in capsys.readouterr().out
    AuditLog.at_home(stayout_home).append(key_id, "/lookup", "h1", "1", 404, 3.0)
    assert main(["audit", "--tail", "5"]) == 0
    line = json.loads(capsys.readouterr().out.strip())
    assert line["status"] == 404 and line["key_id"] == key_id and line["household"] != "h1"
