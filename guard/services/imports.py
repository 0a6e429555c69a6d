"""`guard import`: an AliExpress order export (CSV) loaded as platform_status facts.

Exports carry no per-row modification time, so each row's facts take `--as-of`
(or the row's `modified_at`), and each row's event id is derived from the order
id, the row's content and that time: importing the same file twice is harmless.
Rows go in chunks, each all-or-nothing through the same ingest as the API.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from guard.errors import ValidationFailed
from guard.events import PLATFORM_STATUS, parse_batch
from guard.services.apikeys import Principal
from guard.services.ingest import ingest

if TYPE_CHECKING:
    from guard.runtime import Runtime

REQUIRED = ("order_id", "status")
OPTIONAL = ("end_reason", "logistics_status", "tracking_number", "carrier", "store_id", "ship_by", "modified_at")
CHUNK = 1000
IMPORTER = Principal(key_id=0, name="guard import", scopes=frozenset({"events"}), stores=None)


@dataclass
class ImportReport:
    rows: int = 0
    applied: int = 0
    stale: int = 0
    final: int = 0
    duplicate: int = 0
    rejected_rows: int = 0
    problems: list[str] = field(default_factory=list)  # "line 12: status: unknown …"
    ignored_columns: list[str] = field(default_factory=list)


def _event(row: dict[str, str], as_of: str) -> dict:
    values = {name: row[name].strip() for name in (*REQUIRED, *OPTIONAL) if row.get(name, "").strip()}
    occurred_at = values.pop("modified_at", as_of)
    content = "\x1f".join(f"{k}={values[k]}" for k in sorted(values))
    digest = hashlib.sha256(f"{values.get('order_id', '')}\x1e{content}\x1e{occurred_at}".encode()).hexdigest()
    return {
        "event_id": f"imp-{digest[:48]}",
        "type": PLATFORM_STATUS,
        "platform": "aliexpress",
        "occurred_at": occurred_at,
        **values,
    }


def import_csv(
    rt: Runtime,
    stream: TextIO,
    as_of: str,
    now: Callable[[], datetime],
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    report = ImportReport()
    reader = csv.DictReader(stream)
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        report.problems.append(f"line 1: missing column(s) {', '.join(missing)}")
        return report
    report.ignored_columns = [name for name in header if name not in (*REQUIRED, *OPTIONAL)]
    reader.fieldnames = header
    chunk: list[tuple[int, dict]] = []
    for row in reader:
        chunk.append((reader.line_num, _event(row, as_of)))
        if len(chunk) == CHUNK:
            _apply_chunk(rt, chunk, now, report)
            progress(len(chunk))
            chunk = []
    if chunk:
        _apply_chunk(rt, chunk, now, report)
        progress(len(chunk))
    return report


def _apply_chunk(rt: Runtime, chunk: list[tuple[int, dict]], now: Callable[[], datetime], report: ImportReport) -> None:
    report.rows += len(chunk)
    moment = now()
    try:
        events = parse_batch({"events": [event for _, event in chunk]}, moment)
        result = ingest(rt, IMPORTER, events, moment)
    except ValidationFailed as exc:
        # A chunk with a bad row is rejected whole; every bad line is named.
        report.rejected_rows += len(chunk)
        for detail in exc.details or []:
            index = detail.get("index")
            line = chunk[index][0] if isinstance(index, int) else "?"
            report.problems.append(f"line {line}: {detail['field']}: {detail['message']}")
        return
    for item in result["results"]:
        outcome = item["outcome"]
        setattr(report, outcome, getattr(report, outcome) + 1)


def count_rows(lines: Iterable[str]) -> int:
    return max(sum(1 for _ in lines) - 1, 0)
