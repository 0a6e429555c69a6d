"""`guard sync aliexpress`: the shop's orders read from the open platform, as facts.

For a seller without an ERP that speaks the guard's API. Each run reads the orders
modified since the last run, in windows by modification time, then — asked for on
their own, as the platform requires — the FINISH orders (a sync that never asks for
them never sees a risk closure). Every order becomes `platform_status` events at its
own modification time, applied through the API's path (`parse_batch`, `ingest`).

- Windows stay under the page cap: 50 orders a page, and a window whose answer runs to
  more than MAX_PAGES pages is halved before it is read (deep paging over a list that
  changes underneath skips orders). FINISH windows are at most 30 days (the platform's).
- Runs overlap the last one by OVERLAP, and by two hours around a daylight-saving change
  (the platform's times are US Pacific wall-clock; an hour of them happens twice).
- Throttling and gateway trouble are retried with backoff (the ban's own length where
  the answer gives one); an expired token is refreshed once, and the new pair stored.
- The position (how far each list has been read) is stored after every window, so a
  run that stops half-way goes on from there. One run at a time: a lease in the row.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from guard.aliexpress_api import OpenPlatform, PlatformError, Refused, Throttled, TokenExpired, Tokens, Unreachable
from guard.aliexpress_orders import BadOrder, needs_detail, order_events, order_id_of, query_range
from guard.clock import utcnow
from guard.config import Settings
from guard.models import SyncPosition
from guard.services.apikeys import Principal
from guard.services.feed import BATCH, apply_feed

if TYPE_CHECKING:
    from guard.services.context import Context

log = logging.getLogger("guard.sync")
positions_t = SyncPosition.__table__

SOURCE = "aliexpress"
SYNCER = Principal(key_id=0, name="aliexpress sync", scopes=frozenset({"events"}), stores=None)
MAX_PAGES = 20  # 1,000 orders a window at most; more and the window is halved
SHORTEST = timedelta(minutes=1)
FIRST = {"open": timedelta(hours=6), "finished": timedelta(days=1)}
LONGEST = {"open": timedelta(days=1), "finished": timedelta(days=30)}  # FINISH: 30 days a query at most
OVERLAP = timedelta(minutes=10)
SETTLE = timedelta(minutes=2)  # the list may not show an order modified in the last moments yet
LEASE = timedelta(minutes=15)
RETRIES = 5
REFRESH_AHEAD = timedelta(minutes=10)
LISTS = (("open", "modified_until"), ("finished", "finished_until"))


class SyncFailed(Exception):
    """The run could not go on; the message says why and what to do."""


@dataclass
class SyncReport:
    ran: bool = True
    windows: int = 0
    pages: int = 0
    orders: int = 0
    details: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # applied, stale, final, duplicate
    rejected: list[str] = field(default_factory=list)  # "order 81…: status: …"
    skipped: list[str] = field(default_factory=list)  # orders the answers did not let us read
    retries: int = 0
    token_refreshed: bool = False
    modified_until: datetime | None = None
    finished_until: datetime | None = None
    error: str | None = None


def platform_for(settings: Settings) -> OpenPlatform:
    return OpenPlatform(
        settings.aliexpress_gateway_url, settings.aliexpress_app_key or "", settings.aliexpress_app_secret or ""
    )


def sync_aliexpress(
    ctx: Context,
    *,
    platform: OpenPlatform | None = None,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """One run: both lists, window by window, from where the last run stopped."""
    settings = ctx.settings
    if not settings.aliexpress_sync_enabled:
        raise SyncFailed(
            "the AliExpress sync is not configured: set GUARD_ALIEXPRESS_APP_KEY, _APP_SECRET and the shop's tokens"
        )
    run = _Run(ctx, platform or platform_for(settings), clock, sleep)
    if not run.claim():
        return SyncReport(ran=False, error="another sync is running")
    try:
        for kind, column in LISTS:
            run.read_list(kind, column)
    except (SyncFailed, PlatformError) as exc:
        run.report.error = str(exc)
        log.warning("aliexpress sync stopped: %s", exc)
    finally:
        run.release()
        if platform is None:
            run.platform.close()
    return run.report


def check_credentials(
    ctx: Context, *, platform: OpenPlatform | None = None, clock: Callable[[], datetime] = utcnow
) -> dict:
    """Prove the app and the shop's token work: one signed list call over the last day."""
    now = clock()
    found: dict = {}

    def last_day(platform: OpenPlatform, token: str) -> None:
        page = platform.order_page(
            token, modified_from=now - timedelta(days=1), modified_to=now, page=1, finished=False
        )
        found["orders_modified_last_day"] = page.total_count

    found["token_refreshed"] = with_shop_token(ctx, last_day, platform=platform, clock=clock).token_refreshed
    return found


def with_shop_token(
    ctx: Context,
    call: Callable[[OpenPlatform, str], object],
    *,
    platform: OpenPlatform | None = None,
    clock: Callable[[], datetime] = utcnow,
    sleep: Callable[[float], None] = time.sleep,
) -> SyncReport:
    """One call to the platform outside a sync run, with the shop's current token (refreshed and
    stored if need be), throttling backed off. Raises SyncFailed or PlatformError."""
    run = _Run(ctx, platform or platform_for(ctx.settings), clock, sleep)
    try:
        run.load()
        run.retrying(lambda token: call(run.platform, token))
    finally:
        if platform is None:
            run.platform.close()
    return run.report


class _Run:
    def __init__(
        self, ctx: Context, platform: OpenPlatform, clock: Callable[[], datetime], sleep: Callable[[float], None]
    ):
        self.ctx, self.platform, self.clock, self.sleep = ctx, platform, clock, sleep
        self.engine: Engine = ctx.storage.engine
        self.settings = ctx.settings
        self.report = SyncReport()
        self.position: dict = {}
        self.refreshed = False
        self.running = False

    # --- position and tokens ------------------------------------------------------------

    def claim(self) -> bool:
        now = self.clock()
        with self.engine.begin() as conn:
            _ensure_row(conn, now)
            claimed = conn.execute(
                positions_t.update()
                .where(
                    positions_t.c.source == SOURCE,
                    sa.or_(positions_t.c.running_until.is_(None), positions_t.c.running_until < now),
                )
                .values(running_until=now + LEASE, last_run_at=now, updated_at=now)
            ).rowcount
        if claimed:
            self.running = True
            self.load()
        return bool(claimed)

    def load(self) -> None:
        now = self.clock()
        with self.engine.begin() as conn:
            _ensure_row(conn, now)
            self.position = dict(
                conn.execute(positions_t.select().where(positions_t.c.source == SOURCE)).mappings().one()
            )
        if self.position["authorized_with"] != self._authorization():
            # New tokens in the settings (the shop authorized the app again): they replace the stored pair.
            self.position.update(access_token=None, refresh_token=None, access_expires_at=None, refresh_expires_at=None)
        self.report.modified_until = self.position["modified_until"]
        self.report.finished_until = self.position["finished_until"]

    def save(self, **values: object) -> None:
        """Store progress (and, in a run, renew the lease: a long first sync keeps it)."""
        now = self.clock()
        self.position.update(values)
        lease = {"running_until": now + LEASE} if self.running else {}
        with self.engine.begin() as conn:
            conn.execute(
                positions_t.update().where(positions_t.c.source == SOURCE).values(**values, **lease, updated_at=now)
            )

    def release(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                positions_t.update()
                .where(positions_t.c.source == SOURCE)
                .values(
                    running_until=None,
                    last_error=(self.report.error or None) and self.report.error[:1000],
                    orders_seen=positions_t.c.orders_seen + self.report.orders,
                    updated_at=self.clock(),
                )
            )

    def _authorization(self) -> str:
        pair = f"{self.settings.aliexpress_access_token or ''}\x1f{self.settings.aliexpress_refresh_token or ''}"
        return hashlib.sha256(pair.encode()).hexdigest()

    def token(self) -> str:
        stored = self.position.get("access_token")
        expires = self.position.get("access_expires_at")
        token = stored or self.settings.aliexpress_access_token
        if token is None or (expires is not None and expires - REFRESH_AHEAD <= self.clock()):
            return self.refresh()
        return token

    def refresh(self) -> str:
        if self.refreshed:
            raise SyncFailed("the shop's token was refreshed and still does not work: authorize the app again")
        refresh_token = self.position.get("refresh_token") or self.settings.aliexpress_refresh_token
        if not refresh_token:
            raise SyncFailed(
                "the shop's access token expired and there is no refresh token: set GUARD_ALIEXPRESS_REFRESH_TOKEN"
            )
        try:
            tokens: Tokens = self.platform.refresh(refresh_token)
        except Refused as exc:
            raise SyncFailed(f"the token refresh was refused ({exc}): authorize the app for the shop again") from None
        self.refreshed = self.report.token_refreshed = True
        self.save(
            access_token=tokens.access_token,
            access_expires_at=tokens.access_expires_at,
            refresh_token=tokens.refresh_token,
            refresh_expires_at=tokens.refresh_expires_at,
            authorized_with=self._authorization(),
        )
        return tokens.access_token

    # --- calls ----------------------------------------------------------------------------

    def retrying(self, call: Callable[[str], object]):
        """One platform call: throttling and gateway trouble backed off and retried; a dead token refreshed once."""
        attempt = 0
        while True:
            try:
                return call(self.token())
            except TokenExpired:
                self.refresh()
            except (Throttled, Unreachable) as exc:
                attempt += 1
                if attempt > RETRIES:
                    raise SyncFailed(f"the platform kept failing ({exc}); the next run goes on from here") from None
                self.report.retries += 1
                wait = exc.retry_after if exc.retry_after is not None else float(2 ** (attempt - 1))
                self.sleep(min(max(wait, 0.5), 60.0))

    # --- the lists ------------------------------------------------------------------------

    def read_list(self, kind: str, column: str) -> None:
        now = self.clock()
        latest = now - SETTLE
        since = self.position.get(column)
        start = (since - OVERLAP) if since else now - timedelta(days=self.settings.aliexpress_sync_days)
        length = FIRST[kind]
        while start < latest:
            end = min(start + length, latest)
            first = self._page(kind, start, end, latest, 1)
            if first.total_page > MAX_PAGES and end - start > SHORTEST:
                length = max((end - start) / 2, SHORTEST)  # too many orders for one window: halve it
                continue
            orders = list(first.orders)
            for page in range(2, first.total_page + 1):
                orders += self._page(kind, start, end, latest, page).orders
            self._apply(orders)
            self.report.windows += 1
            self.save(**{column: end})
            setattr(self.report, column, end)
            start = end
            if first.total_page <= MAX_PAGES // 4:
                length = min(length * 2, LONGEST[kind])

    def _page(self, kind: str, start: datetime, end: datetime, latest: datetime, page: int):
        asked_from, asked_to = query_range(start, end, latest)
        self.report.pages += 1
        return self.retrying(
            lambda token: self.platform.order_page(
                token, modified_from=asked_from, modified_to=asked_to, page=page, finished=kind == "finished"
            )
        )

    def _detail(self, token: str, *, order_id: str) -> object:
        return self.platform.order_detail(token, order_id)

    def _apply(self, orders: list[dict]) -> None:
        events: list[dict] = []
        for order in orders:
            try:
                order_id = order_id_of(order)
                detail = None
                if needs_detail(order):
                    self.report.details += 1
                    detail = self.retrying(functools.partial(self._detail, order_id=order_id))
                events += order_events(
                    order, detail, store_id=self.settings.aliexpress_store_id, answered_at=self.clock()
                )
            except BadOrder as exc:
                self.report.skipped.append(str(exc))
                log.warning("aliexpress sync skipped an order: %s", exc)
                continue
            except Refused as exc:  # e.g. the detail of one order is not this shop's to read
                self.report.skipped.append(f"order {order.get('order_id')}: {exc}")
                continue
            self.report.orders += 1
        for start in range(0, len(events), BATCH):
            part = events[start : start + BATCH]
            fed = apply_feed(self.ctx, SYNCER, part, self.clock())
            for index, problems in fed.rejected.items():
                self.report.rejected += [f"order {part[index]['order_id']}: {problem}" for problem in problems]
            for item in fed.applied:
                outcome = item.result["outcome"]
                self.report.outcomes[outcome] = self.report.outcomes.get(outcome, 0) + 1


def _ensure_row(conn: sa.Connection, now: datetime) -> None:
    exists = conn.execute(sa.select(positions_t.c.source).where(positions_t.c.source == SOURCE)).first()
    if exists is None:
        try:
            with conn.begin_nested():
                conn.execute(positions_t.insert().values(source=SOURCE, orders_seen=0, updated_at=now))
        except sa.exc.IntegrityError:
            pass  # another process made it first
