"""`guard import`: an order export loaded as `platform_status` facts, row by row.

The file is read whole first (`guard/order_exports.py`): an encoding the guard cannot
read, a missing column or spreadsheet damage refuses it before anything is stored. Then
rows go through the API's own path (`parse_batch`, `ingest`) in chunks. A bad row is
rejected alone, named with its line, field and message — also when the refusal comes
from ingest (an order's store never changes): the chunk runs again without it.

Exports carry no modification time: a row without `modified_at` is **untimed** (contract
v1.1): it may only make an order stricter, and the summary names each row it could not
apply and why ("line 7: untimed; would have lowered RISK_REVIEW").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from guard.facts import PLATFORM_WORD, UNKNOWN_WORD
from guard.order_exports import ColumnMap, Row, decode, read_export
from guard.rules.engine import codes_of
from guard.services.apikeys import Principal
from guard.services.feed import apply_feed

if TYPE_CHECKING:
    from guard.services.context import Context

CHUNK = 1000
IMPORTER = Principal(key_id=0, name="guard import", scopes=frozenset({"events"}), stores=None)


@dataclass
class ImportReport:
    rows: int = 0
    applied: int = 0
    stale: int = 0
    final: int = 0
    duplicate: int = 0
    untimed: int = 0  # rows held back whole by the untimed rule
    rejected_rows: int = 0
    encoding: str = ""
    mapping: str = ""
    problems: list[str] = field(default_factory=list)  # rejected rows: "line 12: status: …"
    not_applied: list[str] = field(default_factory=list)  # "line 7: untimed; would have lowered RISK_REVIEW"
    unknown_words: list[str] = field(default_factory=list)  # rows whose order now holds for a word
    ignored_columns: list[str] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)  # the whole file was refused for these lines

    @property
    def failed(self) -> bool:
        """Whether any row was rejected (or the whole file): the exit code says so."""
        return bool(self.rejected_rows or self.damaged)


def import_export(
    ctx: Context,
    data: bytes,
    as_of: str,
    now: Callable[[], datetime],
    *,
    column_map: ColumnMap | None = None,
    store_id: str | None = None,
    on_total: Callable[[int], None] = lambda n: None,
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    """Load an export. Raises order_exports.ExportError when the file cannot be read at all."""
    text, encoding = decode(data)
    reading = read_export(text, column_map, as_of, store_id, encoding=encoding)
    report = ImportReport(
        encoding=encoding, mapping=reading.mapping, ignored_columns=reading.ignored_columns, rows=len(reading.rows)
    )
    if reading.damaged:
        report.damaged = reading.damaged
        return report
    on_total(len(reading.rows))
    for start in range(0, len(reading.rows), CHUNK):
        chunk = reading.rows[start : start + CHUNK]
        _apply_chunk(ctx, chunk, now, report)
        progress(len(chunk))
    return report


def _apply_chunk(ctx: Context, rows: list[Row], now: Callable[[], datetime], report: ImportReport) -> None:
    ready: list[Row] = []
    events: list[dict] = []
    for row in rows:
        if row.problems or row.event is None:
            _reject(report, row, row.problems)
        else:
            ready.append(row)
            events.append(row.event)
    fed = apply_feed(ctx, IMPORTER, events, now(), untimed=lambda i: bool(events[i].get("untimed")))
    for index, problems in sorted(fed.rejected.items()):
        _reject(report, ready[index], problems)
    for item in fed.applied:
        row, result = ready[item.index], item.result
        outcome = result["outcome"]
        setattr(report, outcome, getattr(report, outcome) + 1)
        why = _why_not(result)
        if why:
            report.not_applied.append(f"line {row.line}: {why}")
        for kind, fact in item.event.facts:
            if kind == PLATFORM_WORD and fact.status == UNKNOWN_WORD and result["facts"].get(kind) == "applied":
                report.unknown_words.append(
                    f"line {row.line}: {fact.source} is not a known AliExpress word: order {item.event.order_id} "
                    "holds (RULE_ERROR) until a known status arrives; add the text to the mapping's [status]"
                )


def _reject(report: ImportReport, row: Row, problems: list[str]) -> None:
    report.rejected_rows += 1
    report.problems += [f"line {row.line}: {problem}" for problem in problems]


def _why_not(item: dict) -> str | None:
    """Why a row (or part of it) did not apply, in a user's words; None when there is nothing to say."""
    outcome = item["outcome"]
    held_back = item.get("untimed", [])
    if outcome == "applied":
        # Applied in part: worth naming only where the export would have loosened the order.
        held_back = [entry for entry in held_back if entry["why"] in ("lower", "tracking_number", "order_unknown")]
        return "untimed; " + "; ".join(_untimed_why(entry) for entry in held_back) if held_back else None
    if outcome == "untimed":
        return "untimed; " + "; ".join(_untimed_why(entry) for entry in held_back)
    if outcome == "stale":
        return "stale; the guard has newer facts for this order"
    if outcome == "final":
        return "final; the order is already closed, cancelled or refunded for good"
    return None  # duplicate: this row was imported before


def _untimed_why(entry: dict) -> str:
    fact, status, stored, why = entry["fact"], entry["status"], entry["stored"], entry["why"]
    if why == "lower":
        codes = codes_of(fact, stored)
        named = ", ".join(codes) if codes else f"{fact} {stored}"
        return f"would have lowered {named} ({fact} {stored} → {status})"
    if why == "same":
        return f"{fact} is already {stored}"
    if why == "equal":
        return f"{fact} {stored} stays ({status} is no stricter)"
    if why == "notice":
        return f"the shipping notice is already {stored} (an export cannot move it on)"
    if why == "tracking_number":
        return "would have changed the tracking number"
    return f"would have set {fact} {status} on an order not known in this store"
