"""The `guard` command: serve, worker, db, apikey, config. Each command calls one service."""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

import click

from guard.cli_ops import _error_text, _table, say
from guard.config import Settings
from guard.errors import GuardError

if TYPE_CHECKING:
    from guard.services.imports import ImportReport


def _settings() -> Settings:
    # One reading of the configuration for every command (cli_ops names each bad variable).
    from guard.cli_ops import _settings as settings_or_exit

    return settings_or_exit()


def _engine(settings: Settings):
    from guard.db import make_engine

    return make_engine(settings)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="dispatch-guard")
def main() -> None:
    """Dispatch Guard: no label prints until the order is clear."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--workers",
    default=None,
    type=click.IntRange(1, 64),
    help="uvicorn worker processes (default: GUARD_WORKERS; else one per core in production "
    "on PostgreSQL with Redis, 1 otherwise; PostgreSQL only for more than one)",
)
def serve(host: str, port: int, workers: int | None) -> None:
    """Run the API and pages (migrations are applied first)."""
    import uvicorn

    from guard.db import upgrade
    from guard.logs import logging_config, setup_logging

    settings = _settings()
    workers = workers or settings.api_workers
    _refuse_unsafe_production(settings, workers)
    if workers > 1 and settings.is_sqlite:
        raise click.ClickException("several workers need PostgreSQL (GUARD_DATABASE_URL); SQLite takes one")
    setup_logging(settings)
    if workers > 1:
        from guard.metrics import use_multiprocess_dir

        use_multiprocess_dir()  # the workers share their counters through it (before they start)
    upgrade(settings)
    logging.getLogger("guard").info(
        "database ready (%s); serving on http://%s:%d with %d worker(s)",
        _masked_url(settings.database_url),
        host,
        port,
        workers,
    )
    uvicorn.run(
        "guard.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        proxy_headers=True,
        log_config=logging_config(settings),
        access_log=False,
        # Named, not "auto": a missing uvloop/httptools must fail the start, not quietly
        # halve the throughput (docs/benchmarks.md).
        loop="uvloop",
        http="httptools",
        # Station streams never end by themselves; do not let them hold a restart hostage.
        timeout_graceful_shutdown=3,
    )


@main.command()
@click.option("--beat", is_flag=True, help="also run the periodic scheduler (exactly one per deployment)")
@click.option("--concurrency", default=None, type=int, help="worker processes (default: cores)")
@click.option(
    "--metrics-port",
    default=None,
    type=click.IntRange(1, 65535),
    help="serve the worker's Prometheus metrics (deliveries, jobs) on this port",
)
def worker(beat: bool, concurrency: int | None, metrics_port: int | None) -> None:
    """Run the Celery worker (needs GUARD_REDIS_URL)."""
    from guard.logs import setup_logging

    settings = _settings()
    if not settings.redis_url:
        raise click.ClickException("guard worker needs GUARD_REDIS_URL (the Celery broker)")
    _refuse_unsafe_production(settings, None)
    setup_logging(settings)
    if metrics_port:
        from prometheus_client import start_http_server

        from guard.metrics import event_registry, use_multiprocess_dir

        use_multiprocess_dir()  # before the pool forks: its processes share their counters
        start_http_server(metrics_port, registry=event_registry())
    from worker.app import app

    # JSON logs: no banner on stdout, every line a JSON object (the "ready." line is a log line).
    argv = ["--quiet"] if settings.logs_as_json else []
    argv += ["worker", "--loglevel=INFO", f"--queues={settings.celery_queue}"]
    if beat:
        argv.append("--beat")
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    app.worker_main(argv)


def _refuse_unsafe_production(settings: Settings, workers: int | None) -> None:
    if settings.env != "production":
        return
    problems = settings.production_problems(workers)
    if problems:
        raise click.ClickException(
            "refusing to start with GUARD_ENV=production:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
            + "\n(guard config check shows the whole configuration)"
        )


@main.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--as-of",
    "as_of",
    required=True,
    help="RFC 3339 time with offset when the export was downloaded (rows without modified_at take it, untimed)",
)
@click.option(
    "--map",
    "mapping",
    metavar="NAME|FILE",
    help="column mapping: a TOML file, or a shipped one (aliexpress-seller-center); "
    "default: the Seller Center's headers are recognised, else the event's field names",
)
@click.option("--store", "store_id", metavar="ID", help="store_id for rows that name none")
@click.option("--all", "show_all", is_flag=True, help="name every row not applied (default: the first 50)")
def import_file(file: str, as_of: str, mapping: str | None, store_id: str | None, show_all: bool) -> None:
    """Load an AliExpress order export (CSV) as facts; safe to repeat."""
    from pathlib import Path

    from guard.clock import utcnow
    from guard.events import parse_timestamp
    from guard.ids import ID_PATTERN, ID_RULE
    from guard.order_exports import ExportError, load_map
    from guard.runtime import build_runtime
    from guard.services.imports import import_export

    try:
        parse_timestamp(as_of)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None
    if store_id is not None and not ID_PATTERN.fullmatch(store_id):
        raise click.BadParameter(ID_RULE, param_hint="--store")
    try:
        column_map = load_map(mapping) if mapping else None
    except ExportError as exc:
        raise click.BadParameter(str(exc), param_hint="--map") from None
    runtime = build_runtime(_settings(), role="tool")
    bar = _ImportProgress()
    try:
        report = import_export(
            runtime,
            Path(file).read_bytes(),
            as_of,
            utcnow,
            column_map=column_map,
            store_id=store_id,
            on_total=bar.start,
            progress=bar.update,
        )
    except ExportError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        bar.finish()
        runtime.close()
    _tell_import(report, show_all)


def _tell_import(report: ImportReport, show_all: bool) -> None:
    """What the import did, row counts first; exit 1 if the file was refused or a row failed."""
    say(f"read as {report.encoding}, columns by {report.mapping}")
    if report.damaged:
        for line in report.damaged:
            say(line, err=True)
        say(
            f"refused the whole file: {len(report.damaged):,} sign(s) of spreadsheet damage. A damaged order "
            "number can look valid and match another order; export the file again and import it without "
            "opening it in a spreadsheet (or import the .csv as text).",
            err=True,
        )
        sys.exit(1)
    say(
        f"{report.rows:,} rows: {report.applied:,} applied, {report.untimed:,} untimed (not applied), "
        f"{report.stale:,} stale, {report.final:,} final, {report.duplicate:,} duplicate, "
        f"{report.rejected_rows:,} rejected"
    )
    if report.ignored_columns:
        say(f"ignored columns: {', '.join(report.ignored_columns)}")
    shown = report.not_applied if show_all else report.not_applied[:50]
    for line in shown:
        say(line)
    if len(shown) < len(report.not_applied):
        say(f"… and {len(report.not_applied) - len(shown):,} more rows not applied (--all names them all)")
    for line in report.unknown_words:
        say(line)
    for line in report.problems:
        say(line, err=True)
    if report.failed:
        sys.exit(1)


class _ImportProgress:
    """A progress bar on stderr while rows are applied, on a terminal only (logs stay clean)."""

    def __init__(self) -> None:
        self._bar: Any = None  # click's ProgressBar class is private

    def start(self, total: int) -> None:
        if sys.stderr.isatty() and total:
            self._bar = click.progressbar(length=total, label=f"importing {total:,} rows", file=sys.stderr)
            self._bar.__enter__()

    def update(self, rows: int) -> None:
        if self._bar is not None:
            self._bar.update(rows)

    def finish(self) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


@main.group()
def sync() -> None:
    """Read orders straight from a platform (for sellers without an ERP that speaks the guard's API)."""


@sync.command("aliexpress")
@click.option("--check", "check_only", is_flag=True, help="only prove the app and the shop's token work")
def sync_aliexpress_command(check_only: bool) -> None:
    """Read the shop's orders modified since the last run from the AliExpress open platform."""
    from guard.aliexpress_api import PlatformError
    from guard.runtime import build_runtime
    from guard.services.aliexpress_sync import SyncFailed, check_credentials, sync_aliexpress

    settings = _settings()
    if not settings.aliexpress_sync_enabled:
        raise click.ClickException(
            "the AliExpress sync is not configured: set GUARD_ALIEXPRESS_APP_KEY, GUARD_ALIEXPRESS_APP_SECRET "
            "and the shop's GUARD_ALIEXPRESS_ACCESS_TOKEN / GUARD_ALIEXPRESS_REFRESH_TOKEN (docs/integration.md)"
        )
    runtime = build_runtime(settings, role="tool")
    try:
        if check_only:
            try:
                found = check_credentials(runtime)
            except (SyncFailed, PlatformError) as exc:
                raise click.ClickException(f"the credentials do not work: {exc}") from None
            refreshed = " (the shop's token was refreshed and stored)" if found["token_refreshed"] else ""
            say(
                f"credentials work: {settings.aliexpress_gateway_url} answered; "
                f"{found['orders_modified_last_day']:,} orders modified in the last 24 h{refreshed}"
            )
            return
        try:
            report = sync_aliexpress(runtime)
        except SyncFailed as exc:
            raise click.ClickException(str(exc)) from None
    finally:
        runtime.close()
    if not report.ran:
        say(f"not run: {report.error}")
        return
    outcomes = ", ".join(f"{count:,} {outcome}" for outcome, count in sorted(report.outcomes.items())) or "no events"
    say(
        f"{report.orders:,} orders in {report.windows:,} windows ({report.pages:,} pages, {report.details:,} details): "
        f"{outcomes}; read up to {_when(report.modified_until)} (finished orders: {_when(report.finished_until)})"
    )
    for line in [*report.skipped, *report.rejected]:
        say(line, err=True)
    if report.error:
        say(f"stopped: {report.error}", err=True)
        sys.exit(1)


@main.group()
def notifications() -> None:
    """Webhook notifications in the outbox."""


@notifications.command("list")
@click.option(
    "--state", type=click.Choice(["failed", "pending", "delivered", "skipped"]), default="failed", show_default=True
)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
def notifications_list(state: str, limit: int) -> None:
    """List notifications by delivery state."""
    from guard.services.outbox import list_notifications

    page = list_notifications(_engine(_settings()), state, limit, None)
    if not page["items"]:
        say(f"no {state} notifications")
    for item in page["items"]:
        say(
            f"{item['id']}  {item['type']:<24} order {item['order_id']:<20} attempts {item['attempts']:<3} "
            f"{item['last_error'] or ''}"
        )


@notifications.command("retry")
@click.argument("notification_id", required=False)
@click.option("--all-failed", is_flag=True, help="put every failed notification back in line")
def notifications_retry(notification_id: str | None, all_failed: bool) -> None:
    """Retry a notification that failed for good (the worker delivers it)."""
    from guard.clock import utcnow
    from guard.services.outbox import retry_failed

    if bool(notification_id) == all_failed:
        raise click.UsageError("give one NOTIFICATION_ID or --all-failed")
    try:
        ids = retry_failed(_engine(_settings()), utcnow(), notification_id)
    except GuardError as exc:
        raise click.ClickException(_error_text(exc)) from None
    say(f"{len(ids)} notification(s) queued again; the worker (or guard serve) delivers them")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    from guard.db import upgrade

    settings = _settings()
    upgrade(settings)
    say(f"database at the latest schema ({_masked_url(settings.database_url)})")


@main.group()
def apikey() -> None:
    """API keys."""


@apikey.command("create")
@click.argument("name")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help="events, check, labels, holds, supervise (repeat for several)",
)
@click.option("--store", "stores", multiple=True, help="limit the key to these stores (repeat for several)")
def apikey_create(name: str, scopes: tuple[str, ...], stores: tuple[str, ...]) -> None:
    """Create a key; its secret is printed once, alone on the last line."""
    from guard.services.apikeys import create_key

    engine = _engine(_settings())
    try:
        secret = create_key(engine, name, list(scopes), list(stores) or None)
    except GuardError as exc:
        raise click.ClickException(_error_text(exc)) from None
    say(
        f"created key {name!r} with scopes {', '.join(scopes)}"
        + (f", stores {', '.join(stores)}" if stores else ", all stores")
        + ". Its secret is shown once, below; only a hash is kept."
    )
    say(secret)


@apikey.command("list")
def apikey_list() -> None:
    """List keys (never their secrets)."""
    from guard.services.apikeys import list_keys

    keys = list_keys(_engine(_settings()))
    if not keys:
        say("no keys yet: guard apikey create NAME --scope check")
        return
    header = ("NAME", "SCOPES", "STORES", "CREATED", "LAST USED", "STATUS")
    rows = [
        (
            key["name"],
            ",".join(key["scopes"]),
            ",".join(key["stores"]) if key["stores"] else "all",
            _when(key["created_at"]),
            _when(key["last_used_at"]),
            "revoked " + _when(key["revoked_at"]) if key["revoked_at"] else "active",
        )
        for key in keys
    ]
    _table(header, rows)


@apikey.command("revoke")
@click.argument("name")
def apikey_revoke(name: str) -> None:
    """Revoke a key: it answers 401 within 5 seconds."""
    from guard.services.apikeys import revoke_key

    try:
        revoke_key(_engine(_settings()), name)
    except GuardError as exc:
        raise click.ClickException(_error_text(exc)) from None
    say(f"revoked {name!r}; it is refused within 5 seconds everywhere")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


def _masked_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _register_more_commands() -> None:
    """Operator commands and the simulation live in their own modules; they join the group here."""
    from guard import cli_ops
    from guard.simulate import cli as simulate_cli

    cli_ops.register(main)
    simulate_cli.register(main)


_register_more_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
