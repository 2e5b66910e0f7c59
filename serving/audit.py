"""Who called what: the audit log, and the gate every call to the service passes.

Each call to an endpoint is one JSON line in `STAYOUT_HOME/audit/audit.jsonl`: time, key id,
endpoint, an HMAC of the household id (keyed by `STAYOUT_HOME/audit/secret`, mode 0600, made at
first start), the model version, the status and the latency. Never a name, ID number or the
household id itself: the HMAC lets an auditor find a household's calls once they know its id.

The gate (an ASGI middleware, so that its answers are JSON with their own status) checks in
order: the key (`Authorization: Bearer <key>`, 401), the role for the endpoint (403), the key's
rate (429, `STAYOUT_RATE_PER_SECOND` default 50, `STAYOUT_RATE_BURST` default 100) and the body
size (413, `STAYOUT_MAX_BODY_BYTES` default 1,000,000; `STAYOUT_MAX_BATCH_BODY_BYTES` default
64,000,000 for /score_batch). Probes, the OpenAPI document and the index
page are open and not logged.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import threading
import time
from collections import deque
from pathlib import Path

from serving.keys import KeyRing, RateLimiter
from stayout.home import stayout_home

MODEL_VERSION_HEADER = "x-stayout-model-version"
SECRET_BYTES = 32
ENDPOINT_ROLES = {
    "/lookup": {"caseworker", "admin"},
    "/score": {"caseworker", "admin"},
    "/score_batch": {"caseworker", "admin"},
    "/rescore": {"caseworker", "admin"},
    "/metrics": {"admin"},
}


class AuditLog:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.path = self.folder / "audit.jsonl"
        self._secret: bytes | None = None
        self._lock = threading.Lock()

    @classmethod
    def at_home(cls, home: Path) -> "AuditLog":
        return cls(Path(home) / "audit")

    def secret(self) -> bytes:
        """The HMAC key, made once (mode 0600) and read back by every later start."""
        if self._secret is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / "secret"
            try:
                descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(descriptor, "wb") as out:
                    out.write(os.urandom(SECRET_BYTES))
            except FileExistsError:
                pass
            for _ in range(50):  # another worker may be writing it this instant
                secret = path.read_bytes()
                if len(secret) == SECRET_BYTES:
                    break
                time.sleep(0.01)
            self._secret = secret
        return self._secret

    def household_mark(self, household_id: str | None) -> str | None:
        if not household_id:
            return None
        return hmac.new(self.secret(), household_id.encode("utf-8"), hashlib.sha256).hexdigest()

    def append(self, key_id: str | None, endpoint: str, household_id: str | None, model_version: str | None,
               status: int, latency_ms: float) -> None:
        line = {"time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds"), "key_id": key_id,
                "endpoint": endpoint, "household": self.household_mark(household_id),
                "model_version": int(model_version) if model_version and model_version.isdigit() else None,
                "status": status, "latency_ms": round(latency_ms, 2)}
        with self._lock, open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(line) + "\n")

    def tail(self, lines: int) -> list[dict]:
        if not self.path.exists():
            return []
        with open(self.path, encoding="utf-8") as log:
            return [json.loads(line) for line in deque(log, maxlen=lines)]


def _number(variable: str, default: float) -> float:
    return float(os.environ.get(variable, default))


def _household_id(body: bytes) -> str | None:
    """The household a request is about, from its JSON body (best effort; for the audit only)."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    found = data.get("household_id")
    if found is None and isinstance(data.get("records"), dict):
        rows = data["records"].get("households")
        found = rows[0].get("household_id") if isinstance(rows, list) and rows and isinstance(rows[0], dict) else None
    return found if isinstance(found, str) else None


class Gate:
    """ASGI middleware: keys, roles, rate, size and the audit log around the endpoints."""

    model_version: str | None = None   # the version the service pinned at start (`serve_version`)

    def __init__(self, app, home: Path | None = None):
        self.app = app
        home = Path(home) if home else stayout_home()
        self.keys = KeyRing.at_home(home)
        self.audit = AuditLog.at_home(home)
        self.audit.secret()
        self.limiter = RateLimiter(*self._rate())
        self.max_body = int(_number("STAYOUT_MAX_BODY_BYTES", 1_000_000))
        self.max_batch_body = int(_number("STAYOUT_MAX_BATCH_BODY_BYTES", 64_000_000))

    @staticmethod
    def _rate() -> tuple[float, int]:
        return _number("STAYOUT_RATE_PER_SECOND", 50), int(_number("STAYOUT_RATE_BURST", 100))

    def _read_limits(self) -> None:
        """The limits from the environment (looked up per call: cheap, and tests may change them)."""
        rate, burst = self._rate()
        if (rate, burst) != (self.limiter.rate, self.limiter.burst):
            self.limiter = RateLimiter(rate, burst)
        self.max_body = int(_number("STAYOUT_MAX_BODY_BYTES", 1_000_000))
        self.max_batch_body = int(_number("STAYOUT_MAX_BATCH_BODY_BYTES", 64_000_000))

    async def __call__(self, scope, receive, send):
        roles = ENDPOINT_ROLES.get(scope.get("path", "")) if scope["type"] == "http" else None
        if roles is None:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        self._read_limits()
        seen = {"status": 500, "version": None, "key": None, "household": None}

        async def answer(status: int, message: str, headers: dict[str, str] | None = None) -> None:
            body = json.dumps({"error": message, "detail": []}).encode("utf-8")
            await send({"type": "http.response.start", "status": status, "headers": [
                (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                *((k.encode(), v.encode()) for k, v in (headers or {}).items())]})
            await send({"type": "http.response.body", "body": body})
            seen["status"] = status

        async def watched(message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                headers = list(message.get("headers", []))
                version = dict(headers).get(MODEL_VERSION_HEADER.encode(), b"").decode()
                if not version and self.model_version is not None:   # answers made without a context (batches)
                    version = self.model_version
                    message = {**message, "headers": [*headers, (MODEL_VERSION_HEADER.encode(), version.encode())]}
                seen["version"] = version
            await send(message)

        try:
            await self._pass(scope, receive, roles, seen, answer, watched)
        finally:
            self.audit.append(seen["key"], scope["path"], seen["household"], seen["version"], seen["status"],
                              (time.perf_counter() - started) * 1000)

    async def _pass(self, scope, receive, roles, seen, answer, watched) -> None:
        headers = dict(scope.get("headers", []))
        authorization = headers.get(b"authorization", b"").decode("latin-1")
        scheme, _, token = authorization.partition(" ")
        key = self.keys.verify(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if key is None:
            await answer(401, "a valid API key is required: send `Authorization: Bearer <key>` (keys are made with "
                              "`stayout keys create`)", {"www-authenticate": "Bearer"})
            return
        seen["key"] = key.key_id
        if key.role not in roles:
            await answer(403, f"the role {key.role} may not call {scope['path']}; it needs "
                              f"{' or '.join(sorted(roles))}")
            return
        allowed, wait = self.limiter.allow(key.key_id)
        if not allowed:
            await answer(429, f"too many calls with this key (at most {self.limiter.rate:g} a second, bursts of "
                              f"{self.limiter.burst:g}); retry in {wait:.2f} s",
                         {"retry-after": str(max(1, round(wait)))})
            return
        limit = self.max_batch_body if scope["path"] == "/score_batch" else self.max_body
        body = await self._body(receive, headers, limit)
        if body is None:
            await answer(413, f"the request body is larger than {limit:,} bytes; post fewer rows (one household to "
                              "/score, up to 1,000 to /score_batch)")
            return
        seen["household"] = _household_id(body)
        await self.app(scope, _replay(body, receive), watched)

    async def _body(self, receive, headers, limit: int) -> bytes | None:
        """The whole body, or None once it is larger than allowed (by its declared length or as read)."""
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return None
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                return None
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def serve_version(version: int) -> None:
    """The model version this process answers with: named on every endpoint's response and audit line."""
    Gate.model_version = str(int(version))


def _replay(body: bytes, receive):
    sent = False

    async def again():
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return again
