"""Events from a feed (an export, the platform sync), applied one by one.

The API refuses a batch with any bad event whole (contract). A feed must not: one odd
row must not cost the others. So: parse the feed's events as one batch; drop what the
refusal names and parse the rest; then ingest them, and if ingest refuses some (an
order's store never changes), drop those and run it again. Each event still goes
through `parse_batch` and `ingest`, exactly as an API call's would.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from guard.errors import ValidationFailed
from guard.events import IncomingEvent, parse_batch
from guard.services.apikeys import Principal
from guard.services.ingest import ingest

if TYPE_CHECKING:
    from guard.services.context import Context

BATCH = 1000  # parse_batch's limit


@dataclass(frozen=True)
class Applied:
    index: int  # in the feed's list
    event: IncomingEvent
    result: dict  # ingest's result for it: {"event_id", "outcome", "facts", ...}


@dataclass
class FeedResult:
    applied: list[Applied] = field(default_factory=list)
    rejected: dict[int, list[str]] = field(default_factory=dict)  # index → ["field: message", ...]


def apply_feed(
    ctx: Context,
    principal: Principal,
    raw: list[dict],
    now: datetime,
    *,
    untimed: Callable[[int], bool] = lambda index: False,
) -> FeedResult:
    """Apply up to 1,000 raw events; `untimed(i)` marks event i as having no time of its own."""
    if len(raw) > BATCH:
        raise ValueError(f"at most {BATCH} events at a time")
    outcome = FeedResult()
    indices = list(range(len(raw)))
    events: list[IncomingEvent] = []
    while indices:
        try:
            events = parse_batch({"events": [raw[i] for i in indices]}, now)
            break
        except ValidationFailed as exc:
            indices = _without(indices, exc, outcome.rejected)
    events = [_untimed(event) if untimed(i) else event for i, event in zip(indices, events)]
    results: list[dict] = []
    while events:
        try:
            results = ingest(ctx, principal, events, now)["results"]
            break
        except ValidationFailed as exc:
            kept = set(_without(indices, exc, outcome.rejected))
            events = [event for i, event in zip(indices, events) if i in kept]
            indices = [i for i in indices if i in kept]
    outcome.applied = [Applied(i, event, result) for i, event, result in zip(indices, events, results)]
    return outcome


def _untimed(event: IncomingEvent) -> IncomingEvent:
    facts = tuple((kind, dataclasses.replace(fact, untimed=True)) for kind, fact in event.facts)
    return dataclasses.replace(event, facts=facts)


def _without(indices: list[int], exc: ValidationFailed, rejected: dict[int, list[str]]) -> list[int]:
    """The indices the refusal does not name; those it names are recorded as rejected."""
    named: dict[int, list[str]] = {}
    for detail in exc.details or []:
        position = detail.get("index")
        text = f"{detail.get('field')}: {detail.get('message')}"
        if not isinstance(position, int) or not 0 <= position < len(indices):
            # A problem no event can be blamed for: none of them can be applied safely.
            for i in indices:
                rejected.setdefault(i, []).append(text)
            return []
        named.setdefault(position, []).append(text)
    for position, texts in named.items():
        rejected.setdefault(indices[position], []).extend(texts)
    return [i for position, i in enumerate(indices) if position not in named]
