"""Faults, with real processes (design, "Fail closed"; contract, "Errors"): what the user sees.

- PostgreSQL unreachable or hanging: the guard is pointed at a TCP proxy this test
  controls (tests/support/pgproxy.py), never at a stopped shared server. Checks and labels
  answer 503 UNAVAILABLE within the request deadline (2 s, measured), /readyz is 503,
  the station page shows DO NOT SHIP, nothing is cleared; once the database answers
  again the same process decides again — no restart.
- The API killed (SIGKILL) in the middle of a 1,000-event batch: the batch is either
  wholly stored or not at all, and re-sending it after the restart is safe.
- The worker killed (SIGKILL) in the middle of a re-check sweep: nothing of the sweep
  is half-applied, the next sweep redoes it, and no release happens twice.
  (Delivery: tests/e2e/test_worker.py. Redis down: tests/e2e/test_redis_down.py.)
- Clock skew: a far-future source time cannot pin a fact; a clearance is good until its
  expiry and not a second after; webhook timestamps tolerate a receiver 5 minutes off.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from guard.errors import Conflict
from guard.services import labels as label_service
from guard.services.outbox import relay
from guard.webhooks import SIGNATURE_HEADER, WebhookSender

from support.api import CLEAR_FACTS, Guard
from support.browser import SEEN_S, launch, new_page, open_station, require_browser, scan, verdict
from support.db import empty_tables
from support.pgproxy import PgProxy
from support.processes import guard_env, unique, wait_until
from support.stack import Api, Broker, Erp, Receiver, RedisServer, Worker, new_key, outbox, stack_env
from support.webhooks import verify

# The shipped request deadline is 2 s (GUARD_REQUEST_TIMEOUT_S); the guard is run with it.
# 0.5 s on top for a loaded CI machine: the event loop, the proxy and the client all share it.
DEADLINE_S = 2.0
BOUND_S = DEADLINE_S + 0.5

# Every measured outage answer, printed at the end of the module (`pytest -s` shows it).
LATENCIES: list[tuple[str, str, int, float]] = []


# One guard process's connections to this worker's database (other runs and workers share the server).
ACTIVITY = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = :name"


def with_app_name(database_url: str, name: str) -> str:
    """The URL, tagged so pg_stat_activity can tell this process's connections from others'."""
    url = sa.engine.make_url(database_url).update_query_dict({"application_name": name})
    return url.render_as_string(hide_password=False)


def direct(database_url: str) -> sa.Engine:
    """The test's own way into the database: straight to PostgreSQL, never through the proxy."""
    return sa.create_engine(database_url, isolation_level="AUTOCOMMIT", pool_size=2)


def count(engine: sa.Engine, query: str, **params: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(query), params).scalar_one()


def busy_backends(engine: sa.Engine, app_name: str) -> int:
    """Connections of one guard process that are inside a transaction or running a query."""
    return count(
        engine,
        ACTIVITY + " AND (state <> 'idle' OR xact_start IS NOT NULL)",
        name=app_name,
    )


def backends(engine: sa.Engine, app_name: str) -> int:
    return count(
        engine,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = :name",
        name=app_name,
    )


def settled(engine: sa.Engine, app_name: str, quiet_s: float = 1.0, timeout: float = 20.0) -> None:
    """Wait until that process has had no transaction open for `quiet_s` seconds."""
    quiet_since: list[float | None] = [None]

    def quiet() -> bool:
        if busy_backends(engine, app_name):
            quiet_since[0] = None
            return False
        quiet_since[0] = quiet_since[0] or time.monotonic()
        return time.monotonic() - quiet_since[0] >= quiet_s

    wait_until(quiet, timeout, f"{app_name}'s transactions to finish")


@pytest.fixture(scope="module", autouse=True)
def latency_report():
    yield
    if LATENCIES:
        worst = max(seconds for *_, seconds in LATENCIES)
        lines = [
            f"  {fault:<5} {what:<28} {status}  {seconds * 1000:7.1f} ms" for fault, what, status, seconds in LATENCIES
        ]
        print(
            f"\nanswers while the database was away ({len(LATENCIES)}, worst {worst * 1000:.0f} ms, "
            f"bound {BOUND_S * 1000:.0f} ms):\n" + "\n".join(lines)
        )


# === PostgreSQL through a proxy ================================================================

PROXIED_APP = "guard-behind-proxy"


# Per test, not per module: an embedded-mode guard runs its own re-check sweep against the
# shared database, which would race the sweep test below for the same holds.
@pytest.fixture
def proxy(postgres_url) -> Iterator[PgProxy]:
    url = sa.engine.make_url(postgres_url)
    proxy = PgProxy(url.host or "127.0.0.1", url.port or 5432)
    yield proxy
    proxy.close()


@pytest.fixture
def db(postgres_url) -> Iterator[sa.Engine]:
    """The scratch database, emptied before and after."""
    empty_tables(postgres_url)
    engine = direct(postgres_url)
    yield engine
    engine.dispose()
    empty_tables(postgres_url)


@pytest.fixture
def proxied_guard(tmp_path, db, postgres_url, proxy) -> Iterator[Api]:
    """`guard serve` (embedded mode, shipped timeouts) whose only way to PostgreSQL is the proxy."""
    url = with_app_name(proxy.url_for(postgres_url), PROXIED_APP)
    env = guard_env(GUARD_DATABASE_URL=url, GUARD_REQUEST_TIMEOUT_S=str(DEADLINE_S), GUARD_DB_TIMEOUT_S="2")
    api = Api(tmp_path, env)
    yield api
    proxy.resume()
    try:
        settled(db, PROXIED_APP)  # what the outage held up finishes before the tables are emptied
    finally:
        api.stop()


def break_database(proxy: PgProxy, fault: str) -> None:
    {"cut": proxy.cut, "hang": proxy.hang}[fault]()


def timed(fault: str, what: str, send: Callable[[], httpx.Response]) -> httpx.Response:
    started = time.monotonic()
    response = send()
    elapsed = time.monotonic() - started
    LATENCIES.append((fault, what, response.status_code, elapsed))
    assert elapsed < BOUND_S, f"{what} took {elapsed:.2f} s with the database {fault} (bound {BOUND_S} s)"
    return response


def assert_unavailable(response: httpx.Response, what: str) -> None:
    assert response.status_code == 503, f"{what}: {response.status_code} {response.text}"
    body = response.json()
    assert body["error"]["code"] == "UNAVAILABLE", body
    assert "clearance" not in body and "verdict" not in body, body  # never a verdict without the store


def written_rows(engine: sa.Engine, order_ids: list[str]) -> dict[str, int]:
    """What the outage must not add to: clearances, labels and decisions of these orders."""
    return {
        table: count(engine, f"SELECT count(*) FROM {table} WHERE order_id = ANY(:ids)", ids=order_ids)
        for table in ("clearances", "labels", "decisions")
    }


@pytest.mark.postgres
@pytest.mark.parametrize("fault", ["cut", "hang"])
def test_without_its_database_the_guard_answers_503_within_the_deadline_and_decides_again_once_it_is_back(
    db, postgres_url, proxy, proxied_guard, fault
):
    erp = Erp(proxied_guard.base, new_key(postgres_url, unique("erp")))
    scanned, labelled = unique("pg-scan"), unique("pg-label")
    try:
        for order_id in (scanned, labelled):
            erp.record(order_id, **CLEAR_FACTS)
        token = erp.check(labelled, "pack-1")["clearance"]["token"]  # a clearance from before the outage
        before = written_rows(db, [scanned, labelled])

        break_database(proxy, fault)
        # Two rounds, more than the key cache (2 s) apart: the first call finds the caller's key
        # still cached, later ones have to ask the database for it too. Both paths fail closed.
        for round_ in range(2):
            if round_:
                time.sleep(2.2)
            answers = {
                "check": timed(
                    fault,
                    "POST /v1/orders/{id}/check",
                    lambda: erp.http.post(f"/v1/orders/{scanned}/check", json={"station_id": "pack-1"}),
                ),
                "label": timed(
                    fault,
                    "POST /v1/labels",
                    lambda: erp.http.post("/v1/labels", json={"clearance": token, "station_id": "pack-1"}),
                ),
                "batch": timed(
                    fault,
                    "POST /v1/checks",
                    lambda: erp.http.post("/v1/checks", json={"order_ids": [scanned, labelled]}),
                ),
                "readyz": timed(fault, "GET /readyz", lambda: httpx.get(f"{proxied_guard.base}/readyz", timeout=10)),
            }
            for what, response in answers.items():
                assert_unavailable(response, what)
            assert answers["readyz"].json()["error"]["details"][0]["database"] == "down"
            # The process itself is fine, and says so: only readiness depends on the database.
            assert httpx.get(f"{proxied_guard.base}/healthz", timeout=5).status_code == 200
        assert written_rows(db, [scanned, labelled]) == before, "nothing was decided while the database was away"

        proxy.resume()
        resumed = time.monotonic()
        first = erp.http.post(f"/v1/orders/{scanned}/check", json={"station_id": "pack-1"})
        LATENCIES.append((fault, "first check after resume", first.status_code, time.monotonic() - resumed))
        wait_until(
            lambda: httpx.get(f"{proxied_guard.base}/readyz", timeout=10).status_code == 200,
            10,
            "/readyz 200 again",
            proxied_guard.logs,
        )
        if fault == "hang":
            # Requests answered 503 may still finish behind the scenes now that their bytes
            # flow again (guard/api/deps.py `call`): let them, before judging the outcome.
            settled(db, PROXIED_APP)
        assert first.status_code == 200, f"the first check after the database came back: {first.text}"

        again = erp.check(scanned, "pack-1")
        assert again["verdict"] == "clear" and again["clearance"], again
        issued = erp.http.post("/v1/labels", json={"clearance": again["clearance"]["token"], "station_id": "pack-1"})
        assert issued.status_code == 201, issued.text

        late = erp.http.post("/v1/labels", json={"clearance": token, "station_id": "pack-1"})
        LATENCIES.append((fault, "pre-outage clearance → label", late.status_code, 0.0))
        if fault == "cut":
            # The label request never reached the database: the old clearance is still good.
            assert late.status_code == 201, late.text
        else:
            # A request stuck in the hang may have been completed by the database afterwards,
            # spending the clearance; either way the parcel has one label, never two.
            assert late.status_code in (201, 409), late.text
            if late.status_code == 409:
                assert late.json()["error"]["code"] == "CLEARANCE_USED"
        for order_id in (scanned, labelled):
            assert count(db, "SELECT count(*) FROM labels WHERE order_id = :o", o=order_id) == 1
            live = count(
                db,
                "SELECT count(*) FROM clearances WHERE order_id = :o AND used_at IS NULL AND voided_at IS NULL",
                o=order_id,
            )
            assert live <= 1, "at most one live clearance per parcel, whatever finished late"
        assert proxied_guard.process.poll() is None, "no restart"
    finally:
        erp.close()


@pytest.mark.postgres
def test_a_label_answered_503_during_a_hang_is_not_issued_when_the_database_comes_back(
    db, postgres_url, proxy, proxied_guard
):
    erp = Erp(proxied_guard.base, new_key(postgres_url, unique("erp")))
    order_id = unique("pg-late")
    try:
        erp.record(order_id, **CLEAR_FACTS)
        token = erp.check(order_id, "pack-1")["clearance"]["token"]
        time.sleep(2.2)  # let the key cache lapse, then refresh it: the label call below skips the key lookup
        erp.check(unique("pg-other"))
        proxy.hang()
        answer = timed(
            "hang",
            "POST /v1/labels (key cached)",
            lambda: erp.http.post("/v1/labels", json={"clearance": token, "station_id": "pack-1"}),
        )
        assert_unavailable(answer, "label")
        proxy.resume()
        settled(db, PROXIED_APP)
        labels = count(db, "SELECT count(*) FROM labels WHERE order_id = :o", o=order_id)
        retry = erp.http.post("/v1/labels", json={"clearance": token, "station_id": "pack-1"})
        # Either outcome is safe (one label at most, re-judged at hand-over); only one is right:
        # what the station was told (503, nothing printed) is what the guard recorded.
        assert labels + (retry.status_code == 201) == 1
        assert labels == 0, "a label the station never received is recorded as issued"
    finally:
        erp.close()


@pytest.mark.postgres
@pytest.mark.parametrize("fault", ["cut", "hang"])
def test_the_station_page_shows_do_not_ship_while_the_database_is_away_and_clears_when_it_is_back(
    db, postgres_url, proxy, proxied_guard, fault
):
    require_browser()
    from playwright.sync_api import expect, sync_playwright

    order = unique("PGOFF")
    erp = Erp(proxied_guard.base, new_key(postgres_url, unique("erp")))
    station_key = new_key(postgres_url, unique("station"), ["check", "labels"])
    try:
        erp.record(order, **CLEAR_FACTS)
        with sync_playwright() as playwright:
            browser = launch(playwright)
            try:
                page = new_page(browser)
                open_station(page, proxied_guard.base, "pack-db", station_key)
                scan(page, order)
                verdict(page, "clear")

                break_database(proxy, fault)
                offline = page.locator("#offline")
                expect(offline).to_be_visible(timeout=SEEN_S)  # /readyz is polled every 3 s
                expect(offline).to_contain_text("DO NOT SHIP — guard offline")
                expect(page.locator("#verdict")).to_have_attribute("data-kind", "idle")  # the green is gone
                scan(page, order)  # a scan during the outage is never a verdict
                page.wait_for_timeout(DEADLINE_S * 1000 + 500)
                expect(offline).to_be_visible()
                assert page.locator("#verdict").get_attribute("data-kind") != "clear"

                proxy.resume()
                expect(offline).to_be_hidden(timeout=SEEN_S)
                scan(page, order)
                verdict(page, "clear")
                assert not page.errors, page.errors
                page.context.close()
            finally:
                browser.close()
    finally:
        erp.close()


# === the API killed in the middle of a batch ====================================================

BATCH_ORDERS = 250
FACTS_PER_ORDER = [("payment", "paid"), ("risk", "cleared"), ("shipping_notice", "recorded"), ("freight", "paid")]


def big_batch(tag: str) -> tuple[list[dict], list[str]]:
    """1,000 events: 250 orders × 4 facts, every order new."""
    order_ids = [f"{tag}-o{n:03d}" for n in range(BATCH_ORDERS)]
    events = []
    for order_id in order_ids:
        for fact_type, status in FACTS_PER_ORDER:
            event = {
                "event_id": f"{order_id}-{fact_type}",
                "order_id": order_id,
                "type": fact_type,
                "status": status,
                "occurred_at": "2026-11-11T00:05:00+08:00",
                "store_id": "s1",
                "reason": "synced from the shop",
            }
            if status == "recorded":
                event["tracking_number"] = f"LP{abs(hash(order_id)) % 10**9:09d}CN"
            events.append(event)
    assert len(events) == 1000
    return events, order_ids


def stored(engine: sa.Engine, events: list[dict], order_ids: list[str]) -> dict[str, int]:
    event_ids = [event["event_id"] for event in events]
    return {
        "events": count(engine, "SELECT count(*) FROM events WHERE event_id = ANY(:ids)", ids=event_ids),
        "facts": count(engine, "SELECT count(*) FROM facts WHERE event_id = ANY(:ids)", ids=event_ids),
        # The notice is a fact of its parcel (contract v1.1): it is stored on the parcel row.
        "notices": count(engine, "SELECT count(*) FROM parcels WHERE notice_event_id = ANY(:ids)", ids=event_ids),
        "orders": count(engine, "SELECT count(*) FROM orders WHERE order_id = ANY(:ids)", ids=order_ids),
    }


ALL = {"events": 1000, "facts": 750, "notices": BATCH_ORDERS, "orders": BATCH_ORDERS}
NONE = {"events": 0, "facts": 0, "notices": 0, "orders": 0}


class Poster:
    """POSTs the batch in a thread; `result` is the response or the error the client saw."""

    def __init__(self, base: str, key: str, events: list[dict]):
        self.result: httpx.Response | Exception | None = None
        self.sent_at = time.monotonic()
        self._thread = threading.Thread(target=self._post, args=(base, key, events), daemon=True)
        self._thread.start()

    def _post(self, base: str, key: str, events: list[dict]) -> None:
        try:
            self.result = httpx.post(
                f"{base}/v1/events", json={"events": events}, timeout=60, headers={"Authorization": f"Bearer {key}"}
            )
        except Exception as exc:
            self.result = exc

    def join(self) -> None:
        self._thread.join(timeout=60)


def kill_api(api: Api) -> None:
    os.killpg(api.process.pid, signal.SIGKILL)
    api.process.wait(timeout=10)


def ingest_in_flight(engine: sa.Engine, app_name: str) -> bool:
    """The batch's transaction is open in PostgreSQL (anything but the key lookup: these
    servers run no background jobs, so the batch is the only other thing they do)."""
    return (
        count(
            engine,
            ACTIVITY + " AND xact_start IS NOT NULL AND query NOT ILIKE '%api_keys%'",
            name=app_name,
        )
        > 0
    )


def events_written(engine: sa.Engine, app_name: str) -> bool:
    """Later still: the batch's events rows are written (uncommitted); facts, orders or holds are next."""
    return (
        count(
            engine,
            ACTIVITY + " AND xact_start IS NOT NULL AND (query ILIKE 'INSERT INTO facts%' "
            "OR query ILIKE 'UPDATE orders%' OR query ILIKE '%FROM holds%')",
            name=app_name,
        )
        > 0
    )


def ingest_api(workdir: Path, database_url: str, app_name: str | None = None) -> Api:
    url = with_app_name(database_url, app_name) if app_name else database_url
    return Api(workdir, guard_env(GUARD_DATABASE_URL=url, GUARD_EMBEDDED_JOBS="false"))


@pytest.mark.postgres
def test_an_api_killed_during_a_1000_event_batch_stores_all_of_it_or_none_and_a_resend_is_safe(tmp_path, postgres_url):
    empty_tables(postgres_url)
    engine = direct(postgres_url)
    key = new_key(postgres_url, "erp")
    rounds: list[dict] = []
    try:
        # Calibrate: how long one batch takes here, unkilled.
        app = "guard-ingest-0"
        api = ingest_api(tmp_path, postgres_url, app)
        try:
            events, order_ids = big_batch("cal")
            poster = Poster(api.base, key, events)
            poster.join()
            assert isinstance(poster.result, httpx.Response) and poster.result.status_code == 200, poster.result
            took = time.monotonic() - poster.sent_at
            assert stored(engine, events, order_ids) == ALL
        finally:
            api.stop()

        # Kill at fractions of that time, and twice at a moment seen in pg_stat_activity: as soon as
        # the batch's transaction is open, and once its events rows are written.
        plans: list[float | str] = [took * f for f in (0.15, 0.35, 0.55, 0.75, 0.95)] + [
            "in-transaction",
            "events-written",
        ]
        for n, plan in enumerate(plans, start=1):
            app = f"guard-ingest-{n}"
            api = ingest_api(tmp_path, postgres_url, app)
            events, order_ids = big_batch(f"k{n}")
            poster = Poster(api.base, key, events)
            if isinstance(plan, str):
                seen = {"in-transaction": ingest_in_flight, "events-written": events_written}[plan]
                wait_until(lambda: seen(engine, app) or poster.result is not None, 30, f"{plan}", api.logs)
                seen_open = poster.result is None
            else:
                time.sleep(max(0.0, plan - (time.monotonic() - poster.sent_at)))
                seen_open = ingest_in_flight(engine, app)
            kill_api(api)
            poster.join()
            # The dead process's backends finish whatever statement they were in, then roll back.
            wait_until(lambda: backends(engine, app) == 0, 30, f"{app}'s connections gone")
            after = stored(engine, events, order_ids)
            answered = isinstance(poster.result, httpx.Response)
            rounds.append(
                {
                    "plan": plan if isinstance(plan, str) else f"{plan * 1000:.0f} ms",
                    "open_at_kill": seen_open,
                    "answered": answered,
                    "stored": after,
                }
            )
            assert after in (ALL, NONE), f"a killed batch was half stored: {after} (round {rounds[-1]})"
            if answered:
                assert poster.result.status_code == 200 and after == ALL

            # The ERP did not get an answer (or did): it sends the batch again after the restart.
            api = ingest_api(tmp_path, postgres_url)
            try:
                response = httpx.post(
                    f"{api.base}/v1/events",
                    json={"events": events},
                    timeout=60,
                    headers={"Authorization": f"Bearer {key}"},
                )
                assert response.status_code == 200, response.text
                outcomes = {result["outcome"] for result in response.json()["results"]}
                assert outcomes == ({"duplicate"} if after == ALL else {"applied"}), outcomes
                assert stored(engine, events, order_ids) == ALL
            finally:
                api.stop()
        print(f"\nbatch of 1,000 took {took * 1000:.0f} ms unkilled; kill rounds:")
        for entry in rounds:
            print(f"  {entry}")
        assert any(entry["stored"] == NONE and entry["open_at_kill"] for entry in rounds), (
            f"no kill landed inside the open transaction: the test proved nothing ({rounds})"
        )
    finally:
        engine.dispose()
        empty_tables(postgres_url)


# === the worker killed in the middle of a re-check sweep ========================================

SWEEP_APP = "guard-sweep-worker"
SWEPT_ORDERS = 10  # half become clear behind the hold's back, half stay unpaid


def send_sweep(broker: Broker) -> None:
    """Ask for a re-check sweep now, as beat does every 15 s."""
    from celery import Celery

    client = Celery("fault-test", broker=broker.url)
    try:
        client.send_task("guard.holds.sweep", queue=broker.queue)
    finally:
        client.close()


@pytest.mark.postgres
def test_a_worker_killed_in_the_middle_of_a_recheck_sweep_leaves_nothing_half_done_and_the_next_sweep_releases_once(
    tmp_path, postgres_url
):
    empty_tables(postgres_url)
    engine = direct(postgres_url)
    redis_server = RedisServer(tmp_path).start()
    receiver = Receiver()
    secret = "whsec-sweep"
    api_env = stack_env(postgres_url, broker=redis_server.broker, webhook_url=receiver.url, webhook_secret=secret)
    # The worker may wait on a lock for 20 s (GUARD_DB_TIMEOUT_S × 2) before giving up:
    # room for the test to see it waiting, and kill it there, on a loaded machine.
    worker_env = stack_env(
        with_app_name(postgres_url, SWEEP_APP),
        broker=redis_server.broker,
        webhook_url=receiver.url,
        webhook_secret=secret,
    )
    worker_env["GUARD_DB_TIMEOUT_S"] = "10"
    api = Api(tmp_path, api_env)
    worker = Worker(tmp_path, worker_env)
    erp = Erp(api.base, new_key(postgres_url, "erp"))
    blocker = None
    try:
        orders = [f"sw-{n:02d}-{unique('o')}" for n in range(SWEPT_ORDERS)]
        releasing, staying = orders[: SWEPT_ORDERS // 2], orders[SWEPT_ORDERS // 2 :]
        erp.push(
            *(
                erp.event(order_id, fact, status, store_id="s1")
                for order_id in orders
                for fact, status in (("payment", "unpaid"), ("shipping_notice", "recorded"))
            )
        )
        for order_id in orders:
            erp.hold_at(order_id, "pack-1")
        with engine.begin() as conn:
            # Payment arrived by a path that settled no hold (as if its event were lost and the
            # fact repaired by hand): only the sweep can release these now.
            conn.execute(
                sa.text("UPDATE facts SET status = 'paid' WHERE fact_type = 'payment' AND order_id = ANY(:ids)"),
                {"ids": releasing},
            )
            # Everything due; the unchanged holds first, so the sweep has worked through them
            # (uncommitted) by the time it reaches the first release.
            conn.execute(
                sa.text("UPDATE holds SET recheck_at = now() - interval '10 minutes' WHERE order_id = ANY(:ids)"),
                {"ids": staying},
            )
            conn.execute(
                sa.text("UPDATE holds SET recheck_at = now() - interval '5 minutes' WHERE order_id = ANY(:ids)"),
                {"ids": releasing},
            )

        # A release writes its audit decision; hold the decisions table so the sweep stops there.
        blocker = engine.connect().execution_options(isolation_level="READ COMMITTED")
        blocker.begin()
        blocker.execute(sa.text("LOCK TABLE decisions IN SHARE MODE"))

        worker.start()
        send_sweep(redis_server.broker)
        explain = lambda: f"--- worker log ---\n{worker.logs()}"  # noqa: E731
        wait_until(
            lambda: (
                count(
                    engine,
                    ACTIVITY + " AND wait_event_type = 'Lock' AND query ILIKE 'INSERT INTO decisions%'",
                    name=SWEEP_APP,
                )
                > 0
            ),
            30,
            "the sweep waiting to record a release",
            explain,
        )
        worker.kill()  # mid-sweep: holds re-checked and notifications written, none of it committed
        blocker.rollback()
        blocker.close()
        blocker = None
        wait_until(lambda: backends(engine, SWEEP_APP) == 0, 30, "the killed worker's connections gone")

        with engine.connect() as conn:
            holds = {
                row.order_id: row
                for row in conn.execute(
                    sa.text("SELECT order_id, state, recheck_count FROM holds WHERE order_id = ANY(:ids)"),
                    {"ids": orders},
                )
            }
        assert {row.state for row in holds.values()} == {"held"}
        assert {row.recheck_count for row in holds.values()} == {0}, "a killed sweep left a re-check behind"
        assert count(engine, "SELECT count(*) FROM outbox WHERE order_id = ANY(:ids)", ids=orders) == 0
        assert (
            count(engine, "SELECT count(*) FROM decisions WHERE kind = 'release' AND order_id = ANY(:ids)", ids=orders)
            == 0
        )

        # The task died unacknowledged; the next periodic sweep (beat, every 15 s) redoes the work.
        worker.start()
        for order_id in releasing:
            receiver.wait_for(order_id, "hold.released", timeout=45, explain=explain)
        for order_id in staying:
            receiver.wait_for(order_id, "hold.refresh_requested", timeout=45, explain=explain)
        settled(engine, SWEEP_APP)
        time.sleep(1)  # a duplicate delivery, if there were one, would be on its way by now

        for order_id in releasing:
            rows = outbox(postgres_url, order_id)
            assert [row["type"] for row in rows] == ["hold.released"], rows
            assert {hook.id for hook in receiver.about(order_id)} == {rows[0]["notification_id"]}
            assert (
                count(engine, "SELECT count(*) FROM decisions WHERE kind = 'release' AND order_id = :o", o=order_id)
                == 1
            ), "released exactly once"
            assert erp.order(order_id)["hold"]["state"] == "released"
        for order_id in staying:
            rows = outbox(postgres_url, order_id)
            assert [row["type"] for row in rows] == ["hold.refresh_requested"], rows
            hold = erp.order(order_id)["hold"]
            assert hold["state"] == "held"
        with engine.connect() as conn:
            counts = (
                conn.execute(sa.text("SELECT recheck_count FROM holds WHERE order_id = ANY(:ids)"), {"ids": staying})
                .scalars()
                .all()
            )
        assert counts == [1] * len(staying), "each unchanged hold re-checked exactly once"
    finally:
        if blocker is not None:
            blocker.rollback()
            blocker.close()
        erp.close()
        worker.stop()
        api.stop()
        receiver.close()
        redis_server.stop()
        engine.dispose()
        empty_tables(postgres_url)


# === clock skew =================================================================================


def utc_now() -> datetime:
    return datetime.now(UTC)


def test_a_source_time_more_than_5_minutes_ahead_is_refused_and_4_minutes_ahead_is_accepted(guard: Guard):
    too_far = (utc_now() + timedelta(minutes=5, seconds=30)).isoformat()
    ahead = guard.event("o-skew", "payment", "paid", occurred_at=too_far)
    refused = guard.client.post("/v1/events", json={"events": [ahead]}, headers=guard.auth())
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["details"] == [
        {"index": 0, "field": "occurred_at", "message": "is more than 5 minutes in the future"}
    ]
    assert guard.client.get("/v1/orders/o-skew", headers=guard.auth()).status_code == 404  # nothing stored

    close = guard.event("o-skew", "payment", "paid", occurred_at=(utc_now() + timedelta(minutes=4)).isoformat())
    assert guard.push(close)["results"][0]["outcome"] == "applied"


def test_a_skewed_client_cannot_pin_a_fact_by_sending_a_far_future_time(guard: Guard):
    # A shop clock a day fast would, if accepted, make every true event of the next day "stale".
    pinned = guard.event("o-pin", "payment", "paid", occurred_at=(utc_now() + timedelta(days=1)).isoformat())
    assert guard.client.post("/v1/events", json={"events": [pinned]}, headers=guard.auth()).status_code == 422
    now = utc_now()
    guard.push(guard.event("o-pin", "payment", "unpaid", occurred_at=(now - timedelta(minutes=2)).isoformat()))
    later = guard.push(guard.event("o-pin", "payment", "paid", occurred_at=now.isoformat()))
    assert later["results"][0]["outcome"] == "applied"
    # Within the tolerance a fast clock can hold a fact for at most those 5 minutes:
    fast = guard.push(
        guard.event("o-pin", "payment", "processing", occurred_at=(now + timedelta(minutes=4, seconds=50)).isoformat())
    )
    assert fast["results"][0]["outcome"] == "applied"
    behind = guard.push(guard.event("o-pin", "payment", "paid", occurred_at=(now + timedelta(minutes=1)).isoformat()))
    assert behind["results"][0]["outcome"] == "stale"


def _clearance(guard: Guard, order_id: str) -> tuple[str, datetime]:
    guard.record(order_id, **CLEAR_FACTS)
    clearance = guard.check(order_id, station_id="pack-1")["clearance"]
    return clearance["token"], datetime.fromisoformat(clearance["expires_at"])


def test_a_clearance_used_just_before_its_expiry_issues_the_label_and_just_after_is_expired(guard: Guard):
    app = guard.client.app
    rt = app.state.runtime
    principal = app.state.keys.authenticate(f"Bearer {guard.key}")

    token, expires_at = _clearance(guard, "o-exp-in")
    label = label_service.issue_label(rt, principal, token, "pack-1", False, expires_at - timedelta(seconds=1))
    assert label["order_id"] == "o-exp-in" and label["label_id"]  # the route answers 201 with it

    for order_id, after in (("o-exp-at", timedelta(0)), ("o-exp-out", timedelta(seconds=1))):
        token, expires_at = _clearance(guard, order_id)
        with pytest.raises(Conflict) as refused:
            label_service.issue_label(rt, principal, token, "pack-1", False, expires_at + after)
        assert refused.value.code == "CLEARANCE_EXPIRED" and refused.value.status == 409
    with guard.engine.connect() as conn:
        issued = conn.execute(sa.text("SELECT order_id FROM labels")).scalars().all()
    assert issued == ["o-exp-in"]


def test_over_http_a_clearance_past_its_lifetime_answers_409_clearance_expired(settings):
    from fastapi.testclient import TestClient

    from guard.api.app import create_app
    from guard.db import make_engine
    from guard.services.apikeys import create_key

    short = settings.model_copy(update={"clearance_ttl_s": 1, "embedded_jobs": False})
    engine = make_engine(short)
    key = create_key(engine, "erp", ["events", "check", "labels"], None)
    with TestClient(create_app(short), raise_server_exceptions=False) as client:
        guard = Guard(client=client, engine=engine, key=key)
        guard.record("o-ttl", **CLEAR_FACTS)
        fresh = guard.check("o-ttl")["clearance"]["token"]
        time.sleep(1.2)
        response = client.post("/v1/labels", json={"clearance": fresh, "station_id": "pack-1"}, headers=guard.auth())
        assert response.status_code == 409, response.text
        assert response.json()["error"]["code"] == "CLEARANCE_EXPIRED"
        token = guard.check("o-ttl")["clearance"]["token"]  # scan again: a new clearance, used at once
        response = client.post("/v1/labels", json={"clearance": token, "station_id": "pack-1"}, headers=guard.auth())
        assert response.status_code == 201, response.text
    engine.dispose()


SKEW_SECRET = "whsec-skew"


@pytest.fixture
def hook_receiver() -> Iterator[Receiver]:
    receiver = Receiver()
    yield receiver
    receiver.close()


def test_a_webhook_signature_is_accepted_by_a_receiver_4_minutes_off_and_rejected_6_minutes_off(hook_receiver):
    sender = WebhookSender(hook_receiver.url, [SKEW_SECRET])
    body = json.dumps(
        {
            "id": "ntf-skew",
            "type": "hold.released",
            "created_at": utc_now().isoformat(),
            "data": {"order_id": "o-skew-hook"},
        }
    ).encode()
    sent_at = int(time.time())
    try:
        assert sender.send("ntf-skew", body, sent_at).ok
    finally:
        sender.close()
    [hook] = hook_receiver.about("o-skew-hook")
    header = hook.headers[SIGNATURE_HEADER.lower()]
    for minutes in (-4, 4, -5, 5):  # behind or ahead; 5 minutes is the documented tolerance, inclusive
        assert verify(hook.body, header, SKEW_SECRET, sent_at + minutes * 60), f"{minutes} min off"
    for seconds in (-301, 301, -360, 360):
        assert not verify(hook.body, header, SKEW_SECRET, sent_at + seconds), f"{seconds} s off"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_notification_retried_hours_later_is_signed_with_the_time_it_is_sent(settings, hook_receiver):
    """The timestamp is the attempt's, not the notification's: a late retry is not refused as stale."""
    from fastapi.testclient import TestClient

    from guard.api.app import create_app
    from guard.db import make_engine
    from guard.services.apikeys import create_key

    quiet = settings.model_copy(
        update={"embedded_jobs": False, "webhook_url": hook_receiver.url, "webhook_secret": SKEW_SECRET}
    )
    engine = make_engine(quiet)
    key = create_key(engine, "erp", ["events", "check"], None)
    with TestClient(create_app(quiet), raise_server_exceptions=False) as client:
        guard = Guard(client=client, engine=engine, key=key)
        guard.record("o-late", **{**CLEAR_FACTS, "payment": "unpaid"})
        assert guard.check("o-late", station_id="pack-1")["verdict"] == "hold"
        guard.push(guard.event("o-late", "payment", "paid", minute=5))  # released: a notification is written
    later = utc_now() + timedelta(hours=3)
    sender = WebhookSender(hook_receiver.url, [SKEW_SECRET])
    try:
        assert relay(engine, None, sender, later).delivered == 1
    finally:
        sender.close()
        engine.dispose()
    [hook] = hook_receiver.about("o-late")
    header = hook.headers[SIGNATURE_HEADER.lower()]
    assert verify(hook.body, header, SKEW_SECRET, int(later.timestamp()))
    assert not verify(hook.body, header, SKEW_SECRET, int(datetime.fromisoformat(hook.json["created_at"]).timestamp()))
