"""The `guard` command: serve, worker, db, apikey, config. Each command calls one service."""

from __future__ import annotations

import logging
import sys

import click

from guard.config import Settings
from guard.errors import GuardError


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
    help="RFC 3339 time with offset that the export shows (rows without modified_at take it)",
)
def import_file(file: str, as_of: str) -> None:
    """Load an AliExpress order export (CSV) as facts; safe to repeat."""
    from guard.clock import utcnow
    from guard.events import parse_timestamp
    from guard.runtime import build_runtime
    from guard.services.imports import count_rows, import_csv

    try:
        parse_timestamp(as_of)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--as-of") from None
    runtime = build_runtime(_settings(), role="tool")
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            total = count_rows(handle)
        with (
            open(file, encoding="utf-8-sig", newline="") as handle,
            click.progressbar(length=total, label=f"importing {total:,} rows", file=sys.stderr) as bar,
        ):
            report = import_csv(runtime, handle, as_of, utcnow, bar.update)
    finally:
        runtime.close()
    click.echo(
        f"{report.rows:,} rows: {report.applied:,} applied, {report.stale:,} stale, "
        f"{report.final:,} final, {report.duplicate:,} duplicate, {report.rejected_rows:,} rejected"
    )
    if report.ignored_columns:
        click.echo(f"ignored columns: {', '.join(report.ignored_columns)}")
    for line in report.problems:
        click.echo(line, err=True)
    if report.problems:
        sys.exit(1)


@main.group()
def notifications() -> None:
    """Webhook notifications in the outbox."""


@notifications.command("list")
@click.option("--state", type=click.Choice(["failed", "pending", "delivered"]), default="failed", show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
def notifications_list(state: str, limit: int) -> None:
    """List notifications by delivery state."""
    from guard.services.outbox import list_notifications

    page = list_notifications(_engine(_settings()), state, limit, None)
    if not page["items"]:
        click.echo(f"no {state} notifications")
    for item in page["items"]:
        click.echo(
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
    click.echo(f"{len(ids)} notification(s) queued again; the worker (or guard serve) delivers them")


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations."""
    from guard.db import upgrade

    settings = _settings()
    upgrade(settings)
    click.echo(f"database at the latest schema ({_masked_url(settings.database_url)})")


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
    click.echo(
        f"created key {name!r} with scopes {', '.join(scopes)}"
        + (f", stores {', '.join(stores)}" if stores else ", all stores")
        + ". Its secret is shown once, below; only a hash is kept."
    )
    click.echo(secret)


@apikey.command("list")
def apikey_list() -> None:
    """List keys (never their secrets)."""
    from guard.services.apikeys import list_keys

    keys = list_keys(_engine(_settings()))
    if not keys:
        click.echo("no keys yet: guard apikey create NAME --scope check")
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
    widths = [max(len(str(row[i])) for row in (header, *rows)) for i in range(len(header))]
    for row in (header, *rows):
        click.echo("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip())


@apikey.command("revoke")
@click.argument("name")
def apikey_revoke(name: str) -> None:
    """Revoke a key: it answers 401 within 5 seconds."""
    from guard.services.apikeys import revoke_key

    try:
        revoke_key(_engine(_settings()), name)
    except GuardError as exc:
        raise click.ClickException(_error_text(exc)) from None
    click.echo(f"revoked {name!r}; it is refused within 5 seconds everywhere")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


def _masked_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _error_text(exc: GuardError) -> str:
    parts = [exc.message] + [f"{d.get('field')}: {d.get('message')}" for d in exc.details or []]
    return "; ".join(parts)


def _register_more_commands() -> None:
    """Operator commands and the simulation live in their own modules; they join the group here."""
    from guard import cli_ops
    from guard.simulate import cli as simulate_cli

    cli_ops.register(main)
    simulate_cli.register(main)


_register_more_commands()

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
