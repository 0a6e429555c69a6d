"""`GET /metrics` (Prometheus text, no key) and the request log line.

What an operator watches during a peak: checks by verdict and reason, the hold
queue by reason and its oldest hold, labels issued and refused, webhook
deliveries and failures, the release latency, the outbox backlog, and request
latency per route. Counters are process-wide, so tests compare before and
after; the database gauges are exact (each test has an empty database).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from guard.api.app import create_app
from guard.config import Settings
from guard.db import make_engine
from guard.metrics import Exporter
from guard.models import Hold, Notification
from guard.services.apikeys import create_key
from guard.services.outbox import relay
from guard.webhooks import Delivery

from support.api import CLEAR_FACTS, Guard

SCOPES = ["events", "check", "labels", "holds", "supervise"]

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    return parse(response.text)


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def now() -> datetime:
    return datetime.now(UTC)


def hold_for_payment(guard: Guard, order_id: str, **extra: Any) -> dict:
    """Payment processing since a minute ago: held, and not yet overdue."""
    started = (now() - timedelta(minutes=1)).isoformat()
    events = [
        guard.event(
            order_id,
            fact_type,
            status,
            occurred_at=started,
            **({"tracking_number": f"LP-{order_id}"} if status == "recorded" else {}),
        )
        for fact_type, status in {**CLEAR_FACTS, "payment": "processing"}.items()
    ]
    guard.push(*events)
    return guard.check(order_id, **extra)


def payment_lands(guard: Guard, order_id: str) -> None:
    guard.push(guard.event(order_id, "payment", "paid", occurred_at=now().isoformat()))


@pytest.fixture
def quiet_guard(settings: Settings) -> Iterator[Guard]:
    """The guard without its embedded jobs: only the test delivers notifications."""
    quiet = settings.model_copy(update={"embedded_jobs": False})
    engine = make_engine(quiet)
    key = create_key(engine, "erp", SCOPES, None)
    with TestClient(create_app(quiet), raise_server_exceptions=False) as client:
        yield Guard(client=client, engine=engine, key=key)
    engine.dispose()


# --- the endpoint ---------------------------------------------------------------------------


def test_metrics_answer_without_a_key_in_prometheus_text(guard):
    response = guard.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = parse(response.text)
    assert value(samples, "guard_database_up") == 1
    assert ("guard_outbox_backlog", ()) in samples


def test_an_openmetrics_scraper_gets_openmetrics(guard):
    response = guard.client.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


# --- checks ---------------------------------------------------------------------------------


def test_checks_are_counted_by_verdict_and_by_reason(guard):
    before = scrape(guard.client)
    hold_for_payment(guard, "m-hold")
    guard.record("m-clear", **CLEAR_FACTS)
    assert guard.check("m-clear")["verdict"] == "clear"
    guard.record("m-block", order="closed")
    assert guard.check("m-block")["verdict"] == "block"
    after = scrape(guard.client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("guard_checks_total", verdict="hold") == 1
    assert delta("guard_checks_total", verdict="clear") == 1
    assert delta("guard_checks_total", verdict="block") == 1
    assert delta("guard_check_reasons_total", reason="PAYMENT_PROCESSING") == 1
    assert delta("guard_check_reasons_total", reason="ORDER_CLOSED") == 1


# --- the hold queue, from the database --------------------------------------------------------


def test_the_hold_queue_depth_by_reason_and_the_oldest_hold_age_come_from_the_database(guard):
    hold_for_payment(guard, "q-1")
    hold_for_payment(guard, "q-2")
    hold_for_payment(guard, "q-3")
    guard.push(guard.event("q-3", "freight", "pending", occurred_at=now().isoformat()))
    guard.record("q-4", order="closed")
    guard.check("q-4")
    holds = Hold.__table__
    with guard.engine.begin() as conn:  # the oldest hold went on the shelf two hours ago
        conn.execute(holds.update().where(holds.c.order_id == "q-1").values(since=now() - timedelta(hours=2)))

    samples = scrape(guard.client)
    assert value(samples, "guard_holds", state="held") == 3
    assert value(samples, "guard_holds", state="blocked") == 1
    assert value(samples, "guard_hold_queue_depth", reason="PAYMENT_PROCESSING") == 3
    assert value(samples, "guard_hold_queue_depth", reason="FREIGHT_UNPAID") == 1
    assert value(samples, "guard_hold_queue_depth", reason="RISK_REVIEW") == 0  # every hold reason is listed
    assert ("guard_hold_queue_depth", (("reason", "ORDER_CLOSED"),)) not in samples  # blocks are not a queue
    assert 2 * 3600 - 5 <= value(samples, "guard_hold_oldest_age_seconds") <= 2 * 3600 + 60
    with guard.engine.connect() as conn:
        overdue = conn.execute(sa.select(sa.func.count()).where(holds.c.state == "held", holds.c.overdue)).scalar_one()
    assert value(samples, "guard_holds_overdue") == overdue


def test_an_empty_queue_reports_zeroes(guard):
    samples = scrape(guard.client)
    assert value(samples, "guard_holds", state="held") == 0
    assert value(samples, "guard_hold_oldest_age_seconds") == 0
    assert value(samples, "guard_outbox_backlog") == 0


# --- cost -------------------------------------------------------------------------------------


class Statements:
    """SQL statements run on an engine by request threads (not by the embedded jobs' thread)."""

    def __init__(self, engine: sa.Engine):
        self.count = 0
        sa.event.listen(engine, "before_cursor_execute", self._seen)
        self._engine = engine

    def _seen(self, *args: Any) -> None:
        if threading.current_thread().name != "guard-jobs":
            self.count += 1

    def close(self) -> None:
        sa.event.remove(self._engine, "before_cursor_execute", self._seen)


def test_requests_never_query_the_database_for_metrics_and_scrapes_share_a_short_cache(guard):
    statements = Statements(guard.client.app.state.runtime.engine)
    try:
        for _ in range(5):
            assert guard.client.get("/healthz").status_code == 200
        assert statements.count == 0
        scrape(guard.client)
        first = statements.count
        assert first > 0  # the gauges are read at scrape time
        scrape(guard.client)
        assert statements.count == first  # within the cache: no second query
    finally:
        statements.close()


def test_a_database_that_does_not_answer_is_a_gauge_not_an_error(tmp_path):
    engine = make_engine(Settings(_env_file=None, database_url=f"sqlite:///{tmp_path}/missing/dir/guard.db"))
    try:
        body, _ = Exporter(engine, cache_s=0).render()
    finally:
        engine.dispose()
    samples = parse(body.decode())
    assert value(samples, "guard_database_up") == 0
    assert ("guard_holds", (("state", "held"),)) not in samples  # no made-up zeroes


# --- labels -----------------------------------------------------------------------------------


def test_labels_issued_and_refused_are_counted_by_source_format_and_code(guard):
    before = scrape(guard.client)
    guard.record("l-1", **CLEAR_FACTS)
    token = guard.check("l-1")["clearance"]["token"]
    auth = guard.auth()
    assert guard.client.post("/v1/labels", json={"clearance": token}, headers=auth).status_code == 201
    assert guard.client.post("/v1/labels", json={"clearance": token}, headers=auth).status_code == 409
    assert guard.client.post("/v1/labels", json={"clearance": "clr_nope"}, headers=auth).status_code == 404
    after = scrape(guard.client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("guard_labels_issued_total", kind="issue", source="guard", format="zpl") == 1
    assert delta("guard_label_refusals_total", kind="issue", code="CLEARANCE_USED") == 1
    assert delta("guard_label_refusals_total", kind="issue", code="CLEARANCE_NOT_FOUND") == 1


# --- notifications ----------------------------------------------------------------------------


class Sender:
    def __init__(self, ok: bool):
        self.ok = ok

    def send(self, notification_id: str, body: bytes, timestamp: int) -> Delivery:
        return Delivery(True) if self.ok else Delivery(False, "HTTP 500")


def test_webhook_deliveries_failures_and_the_release_latency_are_measured(quiet_guard):
    guard = quiet_guard
    hold_for_payment(guard, "n-1", station_id="pack-1")
    payment_lands(guard, "n-1")
    outbox = Notification.__table__
    with guard.engine.connect() as conn:
        [row] = conn.execute(sa.select(outbox).where(outbox.c.order_id == "n-1")).all()
    assert row.type == "hold.released"
    before = scrape(guard.client)

    report = relay(guard.engine, None, Sender(ok=False), now())
    assert report.retrying == 1
    # The receiver is back a minute later: delivered, about 60 s after the release was written.
    report = relay(guard.engine, None, Sender(ok=True), row.created_at + timedelta(seconds=60))
    assert report.delivered == 1
    after = scrape(guard.client)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("guard_webhook_deliveries_total", outcome="failed") == 1
    assert delta("guard_webhook_deliveries_total", outcome="ok") == 1
    assert delta("guard_notification_latency_seconds_count", type="hold.released") == 1
    assert delta("guard_notification_latency_seconds_sum", type="hold.released") == pytest.approx(60, abs=0.5)
    assert delta("guard_notification_latency_seconds_bucket", type="hold.released", le="30.0") == 0
    assert delta("guard_notification_latency_seconds_bucket", type="hold.released", le="60.0") == 1


def test_the_outbox_backlog_and_notifications_failed_for_good_are_reported(quiet_guard, settings):
    guard = quiet_guard
    for order_id in ("b-1", "b-2"):
        hold_for_payment(guard, order_id, station_id="pack-1")
        payment_lands(guard, order_id)
    assert value(scrape(guard.client), "guard_outbox_backlog") == 2

    before_failed = value(scrape(guard.client), "guard_notifications_failed_total", type="hold.released")
    report = relay(guard.engine, None, Sender(ok=False), now() + timedelta(hours=25))  # past the 24 h of retries
    assert report.failed == 2
    # A fresh app, so the database gauges are read again rather than from the scrape cache.
    with TestClient(create_app(settings.model_copy(update={"embedded_jobs": False}))) as client:
        samples = scrape(client)
    assert value(samples, "guard_outbox_backlog") == 0
    assert value(samples, "guard_outbox_failed") == 2
    assert value(samples, "guard_notifications_failed_total", type="hold.released") - before_failed == 2


# --- requests -----------------------------------------------------------------------------------


def test_request_latency_is_measured_per_route_template_not_per_path(guard):
    before = scrape(guard.client)
    for order_id in ("r-1", "r-2", "r-3"):
        assert guard.client.get(f"/v1/orders/{order_id}", headers=guard.auth()).status_code == 404
    assert guard.client.get("/no/such/page").status_code == 404
    after = scrape(guard.client)
    route = "/v1/orders/{order_id}"
    assert (
        value(after, "guard_http_request_duration_seconds_count", method="GET", route=route)
        - value(before, "guard_http_request_duration_seconds_count", method="GET", route=route)
    ) == 3
    assert (
        value(after, "guard_http_requests_total", method="GET", route=route, status="404")
        - value(before, "guard_http_requests_total", method="GET", route=route, status="404")
    ) == 3
    assert (
        value(after, "guard_http_requests_total", method="GET", route="unmatched", status="404")
        - value(before, "guard_http_requests_total", method="GET", route="unmatched", status="404")
    ) == 1
    assert not any("r-1" in str(labels) for _, labels in after)


def request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "guard.request"]


def test_each_request_logs_one_line_with_its_id_route_order_verdict_and_duration(guard, caplog):
    caplog.set_level(logging.INFO, logger="guard.request")
    guard.record("log-1", **{**CLEAR_FACTS, "payment": "processing"})
    caplog.clear()
    response = guard.client.post("/v1/orders/log-1/check", json={"station_id": "pack-1"}, headers=guard.auth())
    assert response.status_code == 200
    [line] = request_lines(caplog)
    assert line.getMessage() == "POST /v1/orders/{order_id}/check 200"
    assert line.route == "/v1/orders/{order_id}/check" and line.method == "POST" and line.status == 200
    assert line.order_id == "log-1" and line.verdict == "hold" and line.reasons == "PAYMENT_PROCESSING"
    assert line.request_id == response.headers["x-request-id"]
    assert isinstance(line.duration_ms, float) and line.duration_ms >= 0
    assert guard.key not in str(line.__dict__)  # never a secret


def test_a_callers_request_id_is_kept_and_a_bad_one_replaced(guard, caplog):
    caplog.set_level(logging.INFO, logger="guard.request")
    response = guard.client.get("/v1/orders/x-1", headers={**guard.auth(), "X-Request-ID": "erp-req-42"})
    assert response.headers["x-request-id"] == "erp-req-42"
    assert request_lines(caplog)[-1].request_id == "erp-req-42"
    for bad in ("bad id", "x" * 65, "a/b", "id\u00e9".encode("latin-1")):
        response = guard.client.get("/v1/orders/x-1", headers={**guard.auth(), "X-Request-ID": bad})
        made = response.headers["x-request-id"]
        assert made != bad and len(made) == 32 and made.isalnum()


def test_a_label_line_names_its_order_and_a_refusal_its_code(guard, caplog):
    caplog.set_level(logging.INFO, logger="guard.request")
    guard.record("log-2", **CLEAR_FACTS)
    token = guard.check("log-2")["clearance"]["token"]
    caplog.clear()
    guard.client.post("/v1/labels", json={"clearance": token}, headers=guard.auth())
    guard.client.post("/v1/labels", json={"clearance": token}, headers=guard.auth())
    issued, refused = request_lines(caplog)
    assert (issued.status, issued.order_id, issued.verdict) == (201, "log-2", "clear")
    assert (refused.status, refused.error) == (409, "CLEARANCE_USED")


def test_health_and_metrics_polls_stay_out_of_the_info_log(guard, caplog):
    caplog.set_level(logging.INFO, logger="guard.request")
    guard.client.get("/healthz")
    guard.client.get("/metrics")
    assert request_lines(caplog) == []


# --- several processes ----------------------------------------------------------------------------


def _python(code: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_with_a_multiprocess_directory_the_counts_of_every_process_add_up(tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    count = "from guard import metrics; metrics.CHECKS.labels(verdict='hold').inc(3)"
    _python(count, env)
    _python(count, env)
    text = _python(
        "from guard.metrics import event_registry; from prometheus_client import generate_latest; "
        "print(generate_latest(event_registry()).decode())",
        env,
    )
    assert value(parse(text), "guard_checks_total", verdict="hold") == 6


def test_a_fresh_multiprocess_directory_forgets_a_previous_run(tmp_path):
    env = {key: val for key, val in os.environ.items() if key != "PROMETHEUS_MULTIPROC_DIR"}
    # Imported first, as the CLI may have done: the switch still applies to the values made after it.
    code = (
        "import sys; from guard import metrics; metrics.use_multiprocess_dir(sys.argv[1]); "
        "metrics.CHECKS.labels(verdict='clear').inc()"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.glob("*.db"))  # shared through files, not kept in memory
    read = (
        "import os, sys; os.environ['PROMETHEUS_MULTIPROC_DIR'] = sys.argv[1]; "
        "from guard.metrics import event_registry; from prometheus_client import generate_latest; "
        "print(generate_latest(event_registry()).decode())"
    )
    first = subprocess.run([sys.executable, "-c", read, str(tmp_path)], env=env, capture_output=True, text=True)
    assert value(parse(first.stdout), "guard_checks_total", verdict="clear") == 1
    reset = "import sys; from guard import metrics; metrics.use_multiprocess_dir(sys.argv[1])"
    subprocess.run([sys.executable, "-c", reset, str(tmp_path)], env=env, check=True, timeout=60)
    again = subprocess.run([sys.executable, "-c", read, str(tmp_path)], env=env, capture_output=True, text=True)
    assert value(parse(again.stdout), "guard_checks_total", verdict="clear") == 0


# --- worker jobs ----------------------------------------------------------------------------------


def test_a_worker_job_logs_one_line_with_its_counts_and_is_counted(caplog):
    from prometheus_client import REGISTRY

    from worker.tasks import job

    def runs(outcome: str) -> float:
        return REGISTRY.get_sample_value("guard_jobs_total", {"job": "test.job", "outcome": outcome}) or 0.0

    caplog.set_level(logging.DEBUG, logger="guard.job")
    ok_before, error_before = runs("ok"), runs("error")
    with job("test.job", notification_id="ntf_1") as counts:
        counts["delivered"] = 1
    with pytest.raises(RuntimeError):
        with job("test.job"):
            raise RuntimeError("the database went away")
    with job("test.job", periodic=True) as counts:
        counts["checked"] = 0
    done, failed, idle = [record for record in caplog.records if record.name == "guard.job"]
    assert (done.levelno, done.job, done.notification_id, done.delivered) == (logging.INFO, "test.job", "ntf_1", 1)
    assert done.duration_ms >= 0 and done.request_id and done.outcome == "ok"
    assert (failed.levelno, failed.outcome) == (logging.WARNING, "error")
    assert idle.levelno == logging.DEBUG  # a sweep that found nothing stays out of the INFO log
    assert runs("ok") - ok_before == 2 and runs("error") - error_before == 1
