"""Operator commands: `holds list`, `order ORDER_ID`, `export holds`, `purge`, `config check`.

Thin edges like the rest of the CLI: parse, call a service function, print.
Tables and results go to stdout; progress bars and problems to stderr, so
`guard export holds --format csv > holds.csv` holds nothing but the CSV.
The operator at the console sees every store (no key is involved).
"""

from __future__ import annotations

import functools
import os
import re
import sys
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import click

from guard.config import Settings
from guard.errors import GuardError
from guard.escape import escape_controls, escape_lines

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

STATE_CHOICES = ("held", "blocked", "released", "all")
DURATION = re.compile(r"(\d+)\s*([dh])")


def register(main: click.Group) -> None:
    """Add the operator commands to `guard`."""
    for command in (holds, order, export, purge, config):
        main.add_command(command)


# --- shared bits ----------------------------------------------------------------------


def say(text: str = "", err: bool = False) -> None:
    """Print one line with its control characters escaped.

    Orders carry ERP-supplied text (reasons, carriers, notes): printed raw, an escape
    sequence in it would clear the operator's screen or write their clipboard (OSC 52),
    and a line break would forge a line of output. Every line the CLI prints goes here.
    """
    click.echo(escape_controls(text), err=err)


def say_json(text: str) -> None:
    """Print JSON: the encoder escapes C0 controls; DEL, C1 and the Unicode line
    separators it leaves raw are escaped here the JSON way (`\\u009b`), so it stays JSON."""
    click.echo(_JSON_RAW.sub(lambda match: f"\\u{ord(match.group()):04x}", text))


_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029]")


def _settings() -> Settings:
    from pydantic import ValidationError

    from guard.rules import RulesFileError

    try:
        settings = Settings()
        settings.rules  # noqa: B018 - a bad rules file stops the command here, with its reason
        return settings
    except ValidationError as exc:
        lines = [
            f"  GUARD_{'_'.join(str(part) for part in error['loc']).upper()}: {error['msg']}{_got(error)}"
            for error in exc.errors()
        ]
        raise click.ClickException("bad configuration:\n" + "\n".join(lines)) from None
    except (RulesFileError, OSError) as exc:
        raise click.ClickException(escape_lines(f"bad GUARD_RULES_FILE: {exc}")) from None


def _database_errors(command):
    """A database that is down, or not migrated, is a one-line message, not a traceback."""

    @functools.wraps(command)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        from sqlalchemy.exc import SQLAlchemyError

        try:
            return command(*args, **kwargs)
        except SQLAlchemyError as exc:
            reason = escape_controls(str(getattr(exc, "orig", None) or exc).strip().splitlines()[0])
            raise click.ClickException(
                f"the database did not answer ({type(exc).__name__}: {reason}); check GUARD_DATABASE_URL "
                f"(guard config check) and that `guard db upgrade` ran"
            ) from None

    return guarded


def _got(error: ErrorDetails) -> str:
    """The refused value, unless it may hold a secret."""
    name = str(error["loc"][0]) if error.get("loc") else ""
    value = error.get("input")
    if not isinstance(value, (str, int, float)) or name in SECRET_FIELDS:
        return ""
    return f" (got {mask_url(str(value)) if name in URL_FIELDS else value!r})"


def _runtime():
    from guard.runtime import build_runtime

    return build_runtime(_settings(), role="tool")


def _operator():
    from guard.services.apikeys import SCOPES, Principal

    return Principal(key_id=0, name="console", scopes=frozenset(SCOPES), stores=None)


def _error_text(exc: GuardError) -> str:
    parts = [exc.message] + [f"{d.get('field')}: {d.get('message')}" for d in exc.details or []]
    return escape_controls("; ".join(parts))


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


def _age(since: datetime, now: datetime) -> str:
    seconds = max(int((now - since).total_seconds()), 0)
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


def _table(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    rows = [tuple(escape_controls(str(cell)) for cell in row) for row in (header, *rows)]  # widths as shown
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        say("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())


def _hold_filter(state: str | None, reason: str | None, station: str | None, overdue: bool, **more: str | None):
    """The same filter as GET /v1/holds, checked by the same model (guard/requests/queries.py)."""
    from guard.requests.fields import validated
    from guard.requests.queries import HoldQuery

    query = {
        "state": None if state in (None, "all") else state,
        "reason": reason,
        "station_id": station,
        "overdue": "true" if overdue else None,
        **more,
    }
    try:
        return validated(HoldQuery, {name: value for name, value in query.items() if value is not None}).page()
    except GuardError as exc:
        raise click.UsageError(_error_text(exc)) from None


def _filter_options(default_state: str):
    def decorate(command):
        for option in reversed(
            [
                click.option("--state", type=click.Choice(STATE_CHOICES), default=default_state, show_default=True),
                click.option("--reason", metavar="CODE", help="only holds with this reason code"),
                click.option("--station", metavar="ID", help="only holds at this packing station"),
                click.option("--overdue", is_flag=True, help="only overdue holds"),
            ]
        ):
            command = option(command)
        return command

    return decorate


# --- holds list ------------------------------------------------------------------------


@click.group()
def holds() -> None:
    """The hold queue."""


@holds.command("list")
@_filter_options("held")
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@_database_errors
def holds_list(state: str, reason: str | None, station: str | None, overdue: bool, limit: int) -> None:
    """List holds, oldest first (for every row: guard export holds --format csv)."""
    from guard.clock import utcnow
    from guard.services.hold_queue import list_holds

    flt = _hold_filter(state, reason, station, overdue, limit=str(limit))
    rt = _runtime()
    try:
        page = list_holds(rt, _operator(), flt)
    finally:
        rt.close()
    now = utcnow()
    if not page["items"]:
        say(
            f"no {'' if state == 'all' else state + ' '}holds"
            + (" matching the filters" if reason or station or overdue else "")
        )
        return
    header = ("ORDER", "STATE", "SINCE", "AGE", "REASONS", "STATION", "RECHECK AT", "SHIP BY", "OVERDUE", "STORE")
    rows = [
        (
            item["order_id"],
            item["state"],
            _when(item["since"]),
            _age(item["since"], now),
            ",".join(item["reasons"]) or "-",
            item["station_id"] or "-",
            _when(item["recheck_at"]),
            _when(item["ship_by"]),
            "OVERDUE" if item["overdue"] else "-",
            item["store_id"] or "-",
        )
        for item in page["items"]
    ]
    _table(header, rows)
    if page["next_cursor"]:
        say(f"… more than {limit} holds: raise --limit (up to 1000) or use guard export holds --format csv", err=True)


# --- order ORDER_ID ---------------------------------------------------------------------


@click.command()
@click.argument("order_id")
@click.option(
    "--history",
    "history_limit",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    help="how many decisions to show, newest first",
)
@click.option("--json", "as_json", is_flag=True, help="print the order and its decisions as JSON")
@_database_errors
def order(order_id: str, history_limit: int, as_json: bool) -> None:
    """An order's facts, its verdict now, its hold and labels, and its decision history."""
    from guard.clock import utcnow
    from guard.ids import ID_PATTERN, ID_RULE
    from guard.services.orders import get_order, list_decisions

    if not ID_PATTERN.fullmatch(order_id):
        raise click.BadParameter(ID_RULE, param_hint="ORDER_ID")
    rt = _runtime()
    principal = _operator()
    try:
        try:
            view: dict | None = get_order(rt, principal, order_id, utcnow())
        except GuardError:
            view = None  # no facts; it may still have been checked
        try:
            history = list_decisions(rt.engine, principal, order_id, history_limit, None)
        except GuardError:
            history = {"items": [], "next_cursor": None}
    finally:
        rt.close()
    if view is None and not history["items"]:
        raise click.ClickException(f"no order {order_id!r}: the guard has no fact and no decision about it")
    if as_json:
        import orjson

        say_json(
            orjson.dumps(
                {"order": view, "decisions": history["items"]}, option=orjson.OPT_INDENT_2, default=str
            ).decode()
        )
        return
    if view is None:
        say(f"order {order_id}: no facts (checked before the guard knew it)")
    else:
        _print_order(view)
    _print_history(history, history_limit)


def _print_order(view: dict) -> None:
    say(f"order {view['order_id']}  store {view['store_id'] or '-'}  ship by {_when(view['ship_by'])}")
    say(f"verdict: {view['verdict'].upper()}")
    for reason in view["reasons"]:
        recheck = f" (re-check {_when(reason['recheck_at'])})" if reason.get("recheck_at") else ""
        say(f"  {reason['code']:<30} {reason['verdict']:<5} {reason['message']}{recheck}")
    for waiver in view["waived"]:
        say(f"  waived {waiver['code']} by {waiver['key_name'] or '-'} at {waiver['at']}: {waiver['note']}")
    hold = view["hold"]
    say(f"hold: {hold['state']} since {_when(hold['since'])}" if hold else "hold: none")
    say("facts:")
    if not view["facts"]:
        say("  none")
    for fact_type, fact in sorted(view["facts"].items()):
        extra = [f"tracking {fact['tracking_number']}"] if fact.get("tracking_number") else []
        extra += [f"carrier {fact['carrier']}"] if fact.get("carrier") else []
        say(
            f"  {fact_type:<16} {fact['status']:<22} at {_when(fact['occurred_at'])}  "
            f"event {fact['event_id']}" + ("  " + ", ".join(extra) if extra else "")
        )
    if view["labels"]:
        say("labels:")
        for label in view["labels"]:
            say(
                f"  {label['label_id']}  parcel {label['parcel_id']}  {label['source']} {label['format']}  "
                f"tracking {label['tracking_number'] or '-'}  station {label['station_id'] or '-'}  "
                f"issued {_when(label['issued_at'])}"
            )


def _print_history(history: dict, limit: int) -> None:
    items = history["items"]
    say(f"history (newest first{', the last ' + str(limit) if history['next_cursor'] else ''}):")
    if not items:
        say("  none")
        return
    rows = [
        (
            _when(item["decided_at"]),
            item["kind"],
            item["verdict"],
            ",".join(item["reasons"]) or "-",
            item["station_id"] or "-",
            item["operator"] or "-",
            item["key_name"] or "-",
            item["note"] or "",
        )
        for item in items
    ]
    _table(
        ("  DECIDED AT", "KIND", "VERDICT", "REASONS", "STATION", "OPERATOR", "KEY", "NOTE"),
        [("  " + row[0], *row[1:]) for row in rows],
    )


# --- export holds -----------------------------------------------------------------------


@click.group()
def export() -> None:
    """Export records (streamed: every row, no cap)."""


@export.command("holds")
@click.option("--format", "fmt", type=click.Choice(["csv"]), required=True)
@_filter_options("all")
@_database_errors
def export_holds(fmt: str, state: str, reason: str | None, station: str | None, overdue: bool) -> None:
    """Every matching hold as CSV on stdout, oldest first (progress on stderr)."""
    from guard.services.hold_queue import export_csv
    from guard.services.housekeeping import count_holds

    flt = _hold_filter(state, reason, station, overdue)
    rt = _runtime()
    sys.stdout.flush()
    out = sys.stdout.buffer  # bytes: the CSV's CRLF line ends go out as they are
    try:
        principal = _operator()
        total = count_holds(rt.engine, principal, flt)
        with click.progressbar(length=total, label=f"exporting {total:,} holds", file=sys.stderr) as bar:
            for number, chunk in enumerate(export_csv(rt, principal, flt)):
                out.write(chunk.encode("utf-8"))
                # Ids never hold a line break, so each CRLF ends one row (the first chunk is the header).
                bar.update(chunk.count("\r\n") if number else 0)
        out.flush()
    except BrokenPipeError:  # `| head`: the reader has what it wanted; no traceback at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    finally:
        rt.close()


# --- purge --------------------------------------------------------------------------------


def parse_age(text: str) -> timedelta:
    """`180d`, `36h`: days or hours, a whole positive number."""
    match = DURATION.fullmatch(text.strip().lower())
    if not match or int(match.group(1)) <= 0:
        raise click.BadParameter(
            f"{text!r}: a whole number of days or hours, like 180d or 36h", param_hint="--older-than"
        )
    amount, unit = int(match.group(1)), match.group(2)
    return timedelta(days=amount) if unit == "d" else timedelta(hours=amount)


@click.command()
@click.option(
    "--older-than",
    "older_than",
    required=True,
    metavar="AGE",
    help="how old a record must be to go: 180d (days) or 36h (hours)",
)
@click.option("--dry-run", is_flag=True, help="count what would go, delete nothing")
@_database_errors
def purge(older_than: str, dry_run: bool) -> None:
    """Retention: delete old events, decisions, finished notifications and released holds.

    Never an open hold (held or blocked), nor the events and decisions of an
    order that has one; never facts, labels or keys.
    """
    from guard.clock import utcnow
    from guard.db import make_engine
    from guard.services.housekeeping import count_purgeable
    from guard.services.housekeeping import purge as purge_records

    age = parse_age(older_than)
    cutoff = utcnow() - age
    engine = make_engine(_settings())
    try:
        planned = count_purgeable(engine, cutoff)
        if dry_run:
            say(f"would purge, older than {older_than} (before {_when(cutoff)}): {_counts_text(planned)}")
            return
        with click.progressbar(length=planned.total, label=f"purging {planned.total:,} rows", file=sys.stderr) as bar:
            done = purge_records(engine, cutoff, bar.update)
    finally:
        engine.dispose()
    say(f"purged, older than {older_than} (before {_when(cutoff)}): {_counts_text(done)}")


def _counts_text(counts) -> str:
    return (
        f"{counts.events:,} events, {counts.decisions:,} decisions, "
        f"{counts.notifications:,} notifications, {counts.released_holds:,} released holds"
    )


# --- config check -------------------------------------------------------------------------


@click.group()
def config() -> None:
    """Configuration."""


SECRET_FIELDS = {"webhook_secret", "aliexpress_app_secret", "aliexpress_access_token", "aliexpress_refresh_token"}
URL_FIELDS = {"database_url", "redis_url", "webhook_url", "aliexpress_gateway_url"}


def mask_url(url: str) -> str:
    """Hide a URL's password and query values (tokens hide there too); keep the rest readable."""
    url = re.sub(r"^([A-Za-z][A-Za-z0-9+.\-]*://[^/@:?#]*):[^/@?#]*@", r"\1:***@", url)
    return re.sub(r"([?&][^=&#]+)=[^&#]*", r"\1=***", url)


def _shown(settings: Settings, name: str) -> str:
    value = getattr(settings, name)
    if value is None:
        return "(unset)"
    if name == "webhook_secret":
        count = len(settings.webhook_secrets)
        return f"****** ({count} key{'s' if count != 1 else ''})"
    if name in SECRET_FIELDS:
        return "******"
    if name in URL_FIELDS:
        return mask_url(str(value))
    return str(value)


def _label_font_line() -> str:
    from guard.labels import cjk_font

    font = cjk_font()
    if font is None:
        return (
            "labels: no CJK TrueType font found (Debian: apt-get install fonts-wqy-zenhei); "
            "Chinese carrier names print by their Latin names"
        )
    return f"labels: Chinese printed with {font}"


@config.command("check")
@click.option(
    "--workers", type=click.IntRange(1, 64), default=None, help="API processes to check for (default: GUARD_WORKERS)"
)
def config_check(workers: int | None) -> None:
    """Print the effective configuration (secrets masked); non-zero exit on an unsafe production setting."""
    settings = _settings()
    rows = []
    for name, field in Settings.model_fields.items():
        default = "" if getattr(settings, name) != field.default else "(default)"
        rows.append((f"GUARD_{name.upper()}", _shown(settings, name), default))
    _table(("VARIABLE", "VALUE", ""), rows)
    workers = workers or settings.api_workers
    jobs = (
        "Celery worker via GUARD_REDIS_URL (run guard worker, and one guard worker --beat)"
        if settings.redis_url
        else "embedded in guard serve"
        if settings.embedded_jobs
        else "none"
    )
    say(
        f"\nAPI processes: {workers}; background jobs: {jobs}; "
        f"logs: {'JSON lines' if settings.logs_as_json else 'text'}"
    )
    say(_label_font_line())
    if settings.aliexpress_sync_enabled:
        say(f"AliExpress sync: every {settings.aliexpress_sync_interval_s:g} s (guard sync aliexpress --check)")
    else:
        say("AliExpress sync: off (needs GUARD_ALIEXPRESS_APP_KEY, _APP_SECRET and the shop's token)")
    problems = settings.production_problems(workers)
    if not problems:
        say(f"production checks: ok ({settings.env})")
        return
    if settings.env == "production":
        say("unsafe for GUARD_ENV=production (guard serve and guard worker refuse to start):", err=True)
        for problem in problems:
            say(f"  - {problem}", err=True)
        sys.exit(1)
    say("would be refused with GUARD_ENV=production:")
    for problem in problems:
        say(f"  - {problem}")
