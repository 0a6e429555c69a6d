"""The engine: facts in, an explained verdict out.

`evaluate` is pure (the caller passes `now`), so the same function serves the
single check, the batch check, ingest's hold re-evaluation and the re-check
sweep, and is tested exhaustively without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from guard.facts import KNOWN_STATUSES, Facts
from guard.rules.cancellation import cancellation
from guard.rules.dispute import dispute
from guard.rules.freight import freight
from guard.rules.order import order
from guard.rules.payment import payment
from guard.rules.reasons import REASONS, SEVERITY, VerdictName
from guard.rules.risk import risk
from guard.rules.settings import DEFAULT_RULES, StoreRules
from guard.rules.settlement import settlement
from guard.rules.shipping_notice import shipping_notice
from guard.rules.tracking import tracking

Rule = Callable[[Facts], list[str]]

# The registry: every concern the guard judges, in the order reasons are listed.
RULES: tuple[tuple[str, Rule], ...] = (
    ("order", order),
    ("risk", risk),
    ("cancellation", cancellation),
    ("settlement", settlement),
    ("dispute", dispute),
    ("payment", payment),
    ("shipping_notice", shipping_notice),
    ("tracking", tracking),
    ("freight", freight),
)

NO_WAIVERS: Mapping[str, str | None] = {}


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason that applies to an order, and when the guard will look again."""

    code: str
    rule: str
    verdict: VerdictName
    recheck_at: datetime | None
    # Set when the reason is another parcel's: a member of the same shipment (one box).
    member: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    verdict: VerdictName
    reasons: tuple[Finding, ...]
    waived: tuple[Finding, ...] = ()

    @property
    def codes(self) -> list[str]:
        return list(dict.fromkeys(finding.code for finding in self.reasons))


def _finding(code: str, rule: str, store: StoreRules, now: datetime) -> Finding:
    spec = store.specs[code]
    recheck_at = now + spec.recheck_after if spec.recheck_after is not None else None
    return Finding(code, rule, spec.verdict, recheck_at)


def fact_stamp(facts: Facts, fact_type: str | None) -> str | None:
    """What a waiver is tied to: the event that set the fact it saw (None: no fact)."""
    fact = facts.get(fact_type) if fact_type else None
    return fact.event_id if fact is not None else None


def evaluate(
    facts: Facts,
    now: datetime,
    store: StoreRules = DEFAULT_RULES.defaults,
    waivers: Mapping[str, str | None] = NO_WAIVERS,
    rules: tuple[tuple[str, Rule], ...] = RULES,
) -> Evaluation:
    """Judge one order's facts.

    `waivers` maps a waived code to the stamp of the fact it was granted on; a
    waiver counts only while that same fact stands (a newer fact voids it).
    """
    if not facts:
        # Nothing known at all: the only honest answer is "unknown", never clear.
        return Evaluation("hold", (_finding("ORDER_UNKNOWN", "order", store, now),))
    reasons: list[Finding] = []
    waived: list[Finding] = []
    # Rules read a status they do not recognise as the harmless default ("none",
    # "open", or for the notice "recorded"), so an unreadable fact must hold here.
    for fact_type, fact in facts.items():
        if fact_type in KNOWN_STATUSES and fact.status not in KNOWN_STATUSES[fact_type]:
            reasons.append(_finding("RULE_ERROR", fact_type, store, now))
    for name, rule in rules:
        try:
            # Resolved inside the try: an unknown code or a malformed return is
            # as undecidable as an exception.
            found = [
                _finding(code, name, store, now)
                for code in rule(facts)
                if not (code in store.disabled and store.specs[code].waivable)
            ]
        except Exception:  # a broken rule must hold the parcel, not wave it through
            reasons.append(_finding("RULE_ERROR", name, store, now))
            continue
        for finding in found:
            code = finding.code
            if (
                code in waivers
                and REASONS[code].waivable
                and waivers[code] == fact_stamp(facts, REASONS[code].fact_type)
            ):
                waived.append(finding)
            else:
                reasons.append(finding)
    verdict: VerdictName = "clear"
    for finding in reasons:
        if SEVERITY[finding.verdict] > SEVERITY[verdict]:
            verdict = finding.verdict
    return Evaluation(verdict, tuple(reasons), tuple(waived))
