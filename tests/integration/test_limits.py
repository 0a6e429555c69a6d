"""Limits that protect the guard: per-key rate limit, and a bounded wait on a stuck database."""

import time

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from guard.api.app import create_app
from guard.config import Settings
from guard.db import make_engine
from guard.ratelimit import RateLimiter
from guard.services.apikeys import create_key

from support.api import CLEAR_FACTS, Guard
from support.db import empty_tables


def guard_with(settings, **overrides):
    tuned = settings.model_copy(update=overrides)
    engine = make_engine(tuned)
    key = create_key(engine, "erp", ["events", "check"], None)
    return TestClient(create_app(tuned), raise_server_exceptions=False), engine, key


def test_a_runaway_client_gets_429_with_retry_after_and_others_are_not_affected(settings):
    # A slow refill (one token per 100 s), so a loaded machine cannot refill the bucket mid-test.
    client, engine, key = guard_with(settings, rate_limit_per_s=0.01, rate_limit_burst=10)
    other = create_key(engine, "other-erp", ["check"], None)
    with client:
        statuses = [
            client.post("/v1/orders/o-1/check", headers={"Authorization": f"Bearer {key}"}).status_code
            for _ in range(15)
        ]
        assert statuses == [200] * 10 + [429] * 5
        limited = client.post("/v1/orders/o-1/check", headers={"Authorization": f"Bearer {key}"})
        assert limited.status_code == 429
        assert limited.json()["error"]["code"] == "RATE_LIMITED"
        assert int(limited.headers["Retry-After"]) >= 1
        assert client.post("/v1/orders/o-1/check", headers={"Authorization": f"Bearer {other}"}).status_code == 200
    engine.dispose()


def test_the_bucket_refills_over_time():
    now = [0.0]
    limiter = RateLimiter(rate_per_s=2, burst=2, clock=lambda: now[0])
    limiter.take(1)
    limiter.take(1)
    with pytest.raises(Exception) as refused:
        limiter.take(1)
    assert refused.value.code == "RATE_LIMITED" and refused.value.retry_after == 1
    now[0] += 0.5
    limiter.take(1)  # one token back after half a second at 2/s


@pytest.mark.postgres
def test_a_check_stuck_behind_a_lock_answers_503_in_bounded_time_never_a_verdict(postgres_url):
    settings = Settings(database_url=postgres_url, key_cache_s=0, rate_limit_per_s=0, embedded_jobs=False)
    client, engine, key = guard_with(settings, request_timeout_s=1.0)
    guard = Guard(client=client, engine=engine, key=key)
    with client:
        guard.record("o-stuck", **CLEAR_FACTS)
        blocker = engine.connect()
        transaction = blocker.begin()
        blocker.execute(sa.text("select * from orders where order_id = 'o-stuck' for update"))
        try:
            started = time.monotonic()
            response = client.post("/v1/orders/o-stuck/check", headers=guard.auth())
            elapsed = time.monotonic() - started
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "UNAVAILABLE"
            assert elapsed < 2.0
        finally:
            transaction.rollback()
            blocker.close()
        # Once the database answers again, so does the guard: no restart.
        time.sleep(0.2)
        assert guard.check("o-stuck")["verdict"] == "clear"
    engine.dispose()
    empty_tables(postgres_url)
