"""Exactly one label per clearance, however many requests race for it (a real server, PostgreSQL)."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import httpx
import pytest

from support.db import empty_tables
from support.processes import guard_env, run_guard, serve


@pytest.mark.postgres
def test_many_concurrent_label_requests_with_one_token_issue_exactly_one_label(tmp_path, postgres_url):
    env = guard_env(GUARD_DATABASE_URL=postgres_url)
    process, base = serve(tmp_path, env)
    try:
        created = run_guard(
            "apikey",
            "create",
            "race",
            "--scope",
            "events",
            "--scope",
            "check",
            "--scope",
            "labels",
            cwd=tmp_path,
            env=env,
        )
        auth = {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}
        facts = [("payment", "paid"), ("risk", "cleared"), ("shipping_notice", "recorded")]
        events = [
            {
                "event_id": f"race-{i}-{n}",
                "order_id": f"race-{i}",
                "type": t,
                "status": s,
                "occurred_at": "2026-11-11T00:05:00+08:00",
                "tracking_number": f"LP{i}",
            }
            for i in range(5)
            for n, (t, s) in enumerate(facts)
        ]
        assert httpx.post(f"{base}/v1/events", json={"events": events}, headers=auth).status_code == 200
        with httpx.Client(base_url=base, headers=auth, timeout=30, limits=httpx.Limits(max_connections=32)) as client:
            for i in range(5):
                token = client.post(f"/v1/orders/race-{i}/check").json()["clearance"]["token"]
                start = Barrier(24)

                def claim(_):
                    start.wait()
                    return client.post("/v1/labels", json={"clearance": token, "station_id": "pack-01"})

                with ThreadPoolExecutor(24) as pool:
                    responses = list(pool.map(claim, range(24)))
                statuses = sorted(r.status_code for r in responses)
                assert statuses == [201] + [409] * 23, statuses
                assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {"CLEARANCE_USED"}
                order = client.get(f"/v1/orders/race-{i}").json()
                assert len(order["labels"]) == 1
    finally:
        process.terminate()
        process.wait(timeout=10)
        empty_tables(postgres_url)


@pytest.mark.postgres
def test_concurrent_checks_of_one_parcel_on_two_workers_leave_only_the_last_clearance_live(tmp_path, postgres_url):
    # The single check on the event loop (guard/db_async.py) still serialises one parcel's
    # checks on the order's row lock, across processes: each new clearance voids the one before.
    env = guard_env(GUARD_DATABASE_URL=postgres_url, GUARD_WORKERS="2")
    process, base = serve(tmp_path, env)
    try:
        created = run_guard(
            "apikey",
            "create",
            "checks",
            "--scope",
            "events",
            "--scope",
            "check",
            "--scope",
            "labels",
            cwd=tmp_path,
            env=env,
        )
        auth = {"Authorization": f"Bearer {created.stdout.strip().splitlines()[-1]}"}
        facts = [("payment", "paid"), ("risk", "cleared"), ("shipping_notice", "recorded")]
        events = [
            {
                "event_id": f"checks-{n}",
                "order_id": "checks-1",
                "type": t,
                "status": s,
                "occurred_at": "2026-11-11T00:05:00+08:00",
                "tracking_number": "LP9",
            }
            for n, (t, s) in enumerate(facts)
        ]
        assert httpx.post(f"{base}/v1/events", json={"events": events}, headers=auth).status_code == 200
        with httpx.Client(base_url=base, headers=auth, timeout=30, limits=httpx.Limits(max_connections=32)) as client:
            start = Barrier(24)

            def check(_):
                start.wait()
                return client.post("/v1/orders/checks-1/check", json={"station_id": "pack-01"})

            with ThreadPoolExecutor(24) as pool:
                answers = list(pool.map(check, range(24)))
            assert [a.status_code for a in answers] == [200] * 24, [a.text for a in answers if a.status_code != 200]
            tokens = [a.json()["clearance"]["token"] for a in answers]
            assert len(set(tokens)) == 24
            # Exactly one of them still prints a label; every other one was voided by a later check.
            labelled = [
                client.post("/v1/labels", json={"clearance": token, "station_id": "pack-01"}) for token in tokens
            ]
            assert sorted(r.status_code for r in labelled) == [201] + [409] * 23
            assert {r.json()["error"]["code"] for r in labelled if r.status_code == 409} == {"CLEARANCE_USED"}
    finally:
        process.terminate()
        process.wait(timeout=10)
        empty_tables(postgres_url)
