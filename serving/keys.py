"""API keys of the systems that call the service, and a per-key rate limit.

A key is `so.<key_id>.<secret>`; it is shown once when created. `STAYOUT_HOME/keys.json` (mode
0600) keeps per key its id, name, role (`caseworker` or `admin`), a random salt and the SHA-256 of
salt and secret, never the secret itself. Revoked keys stay listed with the time of revocation.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from stayout.errors import InputError, NotFoundError

ROLES = ("caseworker", "admin")
FILE_NAME = "keys.json"
PREFIX = "so"


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    role: str
    salt: str
    digest: str
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def listing(self) -> dict:
        """What may be shown: everything but salt and digest."""
        return {"key_id": self.key_id, "name": self.name, "role": self.role, "created_at": self.created_at,
                "revoked_at": self.revoked_at}


def _digest(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


class KeyRing:
    """The keys file; re-read when it changes on disk, so a revocation takes effect at once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._seen: tuple[int, int] | None = None
        self._keys: dict[str, ApiKey] = {}
        self._lock = threading.Lock()

    @classmethod
    def at_home(cls, home: Path) -> "KeyRing":
        return cls(Path(home) / FILE_NAME)

    def keys(self) -> list[ApiKey]:
        return list(self._load().values())

    def create(self, role: str, name: str = "") -> tuple[ApiKey, str]:
        """A new key; returns its record and the key text (shown once, never stored)."""
        if role not in ROLES:
            raise InputError(f"role {role!r} is not known; use one of {', '.join(ROLES)}")
        keys = self._load()
        key_id = secrets.token_hex(4)
        while key_id in keys:
            key_id = secrets.token_hex(4)
        secret, salt = secrets.token_urlsafe(32).replace(".", "_"), secrets.token_hex(16)
        record = ApiKey(key_id, name or key_id, role, salt, _digest(salt, secret),
                        dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
        self._save({**keys, key_id: record})
        return record, f"{PREFIX}.{key_id}.{secret}"

    def revoke(self, key_id: str) -> ApiKey:
        keys = self._load()
        if key_id not in keys:
            raise NotFoundError(f"no key {key_id}; list them with `stayout keys list`")
        revoked = ApiKey(**{**asdict(keys[key_id]),
                            "revoked_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")})
        self._save({**keys, key_id: revoked})
        return revoked

    def verify(self, text: str) -> ApiKey | None:
        """The active key the text is, or None."""
        parts = text.split(".")
        if len(parts) != 3 or parts[0] != PREFIX:
            return None
        found = self._load().get(parts[1])
        if found is None or not found.active:
            return None
        return found if hmac.compare_digest(found.digest, _digest(found.salt, parts[2])) else None

    def _load(self) -> dict[str, ApiKey]:
        with self._lock:
            try:
                stat = self.path.stat()
            except FileNotFoundError:
                self._seen, self._keys = None, {}
                return {}
            if self._seen != (stat.st_mtime_ns, stat.st_size):
                data = json.loads(self.path.read_text(encoding="utf-8"))
                self._keys = {k["key_id"]: ApiKey(**k) for k in data.get("keys", [])}
                self._seen = (stat.st_mtime_ns, stat.st_size)
            return dict(self._keys)

    def _save(self, keys: dict[str, ApiKey]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump({"keys": [asdict(k) for k in keys.values()]}, out, indent=1)
        os.replace(temporary, self.path)
        with self._lock:
            self._seen = None


class RateLimiter:
    """A token bucket per key: `rate` calls a second on average, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int, clock=time.monotonic):
        self.rate, self.burst, self.clock = float(rate), float(burst), clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key_id: str) -> tuple[bool, float]:
        """Whether this call may go ahead, and else the seconds until one may."""
        with self._lock:
            now = self.clock()
            tokens, then = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            if tokens >= 1:
                self._buckets[key_id] = (tokens - 1, now)
                return True, 0.0
            self._buckets[key_id] = (tokens, now)
            return False, (1 - tokens) / self.rate if self.rate > 0 else 60.0
