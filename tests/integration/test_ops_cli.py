"""The operator's commands, run as an operator runs them: the real `guard` in a subprocess.

`guard holds list`, `guard order ORDER_ID`, `guard export holds --format csv`
(every row, streamed; progress on stderr), `guard purge --older-than 180d`
(retention that never touches an open hold) and `guard config check`.
Each runs against the same database as the API under test, SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from guard.models import Decision, EventRow, Hold, Notification
from guard.services.housekeeping import count_purgeable, purge
from guard.services.outbox import relay

from support.api import CLEAR_FACTS

holds_t = Hold.__table__
events_t = EventRow.__table__
decisions_t = Decision.__table__
outbox_t = Notification.__table__


def now() -> datetime:
    return datetime.now(UTC)


def hold(guard, order_id: str, station_id: str = "pack-1", **facts: str) -> dict:
    guard.record(order_id, **{**CLEAR_FACTS, **facts})
    return guard.check(order_id, station_id=station_id)


def table_rows(output: str) -> dict[str, str]:
    lines = output.splitlines()
    return {line.split()[0]: line for line in lines[1:]}


# --- holds list -----------------------------------------------------------------------------


def test_holds_list_shows_the_held_orders_oldest_first_with_their_reasons(guard, cli):
    hold(guard, "h-1", payment="processing")
    hold(guard, "h-2", station_id="pack-2", freight="pending")
    hold(guard, "h-3", order="closed")  # blocked, not held

    done = cli("holds", "list")
    header, *lines = done.stdout.splitlines()
    for column in ("ORDER", "STATE", "SINCE", "AGE", "REASONS", "STATION", "OVERDUE"):
        assert column in header
    assert [line.split()[0] for line in lines] == ["h-1", "h-2"]
    rows = table_rows(done.stdout)
    assert "PAYMENT_PROCESSING" in rows["h-1"] and "pack-1" in rows["h-1"]
    assert "FREIGHT_UNPAID" in rows["h-2"] and "pack-2" in rows["h-2"]


def test_holds_list_filters_like_the_api(guard, cli):
    hold(guard, "f-1", payment="processing")
    hold(guard, "f-2", station_id="pack-2", freight="pending")
    hold(guard, "f-3", order="closed")
    assert list(table_rows(cli("holds", "list", "--state", "blocked").stdout)) == ["f-3"]
    assert list(table_rows(cli("holds", "list", "--reason", "FREIGHT_UNPAID").stdout)) == ["f-2"]
    assert list(table_rows(cli("holds", "list", "--station", "pack-1").stdout)) == ["f-1"]
    assert set(table_rows(cli("holds", "list", "--state", "all").stdout)) == {"f-1", "f-2", "f-3"}
    assert "no held holds" in cli("holds", "list", "--reason", "RISK_REVIEW").stdout


def test_holds_list_says_when_more_rows_than_it_shows(guard, cli):
    for n in range(3):
        hold(guard, f"m-{n}", payment="processing")
    done = cli("holds", "list", "--limit", "2")
    assert list(table_rows(done.stdout)) == ["m-0", "m-1"]
    assert "export holds" in done.stderr


def test_holds_list_refuses_an_unknown_reason_code(cli):
    done = cli("holds", "list", "--reason", "NOT_A_CODE", ok=False)
    assert done.returncode != 0 and "reason" in done.stderr


# --- order ORDER_ID -------------------------------------------------------------------------


def test_order_shows_its_facts_verdict_hold_and_history(guard, cli):
    hold(guard, "o-1", payment="processing")
    guard.check("o-1", station_id="pack-1", operator="li")

    out = cli("order", "o-1").stdout
    assert "verdict: HOLD" in out
    assert "PAYMENT_PROCESSING" in out
    assert "hold: held since" in out
    facts = out.split("facts:")[1].split("history")[0]
    assert "payment" in facts and "processing" in facts and "shipping_notice" in facts and "recorded" in facts
    history = out.split("history")[1].splitlines()[1:]
    assert len([line for line in history if " check " in line]) == 2
    assert any("li" in line.split() for line in history)


def test_order_as_json_has_the_order_and_its_decisions(guard, cli):
    hold(guard, "o-2", payment="processing")
    data = json.loads(cli("order", "o-2", "--json").stdout)
    assert data["order"]["verdict"] == "hold"
    assert data["order"]["facts"]["payment"]["status"] == "processing"
    assert [item["kind"] for item in data["decisions"]] == ["check"]


def test_an_order_checked_before_any_fact_shows_its_history(guard, cli):
    guard.check("o-unknown", station_id="pack-1")
    out = cli("order", "o-unknown").stdout
    assert "no facts" in out and "ORDER_UNKNOWN" in out


def test_an_unknown_order_exits_non_zero(cli):
    done = cli("order", "nobody", ok=False)
    assert done.returncode != 0 and "nobody" in done.stderr
    bad = cli("order", "a/b", ok=False)
    assert bad.returncode != 0


# --- export holds -----------------------------------------------------------------------------


def insert_holds(
    engine: sa.Engine, count: int, state: str = "held", prefix: str = "x", start: datetime | None = None
) -> None:
    start = start or now() - timedelta(days=1)
    rows = [
        {
            "order_id": f"{prefix}-{n:05d}",
            "store_id": "shop-1",
            "state": state,
            "reasons": ["PAYMENT_PROCESSING"],
            "since": start + timedelta(seconds=n),
            "station_id": "pack-1",
            "recheck_at": None,
            "recheck_count": 0,
            "overdue": False,
            "updated_at": start,
        }
        for n in range(count)
    ]
    with engine.begin() as conn:
        conn.execute(holds_t.insert(), rows)


def test_export_streams_every_hold_as_csv_with_progress_on_stderr(guard, cli):
    insert_holds(guard.engine, 2345)  # more than one streamed chunk
    insert_holds(guard.engine, 7, state="blocked", prefix="b", start=now())
    done = cli.process("export", "holds", "--format", "csv")
    text = done.stdout.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert len(rows) == 2345 + 7
    assert [row["order_id"] for row in rows[:3]] == ["x-00000", "x-00001", "x-00002"]  # oldest first
    assert rows[-1]["order_id"] == "b-00006"
    assert rows[0]["reasons"] == "PAYMENT_PROCESSING" and rows[0]["state"] == "held"
    assert text.startswith("order_id,parcel_id,state,") and text.count("\r\n") == 1 + 2345 + 7
    assert "2,352" in done.stderr.decode()  # the progress bar's label, on stderr only
    assert "exporting" not in text


def test_export_takes_the_hold_filters(guard, cli):
    insert_holds(guard.engine, 5)
    insert_holds(guard.engine, 3, state="blocked", prefix="b", start=now())
    rows = list(csv.DictReader(io.StringIO(cli("export", "holds", "--format", "csv", "--state", "blocked").stdout)))
    assert [row["order_id"] for row in rows] == ["b-00000", "b-00001", "b-00002"]


def test_export_needs_a_known_format(cli):
    assert cli("export", "holds", "--format", "xlsx", ok=False).returncode != 0
    assert cli("export", "holds", ok=False).returncode != 0


# --- purge ------------------------------------------------------------------------------------------

OLD = timedelta(days=200)
RECENT = timedelta(days=10)


def seed_history(engine: sa.Engine) -> None:
    """Old and recent rows of every kind, for an order with an open hold and for finished ones."""
    t = now()

    def event(event_id: str, order_id: str, age: timedelta) -> dict:
        return {
            "event_id": event_id,
            "order_id": order_id,
            "fact_type": "payment",
            "status": "paid",
            "occurred_at": t - age,
            "received_at": t - age,
            "outcome": "applied",
            "payload": {},
        }

    def decision(decision_id: str, order_id: str, age: timedelta) -> dict:
        return {
            "decision_id": decision_id,
            "order_id": order_id,
            "kind": "check",
            "verdict": "clear",
            "reasons": [],
            "waived": [],
            "facts": {},
            "decided_at": t - age,
        }

    def notification(notification_id: str, age: timedelta, **state: object) -> dict:
        values = {
            "notification_id": notification_id,
            "type": "hold.released",
            "order_id": "done-1",
            "body": {},
            "created_at": t - age,
            "next_attempt_at": None,
            "delivered_at": None,
            "failed_at": None,
            "attempts": 1,
        }
        return {**values, **state}

    def hold_row(order_id: str, state: str, age: timedelta) -> dict:
        return {
            "order_id": order_id,
            "state": state,
            "reasons": [] if state == "released" else ["RISK_REVIEW"],
            "since": t - age,
            "recheck_count": 0,
            "overdue": False,
            "updated_at": t - age,
        }

    with engine.begin() as conn:
        conn.execute(
            events_t.insert(),
            [
                event("e-old-done", "done-1", OLD),
                event("e-old-done-2", "done-2", OLD),
                event("e-old-held", "still-held", OLD),
                event("e-old-blocked", "still-blocked", OLD),
                event("e-recent", "done-1", RECENT),
            ],
        )
        conn.execute(
            decisions_t.insert(),
            [
                decision("d-old-done", "done-1", OLD),
                decision("d-old-held", "still-held", OLD),
                decision("d-recent", "done-1", RECENT),
            ],
        )
        conn.execute(
            outbox_t.insert(),
            [
                notification("n-old-delivered", OLD, delivered_at=t - OLD),
                notification("n-old-failed", OLD, failed_at=t - OLD + timedelta(days=1)),
                notification(
                    "n-old-pending", OLD, next_attempt_at=t + timedelta(hours=1)
                ),  # a retry not yet due (a due one the jobs deliver)
                notification("n-recent-delivered", RECENT, delivered_at=t - RECENT),
            ],
        )
        conn.execute(
            holds_t.insert(),
            [
                hold_row("done-1", "released", OLD),
                hold_row("still-held", "held", OLD),
                hold_row("still-blocked", "blocked", OLD),
                hold_row("done-2", "released", RECENT),
            ],
        )


def remaining(engine: sa.Engine) -> dict[str, set[str]]:
    with engine.connect() as conn:
        return {
            "events": set(conn.execute(sa.select(events_t.c.event_id)).scalars()),
            "decisions": set(conn.execute(sa.select(decisions_t.c.decision_id)).scalars()),
            "outbox": set(conn.execute(sa.select(outbox_t.c.notification_id)).scalars()),
            "holds": set(conn.execute(sa.select(holds_t.c.order_id)).scalars()),
        }


def test_purge_removes_old_history_but_never_an_open_hold_or_its_audit(guard, cli):
    seed_history(guard.engine)
    before = remaining(guard.engine)

    dry = cli("purge", "--older-than", "180d", "--dry-run")
    assert "2 events, 1 decisions, 2 notifications, 1 released holds" in dry.stdout
    assert remaining(guard.engine) == before  # a dry run deletes nothing

    done = cli("purge", "--older-than", "180d")
    assert "2 events, 1 decisions, 2 notifications, 1 released holds" in done.stdout
    assert "purging" in done.stderr  # progress on stderr
    left = remaining(guard.engine)
    assert left["events"] == {"e-old-held", "e-old-blocked", "e-recent"}
    assert left["decisions"] == {"d-old-held", "d-recent"}
    assert left["outbox"] == {"n-old-pending", "n-recent-delivered"}  # still being delivered: kept
    assert left["holds"] == {"still-held", "still-blocked", "done-2"}

    again = cli("purge", "--older-than", "180d")
    assert "0 events, 0 decisions, 0 notifications, 0 released holds" in again.stdout


def test_purge_counts_hours_too(guard, cli):
    seed_history(guard.engine)
    done = cli("purge", "--older-than", f"{24 * 30}h")  # 30 days: the recent rows (10 days) stay
    assert "2 events, 1 decisions, 2 notifications, 1 released holds" in done.stdout
    done = cli("purge", "--older-than", "5d")
    assert "1 events, 1 decisions, 1 notifications, 1 released holds" in done.stdout
    assert remaining(guard.engine)["holds"] == {"still-held", "still-blocked"}


@pytest.mark.parametrize("age", ["180", "180x", "0d", "-5d", "d", "1.5d"])
def test_purge_refuses_an_age_it_cannot_read(cli, age):
    done = cli("purge", "--older-than", age, ok=False)
    assert done.returncode == 2 and "--older-than" in done.stderr


def test_purge_works_in_chunks_until_nothing_old_is_left(guard):
    t = now()
    with guard.engine.begin() as conn:
        conn.execute(
            decisions_t.insert(),
            [
                {
                    "decision_id": f"d-{n}",
                    "order_id": f"o-{n}",
                    "kind": "check",
                    "verdict": "clear",
                    "reasons": [],
                    "waived": [],
                    "facts": {},
                    "decided_at": t - OLD,
                }
                for n in range(7)
            ],
        )
    cutoff = t - timedelta(days=180)
    assert count_purgeable(guard.engine, cutoff).decisions == 7
    seen: list[int] = []
    counts = purge(guard.engine, cutoff, seen.append, chunk=3)
    assert counts.decisions == 7 and counts.total == 7
    assert sum(seen) == 7
    assert count_purgeable(guard.engine, cutoff).total == 0


# --- notifications ------------------------------------------------------------------------------------


def test_notifications_list_shows_what_no_webhook_received_as_skipped_not_delivered(guard, cli):
    hold(guard, "o-skip", payment="processing")
    guard.push(guard.event("o-skip", "payment", "paid", 30))  # released: a hold.released notification
    relay(guard.engine, None, None, now())  # no GUARD_WEBHOOK_URL (the embedded jobs may have done it already)

    def relayed() -> bool:
        with guard.engine.connect() as conn:
            due = sa.select(outbox_t.c.id).where(
                outbox_t.c.order_id == "o-skip", outbox_t.c.next_attempt_at.is_not(None)
            )
            return conn.execute(due).first() is None

    deadline = datetime.now(UTC) + timedelta(seconds=30)
    while not relayed():  # an embedded relay holds its lease only while it works
        assert datetime.now(UTC) < deadline, "the notification was never relayed"
        relay(guard.engine, None, None, now() + timedelta(minutes=2))

    skipped = cli("notifications", "list", "--state", "skipped").stdout
    assert "hold.released" in skipped and "o-skip" in skipped and "no webhook URL" in skipped
    assert "o-skip" not in cli("notifications", "list", "--state", "delivered").stdout


# --- config check ------------------------------------------------------------------------------------


def test_config_check_masks_secrets_and_fails_on_an_unsafe_production_setting(cli):
    done = cli("config", "check", GUARD_WEBHOOK_SECRET="whsec-do-not-print")
    assert "GUARD_WEBHOOK_SECRET" in done.stdout and "whsec-do-not-print" not in done.stdout + done.stderr

    unsafe = cli("config", "check", ok=False, GUARD_ENV="production", GUARD_WEBHOOK_URL="https://erp.example/h")
    assert unsafe.returncode == 1
    assert "GUARD_WEBHOOK_SECRET" in unsafe.stderr
