"""One validated settings object, read from `GUARD_*` environment variables (and `.env`)."""
from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from guard.rules import DEFAULT_RULES, RulesConfig, parse_rules

MiB = 1024 * 1024


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GUARD_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    env: Literal["development", "production"] = "development"
    database_url: str = "sqlite:///./guard.db"
    redis_url: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    clearance_ttl_s: int = Field(300, gt=0, le=86_400)
    rules_file: Path | None = None

    # Not in the contract's table: limits an operator may want to move.
    max_body_bytes: int = Field(8 * MiB, gt=0)
    # How long a verified API key is trusted without asking the database again;
    # revocation must take effect within 5 s (contract, `guard apikey revoke`).
    key_cache_s: float = Field(2.0, ge=0, le=5)
    db_pool_size: int = Field(10, ge=1)
    db_timeout_s: float = Field(2.0, gt=0)
    # Embedded mode (no Redis): run delivery and re-checks inside `guard serve`.
    embedded_jobs: bool = True

    @field_validator("redis_url", "webhook_url", "webhook_secret", "rules_file", mode="before")
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

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def webhook_secrets(self) -> list[str]:
        if not self.webhook_secret:
            return []
        return [part.strip() for part in self.webhook_secret.split(",") if part.strip()]

    @cached_property
    def rules(self) -> RulesConfig:
        if self.rules_file is None:
            return DEFAULT_RULES
        return parse_rules(self.rules_file.read_text(encoding="utf-8"))


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
