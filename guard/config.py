"""One validated settings object, read from `GUARD_*` environment variables (and `.env`)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from guard.printers import parse_printers
from guard.rules import DEFAULT_RULES, RulesConfig, parse_rules

MiB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GUARD_", env_file=".env", env_file_encoding="utf-8", extra="ignore")

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./guard.db"
    redis_url: str | None = None
    # The Celery queue the API hands work to and `guard worker` takes it from. Deployments (or
    # test runs) that share one Redis database keep apart by each using a name of its own.
    celery_queue: str = Field("guard", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
    webhook_url: str | None = None
    webhook_secret: str | None = None
    clearance_ttl_s: int = Field(300, gt=0, le=86_400)
    rules_file: Path | None = None

    # Not in the contract's table: limits an operator may want to move.
    max_body_bytes: int = Field(8 * MiB, gt=0)
    # How long a verified API key is trusted without asking the database again;
    # revocation must take effect within 5 s (contract, `guard apikey revoke`), streams
    # included: an open stream looks at its key every second, so at most 4 s here.
    key_cache_s: float = Field(2.0, ge=0, le=4)
    # Per API process, kept open; up to half as many again at peaks. Ten answered as fast as
    # twenty or forty at saturation (docs/benchmarks.md) and leave PostgreSQL's 100 connections
    # room for more processes.
    db_pool_size: int = Field(10, ge=1)
    db_timeout_s: float = Field(2.0, gt=0)
    # Fail closed in bounded time: a request that cannot finish by then is a 503.
    request_timeout_s: float = Field(2.0, gt=0, le=60)
    batch_timeout_s: float = Field(30.0, gt=0, le=600)  # wave checks, event batches
    # Per-key token bucket: one in Redis shared by every node when GUARD_REDIS_URL is set,
    # else one per API process; 0 switches it off.
    rate_limit_per_s: float = Field(500.0, ge=0)
    rate_limit_burst: int = Field(1000, ge=1)
    # Open station streams per key (each holds a Redis subscription): across every node
    # with Redis, per API process without; beyond it 429. A station page holds one.
    streams_per_key: int = Field(20, ge=1, le=10_000)
    # Embedded mode (no Redis): run delivery and re-checks inside `guard serve`.
    embedded_jobs: bool = True
    # uvicorn processes for `guard serve` (its --workers overrides); unset: see `api_workers`.
    workers: int | None = Field(None, ge=1, le=64)
    # "auto": JSON lines in production, readable text in development.
    log_format: Literal["auto", "json", "text"] = "auto"

    # Network label printers per station (raw ZPL, TCP 9100): "pack-01=10.0.0.21:9100,…".
    station_printers: str | None = None

    # The direct sync with the AliExpress open platform (docs/integration.md, "AliExpress
    # without an ERP"): the seller's open-platform app, and the shop's authorization.
    aliexpress_app_key: str | None = None
    aliexpress_app_secret: str | None = None
    aliexpress_access_token: str | None = None  # the first one; refreshed tokens live in the database
    aliexpress_refresh_token: str | None = None
    aliexpress_gateway_url: str = "https://api-sg.aliexpress.com"  # a sandbox's, for trials
    aliexpress_store_id: str | None = None  # the store_id the synced orders carry
    aliexpress_sync_interval_s: float = Field(300.0, ge=10, le=86_400)
    aliexpress_sync_days: int = Field(14, ge=1, le=90)  # how far back the first sync reads
    # Record the shipping notice through the platform (aliexpress.solution.order.fulfill).
    aliexpress_fulfill: bool = False

    @field_validator("station_printers")
    @classmethod
    def _printers_parse(cls, value: str | None) -> str | None:
        parse_printers(value)  # refuse a bad entry at start, not at the first label
        return value

    @property
    def printers(self) -> dict[str, tuple[str, int]]:
        return parse_printers(self.station_printers)

    @field_validator(
        "redis_url",
        "webhook_url",
        "webhook_secret",
        "rules_file",
        "aliexpress_app_key",
        "aliexpress_app_secret",
        "aliexpress_access_token",
        "aliexpress_refresh_token",
        "aliexpress_store_id",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql")):
            raise ValueError("GUARD_DATABASE_URL must be sqlite:///… or postgresql+psycopg://…")
        if value.startswith(("postgresql://", "postgres://")):
            # Integrators copy URLs from their provider; use the driver we ship.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @field_validator("aliexpress_gateway_url")
    @classmethod
    def _gateway_is_a_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL, e.g. https://api-sg.aliexpress.com")
        return value.rstrip("/")

    @property
    def aliexpress_sync_enabled(self) -> bool:
        """An app and a shop's authorization: enough for `guard sync aliexpress` and its schedule."""
        return bool(
            self.aliexpress_app_key
            and self.aliexpress_app_secret
            and (self.aliexpress_access_token or self.aliexpress_refresh_token)
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def webhook_secrets(self) -> list[str]:
        if not self.webhook_secret:
            return []
        return [part.strip() for part in self.webhook_secret.split(",") if part.strip()]

    @property
    def logs_as_json(self) -> bool:
        return self.log_format == "json" or (self.log_format == "auto" and self.env == "production")

    @property
    def api_workers(self) -> int:
        """`guard serve`'s processes when --workers is not given.

        GUARD_WORKERS if set; in production on PostgreSQL with Redis one per core (the
        check is CPU-bound in Python, one process keeps one core busy); else one (SQLite
        takes one writer; without Redis the jobs run embedded, in exactly one process).
        """
        if self.workers is not None:
            return self.workers
        if self.env == "production" and not self.is_sqlite and self.redis_url:
            return max(1, min(os.cpu_count() or 1, 64))
        return 1

    def production_problems(self, workers: int | None = None) -> list[str]:
        """What `GUARD_ENV=production` refuses, one sentence each (empty: safe).

        `workers` is the number of API processes about to run (default: GUARD_WORKERS).
        """
        workers = self.api_workers if workers is None else workers
        problems = []
        if self.is_sqlite and workers > 1:
            problems.append(
                f"SQLite with {workers} API workers: SQLite takes one writer process; "
                "set GUARD_DATABASE_URL=postgresql+psycopg://… or run one worker"
            )
        if self.webhook_url and not self.webhook_secrets:
            problems.append(
                "GUARD_WEBHOOK_URL is set but GUARD_WEBHOOK_SECRET is not: "
                "receivers could not tell the guard's notifications from forged ones"
            )
        if not self.redis_url and self.embedded_jobs and workers > 1:
            problems.append(
                f"embedded jobs in {workers} API processes: each would run its own delivery "
                "and re-check loop; set GUARD_REDIS_URL and run `guard worker`"
            )
        if bool(self.aliexpress_app_key) != bool(self.aliexpress_app_secret):
            problems.append(
                "GUARD_ALIEXPRESS_APP_KEY and GUARD_ALIEXPRESS_APP_SECRET go together: set both, or neither"
            )
        if self.aliexpress_sync_enabled and not self.aliexpress_gateway_url.startswith("https://"):
            problems.append("GUARD_ALIEXPRESS_GATEWAY_URL is not https: the shop's token would travel in clear text")
        if not self.redis_url and not self.embedded_jobs:
            problems.append(
                "GUARD_EMBEDDED_JOBS=false without GUARD_REDIS_URL: nothing would deliver "
                "notifications or re-check holds"
            )
        return problems

    @property
    def rules(self) -> RulesConfig:
        """The parsed rules file, read once per path (a copy with another path reads its own)."""
        if self.rules_file is None:
            return DEFAULT_RULES
        return _parse_rules_file(self.rules_file.resolve())


@lru_cache(maxsize=8)
def _parse_rules_file(path: Path) -> RulesConfig:
    return parse_rules(path.read_text(encoding="utf-8"))
