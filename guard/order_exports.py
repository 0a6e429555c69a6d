"""Reading an order export as sellers have it: its encoding, its columns, its damage.

Pure: bytes and a column mapping in, one event (or one problem) per row out. The import
service (`guard/services/imports.py`) applies the events; nothing here touches the database.

- Encodings: UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"),
  GB18030 (which reads GBK and GB2312 too: what Excel writes for "CSV" on Chinese Windows).
- Columns: by default the event's field names; `--map` names a shipped mapping or a TOML
  file (docs/integration.md, "Imports") that maps them from the export's own headers.
- Damage: a spreadsheet that turned order numbers into `8.19E+12` or wrapped them in
  `="…"` has lost or hidden digits; a damaged 16-digit id can look valid and match another
  order. Such a file is refused whole, with its lines named.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from guard.events import PLATFORM_STATUS, PLATFORM_WORD_FIELDS, parse_timestamp
from guard.platform_time import from_wall_clock

REQUIRED = ("order_id", "status")
OPTIONAL = (
    "end_reason",
    "logistics_status",
    "tracking_number",
    "carrier",
    "store_id",
    "ship_by",
    "modified_at",
    *PLATFORM_WORD_FIELDS,
)
CARRIER_AND_NUMBER = "carrier_and_tracking_number"  # one column "carrier:number"
TARGETS = (*REQUIRED, *OPTIONAL, CARRIER_AND_NUMBER)
TIMES = ("ship_by", "modified_at")

MAPPINGS = Path(__file__).with_name("mappings")
SHIPPED_MAPS = {path.stem: path for path in MAPPINGS.glob("*.toml")}
SELLER_CENTER = "aliexpress-seller-center"

_SCIENTIFIC = re.compile(r"[+-]?\d+(?:\.\d+)?[Ee][+-]?\d+")
_FORMULA = re.compile(r'=\s*"(.*)"', re.DOTALL)


class ExportError(ValueError):
    """The file cannot be imported as a whole; the message says why and what to do."""


def normal(text: str) -> str:
    """Compare headers and status texts as a person reads them: full-width colons and commas,
    stray spaces and line breaks do not matter."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class ColumnMap:
    """Which export column holds which event field, how its status texts read, its time zone."""

    name: str
    columns: dict[str, str]  # event field (or CARRIER_AND_NUMBER) → export header
    status: dict[str, str] = field(default_factory=dict)  # normal(text) → AliExpress word
    zone: ZoneInfo | None = None  # times without an offset are wall-clock time here

    @classmethod
    def identity(cls) -> ColumnMap:
        return cls("event field names", {name: name for name in (*REQUIRED, *OPTIONAL)})


def load_map(name_or_path: str) -> ColumnMap:
    """A shipped mapping by name, or a TOML file. Raises ExportError with the reason."""
    path = SHIPPED_MAPS.get(name_or_path) or Path(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        shipped = ", ".join(sorted(SHIPPED_MAPS))
        raise ExportError(f"no mapping {name_or_path!r}: give a TOML file or one of: {shipped}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ExportError(f"cannot read the mapping {name_or_path!r}: {exc}") from None
    columns = data.get("columns")
    if not isinstance(columns, dict) or not all(isinstance(v, str) for v in columns.values()):
        raise ExportError(f"mapping {name_or_path!r}: [columns] must map event fields to column names")
    unknown = sorted(set(columns) - set(TARGETS))
    if unknown:
        raise ExportError(
            f"mapping {name_or_path!r}: unknown field(s) {', '.join(unknown)}; known: {', '.join(TARGETS)}"
        )
    missing = [name for name in REQUIRED if name not in columns]
    if missing:
        raise ExportError(f"mapping {name_or_path!r}: [columns] needs {', '.join(missing)}")
    status = data.get("status", {})
    if not isinstance(status, dict) or not all(isinstance(v, str) for v in status.values()):
        raise ExportError(f"mapping {name_or_path!r}: [status] must map texts to AliExpress words")
    zone = None
    zone_name = data.get("times", {}).get("zone")
    if zone_name is not None:
        try:
            zone = ZoneInfo(str(zone_name))
        except (ZoneInfoNotFoundError, ValueError):
            raise ExportError(f"mapping {name_or_path!r}: unknown time zone {zone_name!r}") from None
    return ColumnMap(
        name=path.stem if name_or_path in SHIPPED_MAPS else str(path),
        columns={target: normal(header) for target, header in columns.items()},
        status={normal(text): word for text, word in status.items()},
        zone=zone,
    )


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the encoding it was read in. Raises ExportError."""
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ExportError("this is an Excel workbook, not CSV: open it and save it as CSV (UTF-8), then import that")
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ExportError("cannot tell the file's encoding (tried UTF-8, UTF-16 and GB18030): save it as CSV (UTF-8)")


@dataclass
class Row:
    line: int  # where the row starts in the file (the header is line 1)
    event: dict | None
    problems: list[str] = field(default_factory=list)  # "field: message"


@dataclass
class Reading:
    rows: list[Row]
    mapping: str
    encoding: str
    ignored_columns: list[str]
    damaged: list[str]  # "line 7: order_id '8.19E+12' is in scientific notation"


def read_export(
    text: str, column_map: ColumnMap | None, as_of: str, store_id: str | None = None, *, encoding: str = "utf-8"
) -> Reading:
    """Every row of the export as a `platform_status` event, or the row's problems.

    A row without `modified_at` takes `as_of` and is untimed. Raises ExportError when the
    header lacks a required column.
    """
    first_line = text[:4096].split("\n", 1)[0]
    # Excel writes commas, tabs ("Unicode text") or, in some locales, semicolons.
    delimiter = max(",\t;", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [normal(name) for name in next(reader)]
    except StopIteration:
        raise ExportError("the file is empty: no header row") from None
    column_map = column_map or detect_map(header)
    position = {name: index for index, name in reversed(list(enumerate(header)))}
    missing = [column_map.columns[name] for name in REQUIRED if column_map.columns[name] not in position]
    if missing:
        raise ExportError(
            f"line 1: missing column(s) {', '.join(missing)} (mapping: {column_map.name}); "
            "name another mapping with --map"
        )
    wanted = {
        target: position[header_name] for target, header_name in column_map.columns.items() if header_name in position
    }
    used = set(wanted.values())
    ignored = [name for index, name in enumerate(header) if index not in used and name]
    rows: list[Row] = []
    damaged: list[str] = []
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        values = {target: cells[index].strip() for target, index in wanted.items() if index < len(cells)}
        damaged += _damage(start, values)
        rows.append(_row(start, values, column_map, as_of, store_id))
    return Reading(rows, column_map.name, encoding, ignored, damaged)


def detect_map(header: list[str]) -> ColumnMap:
    """The Seller Center's own export is recognised by its header; anything else is read by field names."""
    if "order_id" not in header and "订单号" in header and "订单状态" in header:
        return load_map(SELLER_CENTER)
    return ColumnMap.identity()


def _damage(line: int, values: dict[str, str]) -> list[str]:
    found = []
    for target, value in values.items():
        if _FORMULA.fullmatch(value):
            found.append(f'line {line}: {target} {value!r} is wrapped in ="…" by a spreadsheet')
        elif target in ("order_id", "tracking_number", CARRIER_AND_NUMBER) and _SCIENTIFIC.fullmatch(
            value.rsplit(":", 1)[-1].strip()
        ):
            found.append(f"line {line}: {target} {value!r} is in scientific notation (digits are lost)")
    return found


def _row(line: int, values: dict[str, str], column_map: ColumnMap, as_of: str, store_id: str | None) -> Row:
    row = Row(line, None)
    values = {name: value for name, value in values.items() if value}
    combined = values.pop(CARRIER_AND_NUMBER, None)
    if combined:
        carrier, number = _carrier_and_number(combined)
        if number is None:
            row.problems.append(
                f"{column_map.columns[CARRIER_AND_NUMBER]}: expected one 'carrier:number', got {combined!r}"
            )
        else:
            values.setdefault("tracking_number", number)
            if carrier:
                values.setdefault("carrier", carrier)
    status = values.get("status")
    if status is not None:
        values["status"] = column_map.status.get(normal(status), status)
    for name in TIMES:
        if name in values:
            try:
                values[name] = _time(values[name], column_map.zone)
            except ValueError as exc:
                row.problems.append(f"{name}: {exc}")
    if store_id and "store_id" not in values:
        values["store_id"] = store_id
    if row.problems:
        return row
    timed = "modified_at" in values
    occurred_at = values.pop("modified_at", as_of)
    content = "\x1f".join(f"{k}={values[k]}" for k in sorted(values))
    digest = hashlib.sha256(f"{values.get('order_id', '')}\x1e{content}\x1e{occurred_at}".encode()).hexdigest()
    row.event = {
        "event_id": f"imp-{digest[:48]}",
        "type": PLATFORM_STATUS,
        "platform": "aliexpress",
        "occurred_at": occurred_at,
        **values,
    }
    if not timed:
        row.event["untimed"] = True  # recorded with the event; the importer marks its facts
    return row


def _carrier_and_number(value: str) -> tuple[str | None, str | None]:
    parts = [part.strip() for part in re.split(r"[:：]", value)]
    if len(parts) == 1:
        return None, parts[0] or None
    if len(parts) != 2 or not parts[1] or re.search(r"[\s,;]", parts[1]):
        return None, None  # several parcels in one cell: the guard needs one number per parcel
    return parts[0] or None, parts[1]


def _time(value: str, zone: ZoneInfo | None) -> str:
    """RFC 3339 text for an event: as given when it has an offset, else read in the mapping's zone."""
    try:
        return parse_timestamp(value).isoformat()
    except ValueError:
        if zone is None:
            raise ValueError(
                f"{value!r} has no offset; give one (e.g. +08:00) or a time zone in the mapping ([times] zone)"
            ) from None
    return from_wall_clock(value, zone).astimezone(UTC).isoformat()
