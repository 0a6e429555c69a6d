"""The re-check sweep (contract, "Holds"; design, "Re-checks"), driven with an explicit clock.

Holds are placed through the API at the real time; the sweep is then run by hand
at chosen later instants (`recheck_due(engine, settings, now)`), with the app's
own background jobs switched off so nothing runs behind the test's back.
Escalation ages count from the fact's source time, so facts here carry source
times just before the real now.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from guard.config import Settings
from guard.models import Hold
from guard.services.recheck import SweepReport, recheck_due

from support.api import CLEAR_FACTS, Guard


def real_now() -> datetime:
    return datetime.now(UTC)


def place(
    guard: Guard,
    order_id: str,
    *,
    source_time: datetime | None = None,
    station_id: str | None = None,
    store_id: str | None = None,
    ship_by: datetime | None = None,
    **facts: str,
) -> dict:
    """Record an order (CLEAR_FACTS with `facts` swapped in) and check it; returns the check."""
    when = (source_time or real_now() - timedelta(minutes=1)).isoformat()
    events = []
    for fact_type, status in {**CLEAR_FACTS, **facts}.items():
        extra: dict[str, Any] = {"occurred_at": when}
        if status in ("tracking_assigned", "recorded"):
            extra["tracking_number"] = f"LP-{order_id}"
        if store_id is not None:
            extra["store_id"] = store_id
        if ship_by is not None:
            extra["ship_by"] = ship_by.isoformat()
        events.append(guard.event(order_id, fact_type, status, **extra))
    guard.push(*events)
    return guard.check(order_id, **({"station_id": station_id} if station_id else {}))


def hold_row(guard: Guard, order_id: str) -> dict:
    with guard.engine.connect() as conn:
        row = conn.execute(sa.select(Hold.__table__).where(Hold.__table__.c.order_id == order_id)).mappings().one()
    return dict(row)


def notifications(guard: Guard, order_id: str, kind: str | None = None) -> list[dict]:
    """The bodies of the order's outbox rows, oldest first."""
    query = "SELECT type, body FROM outbox WHERE order_id = :o ORDER BY id"
    with guard.engine.connect() as conn:
        rows = conn.execute(sa.text(query), {"o": order_id}).all()
    bodies = []
    for kind_, body in rows:
        if isinstance(body, str):  # SQLite hands JSON back as text through sa.text()
            body = json.loads(body)
        if kind is None or kind_ == kind:
            bodies.append(body)
    return bodies


def types(guard: Guard, order_id: str) -> list[str]:
    with guard.engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT type FROM outbox WHERE order_id = :o ORDER BY id"), {"o": order_id})
            .scalars()
            .all()
        )


def decision_kinds(guard: Guard, order_id: str) -> list[tuple]:
    items = guard.client.get(f"/v1/orders/{order_id}/decisions", headers=guard.auth()).json()["items"]
    return [(d["kind"], d["verdict"], d["key_name"], d["note"]) for d in items]


def sweep(settings: Settings, guard: Guard, now: datetime, limit: int = 500) -> SweepReport:
    """One full sweep at `now`: chunk after chunk until a short one."""
    total = SweepReport()
    while True:
        report = recheck_due(guard.engine, settings, now, limit)
        total.checked += report.checked
        total.notifications += report.notifications
        for state, count in report.states.items():
            total.states[state] = total.states.get(state, 0) + count
        if report.checked < limit:
            return total


def overdue_list(guard: Guard) -> list[str]:
    response = guard.client.get("/v1/holds", params={"overdue": "true"}, headers=guard.auth())
    assert response.status_code == 200, response.text
    return [item["order_id"] for item in response.json()["items"]]


# -- the sweep ---------------------------------------------------------------------------------


def test_a_due_hold_that_found_nothing_new_stays_held_and_asks_the_erp_to_resync(quiet_guard, quiet_settings):
    place(quiet_guard, "o-1", station_id="pack-1", store_id="shop-1", payment="processing")
    before = hold_row(quiet_guard, "o-1")
    decisions_before = decision_kinds(quiet_guard, "o-1")
    now = before["recheck_at"] + timedelta(seconds=1)

    report = recheck_due(quiet_guard.engine, quiet_settings, now)

    assert (report.checked, report.states) == (1, {"held": 1})
    after = hold_row(quiet_guard, "o-1")
    assert after["state"] == "held" and after["reasons"] == ["PAYMENT_PROCESSING"]
    assert after["since"] == before["since"]
    assert after["recheck_count"] == before["recheck_count"] + 1 == 1
    assert after["recheck_at"] > now  # looked at again later, on the reason's schedule
    assert after["recheck_at"] == now + timedelta(minutes=30)
    assert after["overdue"] is False
    [refresh] = notifications(quiet_guard, "o-1", "hold.refresh_requested")
    assert report.notifications == [refresh["id"]]
    assert refresh["data"]["order_id"] == "o-1" and refresh["data"]["store_id"] == "shop-1"
    assert refresh["data"]["station_id"] == "pack-1"
    assert refresh["data"]["reasons"] == ["PAYMENT_PROCESSING"]
    assert refresh["data"]["hold"]["state"] == "held"
    assert decision_kinds(quiet_guard, "o-1") == decisions_before  # nothing was decided


def test_each_re_check_that_finds_nothing_new_asks_again(quiet_guard, quiet_settings):
    place(quiet_guard, "o-1", payment="processing")
    now = hold_row(quiet_guard, "o-1")["recheck_at"]
    for _ in range(3):
        assert recheck_due(quiet_guard.engine, quiet_settings, now).checked == 1
        now = hold_row(quiet_guard, "o-1")["recheck_at"]
    assert hold_row(quiet_guard, "o-1")["recheck_count"] == 3
    assert types(quiet_guard, "o-1") == ["hold.refresh_requested"] * 3


def test_a_hold_not_yet_due_is_left_alone(quiet_guard, quiet_settings):
    place(quiet_guard, "o-1", payment="processing")
    before = hold_row(quiet_guard, "o-1")

    report = recheck_due(quiet_guard.engine, quiet_settings, before["recheck_at"] - timedelta(seconds=1))

    assert (report.checked, report.notifications) == (0, [])
    assert hold_row(quiet_guard, "o-1") == before
    assert types(quiet_guard, "o-1") == []


def test_blocked_and_released_holds_are_never_re_checked(quiet_guard, quiet_settings):
    assert place(quiet_guard, "o-blk", risk="closed")["hold"]["state"] == "blocked"
    place(quiet_guard, "o-rel", payment="processing")
    quiet_guard.push(quiet_guard.event("o-rel", "payment", "paid", occurred_at=real_now().isoformat()))
    blocked, released = hold_row(quiet_guard, "o-blk"), hold_row(quiet_guard, "o-rel")
    assert released["state"] == "released"

    assert recheck_due(quiet_guard.engine, quiet_settings, real_now() + timedelta(days=2)).checked == 0
    assert (hold_row(quiet_guard, "o-blk"), hold_row(quiet_guard, "o-rel")) == (blocked, released)


def test_the_sweep_takes_due_holds_in_chunks_earliest_first(quiet_guard, quiet_settings):
    place(quiet_guard, "o-slow", payment="processing")  # re-check in 30 min
    place(quiet_guard, "o-notice", shipping_notice="missing")  # in 5 min
    place(quiet_guard, "o-freight", freight="pending")  # in 10 min
    now = real_now() + timedelta(hours=1)

    first = recheck_due(quiet_guard.engine, quiet_settings, now, limit=2)
    assert first.checked == 2
    assert hold_row(quiet_guard, "o-slow")["recheck_count"] == 0
    assert [hold_row(quiet_guard, o)["recheck_count"] for o in ("o-notice", "o-freight")] == [1, 1]

    second = recheck_due(quiet_guard.engine, quiet_settings, now, limit=2)
    assert second.checked == 1
    assert hold_row(quiet_guard, "o-slow")["recheck_count"] == 1
    assert recheck_due(quiet_guard.engine, quiet_settings, now, limit=2).checked == 0


def test_the_sweep_releases_a_hold_left_behind_by_a_lost_race(quiet_guard, quiet_settings):
    # A check of a still unknown order and the ERP's first events can cross on
    # PostgreSQL: the events commit first and find no hold to re-evaluate, then the
    # check writes its ORDER_UNKNOWN hold. Nothing else will look at that hold
    # again, so the sweep must. The row below is what the check leaves behind.
    placed = real_now() - timedelta(minutes=6)
    quiet_guard.record("o-race", **CLEAR_FACTS)
    with quiet_guard.engine.begin() as conn:
        conn.execute(
            Hold.__table__.insert().values(
                order_id="o-race",
                store_id=None,
                state="held",
                reasons=["ORDER_UNKNOWN"],
                since=placed,
                station_id="pack-3",
                recheck_at=placed + timedelta(minutes=5),
                recheck_count=0,
                overdue=False,
                updated_at=placed,
            )
        )

    now = real_now()
    report = recheck_due(quiet_guard.engine, quiet_settings, now)

    assert (report.checked, report.states) == (1, {"released": 1})
    released = hold_row(quiet_guard, "o-race")
    assert (released["state"], released["reasons"], released["recheck_at"]) == ("released", [], None)
    assert decision_kinds(quiet_guard, "o-race")[0] == ("release", "clear", None, "automatic")
    [notice] = notifications(quiet_guard, "o-race")
    assert notice["type"] == "hold.released" and report.notifications == [notice["id"]]
    assert notice["data"]["reasons"] == ["ORDER_UNKNOWN"] and notice["data"]["station_id"] == "pack-3"
    assert quiet_guard.check("o-race")["verdict"] == "clear"


def test_the_sweep_releases_holds_a_stores_new_rules_no_longer_apply_to(quiet_guard, tmp_path, database_url):
    place(quiet_guard, "o-prepaid", store_id="shop-prepaid", freight="pending")
    place(quiet_guard, "o-other", store_id="shop-other", freight="pending")
    # The operator learns this store prepays freight by contract, switches the rule
    # off for it and restarts: its held orders are released on their next re-check.
    rules = tmp_path / "rules.toml"
    rules.write_text('[stores."shop-prepaid".FREIGHT_UNPAID]\nenabled = false\n', encoding="utf-8")
    restarted = Settings(
        database_url=database_url,
        key_cache_s=0,
        redis_url=None,
        webhook_url=None,
        rules_file=rules,
        embedded_jobs=False,
    )

    report = sweep(restarted, quiet_guard, real_now() + timedelta(minutes=11))

    assert report.states == {"released": 1, "held": 1}
    assert hold_row(quiet_guard, "o-prepaid")["state"] == "released"
    assert decision_kinds(quiet_guard, "o-prepaid")[0] == ("release", "clear", None, "automatic")
    assert types(quiet_guard, "o-prepaid") == ["hold.released"]
    assert hold_row(quiet_guard, "o-other")["state"] == "held"
    assert types(quiet_guard, "o-other") == ["hold.refresh_requested"]


# -- escalation --------------------------------------------------------------------------------


def test_payment_processing_past_six_hours_becomes_overdue_once(quiet_guard, quiet_settings):
    start = real_now()
    place(quiet_guard, "o-pay", station_id="pack-1", source_time=start - timedelta(minutes=1), payment="processing")

    sweep(quiet_settings, quiet_guard, start + timedelta(hours=5))
    assert hold_row(quiet_guard, "o-pay")["overdue"] is False
    assert notifications(quiet_guard, "o-pay", "hold.overdue") == []

    sweep(quiet_settings, quiet_guard, start + timedelta(hours=7))
    row = hold_row(quiet_guard, "o-pay")
    assert (row["state"], row["overdue"]) == ("held", True)
    [overdue] = notifications(quiet_guard, "o-pay", "hold.overdue")
    assert overdue["data"]["overdue_because"] == ["PAYMENT_PROCESSING"]
    assert overdue["data"]["reasons"] == ["PAYMENT_PROCESSING"] and overdue["data"]["station_id"] == "pack-1"
    assert overdue_list(quiet_guard) == ["o-pay"]

    # The next re-check still finds it overdue: it asks for a re-sync again, but
    # the supervisor is told only once.
    report = sweep(quiet_settings, quiet_guard, start + timedelta(hours=7, minutes=31))
    assert report.checked == 1
    assert hold_row(quiet_guard, "o-pay")["overdue"] is True
    assert len(notifications(quiet_guard, "o-pay", "hold.overdue")) == 1
    assert types(quiet_guard, "o-pay").count("hold.refresh_requested") == 3


def test_payment_age_counts_from_the_source_time_not_from_the_scan(quiet_guard, quiet_settings):
    # Processing since 5 h 50 min at the platform, scanned only now: overdue in 10 minutes.
    start = real_now()
    place(quiet_guard, "o-pay", source_time=start - timedelta(hours=5, minutes=50), payment="processing")
    assert hold_row(quiet_guard, "o-pay")["overdue"] is False
    sweep(quiet_settings, quiet_guard, start + timedelta(minutes=31))
    assert hold_row(quiet_guard, "o-pay")["overdue"] is True
    assert types(quiet_guard, "o-pay") == ["hold.overdue", "hold.refresh_requested"]


def test_freight_unpaid_becomes_overdue_after_the_third_re_check(quiet_guard, quiet_settings):
    start = real_now()
    place(quiet_guard, "o-frt", freight="pending")
    for minutes, overdue in ((11, False), (22, False), (33, True), (44, True)):
        sweep(quiet_settings, quiet_guard, start + timedelta(minutes=minutes))
        assert hold_row(quiet_guard, "o-frt")["overdue"] is overdue, minutes
    assert hold_row(quiet_guard, "o-frt")["recheck_count"] == 4
    [overdue] = notifications(quiet_guard, "o-frt", "hold.overdue")
    assert overdue["data"]["overdue_because"] == ["FREIGHT_UNPAID"]
    refresh = "hold.refresh_requested"
    assert types(quiet_guard, "o-frt") == [refresh, refresh, "hold.overdue", refresh, refresh]


def test_a_hold_within_twelve_hours_of_ship_by_is_overdue(quiet_guard, quiet_settings):
    start = real_now()
    # Reasons that never escalate on their own: only the deadline can make these overdue.
    place(quiet_guard, "o-later", ship_by=start + timedelta(hours=20), shipping_notice="awaiting_tracking")
    place(quiet_guard, "o-soon", ship_by=start + timedelta(hours=10), risk="reviewing")
    # Held within 12 h of the deadline: overdue at once, by the check itself.
    assert hold_row(quiet_guard, "o-soon")["overdue"] is True
    [soon] = notifications(quiet_guard, "o-soon", "hold.overdue")
    assert soon["data"]["overdue_because"] == ["SHIP_BY_NEAR"]
    assert hold_row(quiet_guard, "o-later")["overdue"] is False

    sweep(quiet_settings, quiet_guard, start + timedelta(hours=7))
    assert hold_row(quiet_guard, "o-later")["overdue"] is False
    sweep(quiet_settings, quiet_guard, start + timedelta(hours=9))  # 11 h left
    assert hold_row(quiet_guard, "o-later")["overdue"] is True
    [later] = notifications(quiet_guard, "o-later", "hold.overdue")
    assert later["data"]["overdue_because"] == ["SHIP_BY_NEAR"]
    assert len(notifications(quiet_guard, "o-soon", "hold.overdue")) == 1


def test_the_queue_lists_exactly_the_overdue_holds(quiet_guard, quiet_settings):
    start = real_now()
    far = start + timedelta(days=5)
    place(quiet_guard, "o-pay", ship_by=far, payment="processing")
    place(quiet_guard, "o-frt", ship_by=far, freight="failed")
    place(quiet_guard, "o-deadline", ship_by=start + timedelta(hours=20), cancellation="requested")
    place(quiet_guard, "o-calm", ship_by=far, cancellation="requested")
    place(quiet_guard, "o-unpaid", ship_by=far, source_time=start, payment="unpaid")
    assert place(quiet_guard, "o-blocked", ship_by=start + timedelta(hours=1), risk="closed")["verdict"] == "block"
    assert overdue_list(quiet_guard) == []

    for minutes in (11, 22, 33):  # three re-checks: freight escalates
        sweep(quiet_settings, quiet_guard, start + timedelta(minutes=minutes))
    assert overdue_list(quiet_guard) == ["o-frt"]

    sweep(quiet_settings, quiet_guard, start + timedelta(hours=9))  # payment past 6 h; 11 h to the deadline
    assert overdue_list(quiet_guard) == ["o-pay", "o-frt", "o-deadline"]
    flagged = {
        order_id
        for order_id in ("o-pay", "o-frt", "o-deadline", "o-calm", "o-unpaid", "o-blocked")
        if hold_row(quiet_guard, order_id)["overdue"]
    }
    assert flagged == {"o-pay", "o-frt", "o-deadline"}
    not_overdue = quiet_guard.client.get(
        "/v1/holds", params={"overdue": "false", "state": "held"}, headers=quiet_guard.auth()
    ).json()["items"]
    assert [item["order_id"] for item in not_overdue] == ["o-calm", "o-unpaid"]


def test_an_overdue_hold_that_clears_is_released_and_leaves_the_overdue_list(quiet_guard, quiet_settings):
    start = real_now()
    place(quiet_guard, "o-pay", payment="processing")
    sweep(quiet_settings, quiet_guard, start + timedelta(hours=7))
    assert overdue_list(quiet_guard) == ["o-pay"]
    quiet_guard.push(quiet_guard.event("o-pay", "payment", "paid", occurred_at=real_now().isoformat()))
    row = hold_row(quiet_guard, "o-pay")
    assert (row["state"], row["overdue"]) == ("released", False)
    assert overdue_list(quiet_guard) == []


def test_freight_counts_its_own_rechecks_not_those_spent_waiting_on_the_payment(quiet_guard):
    """A hold that waited hours on a payment does not escalate the minute freight turns unpaid."""
    from datetime import datetime, timedelta

    import sqlalchemy as sa

    from guard.services.recheck import recheck_due

    guard = quiet_guard
    now = datetime.now(UTC)
    at = (now - timedelta(minutes=1)).isoformat()
    guard.push(
        *[
            guard.event("o-fr", t, s, occurred_at=at, **({"tracking_number": "LP1"} if s == "recorded" else {}))
            for t, s in (
                ("payment", "processing"),
                ("risk", "cleared"),
                ("shipping_notice", "recorded"),
                ("freight", "paid"),
            )
        ]
    )
    guard.check("o-fr")
    runtime = guard.client.app.state.runtime
    later = now
    for _ in range(4):  # four re-checks while the payment is processing
        later += timedelta(minutes=31)
        recheck_due(runtime.engine, runtime.settings, later)
    guard.push(
        guard.event("o-fr", "payment", "paid", occurred_at=(now + timedelta(seconds=1)).isoformat()),
        guard.event("o-fr", "freight", "pending", occurred_at=(now + timedelta(seconds=2)).isoformat()),
    )
    later += timedelta(minutes=11)
    recheck_due(runtime.engine, runtime.settings, later)
    with guard.engine.connect() as conn:
        overdue, count = conn.execute(sa.text("select overdue, recheck_count from holds where order_id = 'o-fr'")).one()
    assert (bool(overdue), count) == (False, 1)
    for _ in range(2):
        later += timedelta(minutes=11)
        recheck_due(runtime.engine, runtime.settings, later)
    with guard.engine.connect() as conn:
        assert bool(conn.execute(sa.text("select overdue from holds where order_id = 'o-fr'")).scalar_one())
