"""Per-store rule settings (`GUARD_RULES_FILE`, TOML).

A store may tune re-check intervals and escalation ages, and switch off
*waivable* rules. Nothing here can switch off a non-waivable reason: a file that
tries is refused at start, loudly, rather than half-applied.

    [defaults.FREIGHT_UNPAID]
    recheck_minutes = 10
    escalate_after_rechecks = 3

    [stores."shop-42".PAYMENT_PROCESSING]
    recheck_minutes = 20
    escalate_after_hours = 4

    [stores."shop-42".FREIGHT_UNPAID]
    enabled = false            # this store prepays freight by contract
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from guard.facts import Facts
from guard.rules.reasons import PLATFORM_SPECS, REASONS, ReasonSpec


class RulesFileError(ValueError):
    """The rules file is unreadable or asks for something unsafe."""


@dataclass(frozen=True)
class StoreRules:
    """The reason specs in force for one store."""

    specs: Mapping[str, ReasonSpec] = field(default_factory=lambda: dict(REASONS))
    disabled: frozenset[str] = frozenset()
    # A code's spec when a platform's word set the fact it rests on (reasons.PLATFORM_SPECS).
    platform_specs: Mapping[str, ReasonSpec] = field(default_factory=lambda: dict(PLATFORM_SPECS))

    def spec(self, code: str, facts: Facts) -> ReasonSpec:
        """The spec in force for `code` on these facts: the platform's where its word set the fact."""
        spec = self.specs[code]
        variant = self.platform_specs.get(code)
        if variant is not None and spec.fact_type is not None:
            fact = facts.get(spec.fact_type)
            if fact is not None and fact.source is not None:
                return variant
        return spec


@dataclass(frozen=True)
class RulesConfig:
    defaults: StoreRules = field(default_factory=StoreRules)
    stores: Mapping[str, StoreRules] = field(default_factory=dict)

    def for_store(self, store_id: str | None) -> StoreRules:
        if store_id is None:
            return self.defaults
        return self.stores.get(store_id, self.defaults)


DEFAULT_RULES = RulesConfig()

_KEYS = {"enabled", "recheck_minutes", "escalate_after_hours", "escalate_after_rechecks"}


# TOML allows nan and inf, and a huge number overflows `now + interval` at
# evaluation time, turning every check of the store into a crash; a year is
# far beyond any re-check or escalation the seed describes.
_LONGEST = timedelta(days=366)


def _duration(where: str, key: str, value: Any, unit: str) -> timedelta:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise RulesFileError(f"{where}: {key} must be a positive number, got {value!r}")
    try:
        duration = timedelta(**{unit: value})
    except OverflowError:
        duration = timedelta.max
    if duration > _LONGEST:
        raise RulesFileError(f"{where}: {key} must be at most {_LONGEST.days} days, got {value!r}")
    return duration


def _apply(base: StoreRules, table: Any, where: str) -> StoreRules:
    if not isinstance(table, dict):
        raise RulesFileError(f"{where}: expected a table of reason codes")
    specs = dict(base.specs)
    platform_specs = dict(base.platform_specs)
    disabled = set(base.disabled)
    for code, tuning in table.items():
        spec = specs.get(code)
        here = f"{where}.{code}"
        if spec is None:
            raise RulesFileError(f"{here}: unknown reason code")
        if not isinstance(tuning, dict):
            raise RulesFileError(f"{here}: expected a table")
        unknown = set(tuning) - _KEYS
        if unknown:
            raise RulesFileError(f"{here}: unknown setting(s) {sorted(unknown)}")
        if "enabled" in tuning:
            enabled = tuning["enabled"]
            if not isinstance(enabled, bool):
                raise RulesFileError(f"{here}: enabled must be true or false")
            if not enabled and not spec.waivable:
                raise RulesFileError(f"{here}: {code} is not waivable and cannot be switched off")
            (disabled.discard if enabled else disabled.add)(code)
        if "recheck_minutes" in tuning:
            recheck = _duration(here, "recheck_minutes", tuning["recheck_minutes"], "minutes")
            spec = replace(spec, recheck_after=recheck)
        if "escalate_after_hours" in tuning:
            escalate = _duration(here, "escalate_after_hours", tuning["escalate_after_hours"], "hours")
            spec = replace(spec, escalate_after=escalate)
        if "escalate_after_rechecks" in tuning:
            count = tuning["escalate_after_rechecks"]
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise RulesFileError(f"{here}: escalate_after_rechecks must be a whole number ≥ 1")
            spec = replace(spec, escalate_after_rechecks=count)
        specs[code] = spec
        if code in platform_specs:
            # Timers tune both; the platform's spec stays unwaivable (and so cannot be switched off).
            platform = platform_specs[code]
            platform_specs[code] = replace(
                platform,
                recheck_after=spec.recheck_after if "recheck_minutes" in tuning else platform.recheck_after,
                escalate_after=spec.escalate_after if "escalate_after_hours" in tuning else platform.escalate_after,
            )
    return StoreRules(specs=specs, disabled=frozenset(disabled), platform_specs=platform_specs)


def parse_rules(text: str) -> RulesConfig:
    """Parse a rules file's text. Store tables start from the file's defaults."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesFileError(f"not valid TOML: {exc}") from exc
    unknown = set(data) - {"defaults", "stores"}
    if unknown:
        raise RulesFileError(f'unknown top-level table(s) {sorted(unknown)}; use [defaults] and [stores."ID"]')
    defaults = _apply(StoreRules(), data.get("defaults", {}), "defaults")
    stores_table = data.get("stores", {})
    if not isinstance(stores_table, dict):
        raise RulesFileError("stores: expected a table of store ids")
    stores = {str(store_id): _apply(defaults, table, f"stores.{store_id}") for store_id, table in stores_table.items()}
    return RulesConfig(defaults=defaults, stores=stores)
