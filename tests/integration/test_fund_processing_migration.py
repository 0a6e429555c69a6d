"""Upgrading re-derives what the old words stored: FUND_PROCESSING was stored as a waivable
payment `processing`, IN_ISSUE as a risk review. After `guard db upgrade` such orders hold
for the settlement or the dispute, and a waiver granted on the old fact is gone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from guard.config import Settings
from guard.db import upgrade
from guard.models import UTCDateTime
from guard.rules import evaluate
from guard.storage.state import load_states

from support.db import scratch_postgres

T = datetime(2026, 11, 10, 16, 0, tzinfo=UTC)
BEFORE = "0002"  # the schema the guard ran before v1.1: its rows are what the upgrade meets


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def old_database(request, tmp_path) -> Iterator[str]:
    """A database at the schema just before the re-derivation (what an upgrading guard has)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        upgrade(Settings(database_url=url), BEFORE)
        yield url
        return
    with scratch_postgres(BEFORE) as url:
        yield url


def _t(name):
    meta = sa.MetaData()
    columns = {
        "events": ["event_id", "order_id", "fact_type", "status", "occurred_at", "received_at", "outcome", "payload"],
        "facts": ["order_id", "fact_type", "status", "occurred_at", "event_id", "tracking_number", "updated_at"],
        "waivers": ["order_id", "code", "fact_stamp", "note", "granted_at", "decision_id"],
        "holds": ["order_id", "state", "reasons", "since", "recheck_at", "recheck_count", "overdue", "updated_at"],
        "orders": ["order_id", "created_at", "updated_at"],
    }[name]
    types = {"payload": sa.JSON, "reasons": sa.JSON, "recheck_count": sa.Integer, "overdue": sa.Boolean}
    times = {"occurred_at", "received_at", "updated_at", "granted_at", "since", "recheck_at", "created_at"}
    return sa.Table(
        name, meta, *(sa.Column(c, UTCDateTime() if c in times else types.get(c, sa.String)) for c in columns)
    )


def old_guard_stored(conn, order_id, events, facts, waiver=None, hold=None):
    """Rows as the guard before the correction wrote them."""
    conn.execute(_t("orders").insert(), [{"order_id": order_id, "created_at": T, "updated_at": T}])
    conn.execute(
        _t("events").insert(),
        [
            {
                "event_id": event_id,
                "order_id": order_id,
                "fact_type": payload["type"],
                "status": payload["status"],
                "occurred_at": at,
                "received_at": at,
                "outcome": "applied",
                "payload": {"event_id": event_id, "order_id": order_id, "occurred_at": at.isoformat(), **payload},
            }
            for event_id, at, payload in events
        ],
    )
    conn.execute(
        _t("facts").insert(),
        [
            {"order_id": order_id, "fact_type": kind, "status": status, "occurred_at": at, "event_id": event_id}
            | {"tracking_number": "LP1" if kind == "shipping_notice" else None, "updated_at": T}
            for kind, status, at, event_id in facts
        ],
    )
    if waiver:
        conn.execute(
            _t("waivers").insert(),
            [
                {"order_id": order_id, "code": waiver[0], "fact_stamp": waiver[1], "note": "ok"}
                | {"granted_at": T, "decision_id": "dec-1"}
            ],
        )
    if hold:
        conn.execute(
            _t("holds").insert(),
            [
                {"order_id": order_id, "state": hold, "reasons": [], "since": T, "recheck_at": T + timedelta(days=1)}
                | {"recheck_count": 0, "overdue": False, "updated_at": T}
            ],
        )


def ae(status, **extra):
    return {"type": "platform_status", "platform": "aliexpress", "status": status, **extra}


def test_fund_processing_becomes_a_settlement_and_its_waiver_goes(old_database):
    engine = sa.create_engine(old_database)
    t1, t2, t3 = T, T + timedelta(hours=1), T + timedelta(hours=2)
    with engine.begin() as conn:
        old_guard_stored(
            conn,
            "fp-1",
            events=[
                ("e1", t1, ae("WAIT_SELLER_SEND_GOODS")),
                ("e2", t2, {"type": "shipping_notice", "status": "recorded", "tracking_number": "LP1"}),
                ("e3", t3, ae("FUND_PROCESSING")),
            ],
            facts=[
                ("payment", "processing", t3, "e3"),
                ("risk", "cleared", t1, "e1"),
                ("cancellation", "none", t1, "e1"),
                ("shipping_notice", "recorded", t2, "e2"),
            ],
            waiver=("PAYMENT_PROCESSING", "e3"),
            hold="released",
        )
        # A plain `payment processing` event and its waiver are not the platform's word: untouched.
        old_guard_stored(
            conn,
            "plain-1",
            events=[("p1", t1, {"type": "payment", "status": "processing"})],
            facts=[("payment", "processing", t1, "p1")],
            waiver=("PAYMENT_PROCESSING", "p1"),
        )
    upgrade(Settings(database_url=old_database))
    with engine.begin() as conn:
        states = load_states(conn, ["fp-1", "plain-1"])
        waivers = conn.execute(sa.text("SELECT order_id, fact_stamp FROM waivers")).all()
    engine.dispose()
    fp = states["fp-1"]
    assert {kind: fact.status for kind, fact in fp.facts.items()} == {
        "payment": "paid",
        "risk": "cleared",
        "cancellation": "none",
        "settlement": "processing",
    }
    assert fp.parcels["1"].notice.status == "recorded"  # the notice is parcel 1's now
    assert fp.facts["settlement"].event_id == "e3" and fp.facts["payment"].event_id == "e1"
    assert evaluate(fp.parcel_facts("1"), t3, waivers=fp.waivers).codes == ["FUNDS_IN_SETTLEMENT"]
    assert waivers == [("plain-1", "p1")]
    assert states["plain-1"].facts["payment"].status == "processing"


def test_in_issue_becomes_a_dispute_and_the_held_order_is_rechecked_now(old_database):
    engine = sa.create_engine(old_database)
    with engine.begin() as conn:
        old_guard_stored(
            conn,
            "is-1",
            events=[("i1", T, ae("IN_ISSUE"))],
            facts=[("risk", "reviewing", T, "i1")],
            hold="held",
        )
    before = datetime.now(UTC)
    upgrade(Settings(database_url=old_database))
    with engine.begin() as conn:
        state = load_states(conn, ["is-1"])["is-1"]
        recheck_at = conn.execute(_t("holds").select()).mappings().one()["recheck_at"]
    engine.dispose()
    assert {kind: fact.status for kind, fact in state.facts.items()} == {
        "payment": "paid",
        "dispute": "open",
        "settlement": "none",
    }
    assert evaluate(state.parcel_facts("1"), T).codes == ["DISPUTE_OPEN", "SHIPPING_NOTICE_MISSING"]
    assert recheck_at <= datetime.now(UTC) and recheck_at >= before - timedelta(seconds=1)
