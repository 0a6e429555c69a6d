"""API keys: created with a secret shown once, stored as a hash, checked on every call."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from guard.clock import utcnow
from guard.db import reading
from guard.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed, problem
from guard.ids import ID_PATTERN
from guard.models import ApiKey

SCOPES = ("events", "check", "labels", "holds", "supervise")
SECRET_PREFIX = "gk_"
LAST_USED_EVERY = timedelta(minutes=1)  # written at most this often, not per request

_keys = ApiKey.__table__


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a key's name, what it may do, and which stores it may see (None: all)."""

    key_id: int
    name: str
    scopes: frozenset[str]
    stores: frozenset[str] | None

    def require(self, scope: str) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"this key lacks the '{scope}' scope")

    def sees(self, store_id: str | None) -> bool:
        return self.stores is None or (store_id is not None and store_id in self.stores)


def hash_secret(secret: str) -> str:
    # The secret is 256 random bits, so a fast hash is safe here; a slow KDF
    # would only slow every request.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_key(engine: Engine, name: str, scopes: list[str], stores: list[str] | None) -> str:
    problems = []
    if not ID_PATTERN.fullmatch(name):
        problems.append(problem("name", "1-64 characters of A-Z a-z 0-9 _ - . :"))
    unknown = sorted(set(scopes) - set(SCOPES))
    if not scopes or unknown:
        problems.append(
            problem("scope", f"choose from {', '.join(SCOPES)}" + (f"; unknown: {unknown}" if unknown else ""))
        )
    for store in stores or []:
        if not ID_PATTERN.fullmatch(store):
            problems.append(problem("store", f"bad store id {store!r}"))
    if problems:
        raise ValidationFailed(problems)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        if conn.execute(sa.select(_keys.c.id).where(_keys.c.name == name)).first():
            raise Conflict(f"a key named {name!r} exists already", code="KEY_EXISTS")
        conn.execute(
            _keys.insert().values(
                name=name,
                key_hash=hash_secret(secret),
                scopes=sorted(set(scopes), key=SCOPES.index),
                stores=sorted(set(stores)) if stores else None,
                created_at=utcnow(),
            )
        )
    return secret


def list_keys(engine: Engine) -> list[dict]:
    with reading(engine) as conn:
        rows = conn.execute(sa.select(_keys).order_by(_keys.c.name)).mappings().all()
    return [
        {
            "name": row["name"],
            "scopes": row["scopes"],
            "stores": row["stores"],
            "created_at": row["created_at"],
            "last_used_at": row["last_used_at"],
            "revoked_at": row["revoked_at"],
        }
        for row in rows
    ]


def revoke_key(engine: Engine, name: str) -> None:
    with engine.begin() as conn:
        result = conn.execute(
            _keys.update().where(_keys.c.name == name, _keys.c.revoked_at.is_(None)).values(revoked_at=utcnow())
        )
        if result.rowcount == 0:
            raise NotFound(f"no active key named {name!r}", code="KEY_NOT_FOUND")


class KeyRing:
    """Verifies bearer secrets, remembering a verified key for a few seconds.

    The cache keeps the hot check path off the key table; its lifetime is
    bounded (settings.key_cache_s ≤ 5 s) so a revoked key stops working within
    5 s, as the contract promises.
    """

    def __init__(self, engine: Engine, cache_seconds: float):
        self._engine = engine
        self._ttl = cache_seconds
        self._cache: dict[str, tuple[float, Principal]] = {}
        self._last_used: dict[int, datetime] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _digest(authorization: str | None) -> str:
        if not authorization:
            raise Unauthenticated("missing Authorization: Bearer <key>")
        scheme, _, secret = authorization.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise Unauthenticated("use Authorization: Bearer <key>")
        return hash_secret(secret)

    def cached(self, authorization: str | None) -> Principal | None:
        """The caller's key if it was verified moments ago (no database), else None."""
        entry = self._cache.get(self._digest(authorization))
        return entry[1] if entry is not None and entry[0] > time.monotonic() else None

    def authenticate(self, authorization: str | None) -> Principal:
        principal = self.cached(authorization)
        if principal is not None:
            return principal
        digest = self._digest(authorization)
        principal = self._load(digest)
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (time.monotonic() + self._ttl, principal)
        return principal

    def _load(self, digest: str) -> Principal:
        now = utcnow()
        with self._engine.begin() as conn:
            row = conn.execute(
                sa.select(
                    _keys.c.id,
                    _keys.c.name,
                    _keys.c.key_hash,
                    _keys.c.scopes,
                    _keys.c.stores,
                    _keys.c.revoked_at,
                    _keys.c.last_used_at,
                ).where(_keys.c.key_hash == digest)
            ).first()
            if row is None or not hmac.compare_digest(row.key_hash, digest) or row.revoked_at is not None:
                raise Unauthenticated("unknown or revoked key")
            last = self._last_used.get(row.id) or row.last_used_at
            if last is None or now - last >= LAST_USED_EVERY:
                conn.execute(_keys.update().where(_keys.c.id == row.id).values(last_used_at=now))
                self._last_used[row.id] = now
        return Principal(
            key_id=row.id,
            name=row.name,
            scopes=frozenset(row.scopes),
            stores=frozenset(row.stores) if row.stores else None,
        )
