"""`guard simulate`'s world and baselines, without a guard: the day's draws, the platform's
rules, the warehouses sellers really run, and the parameters' sources."""

from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from guard.cli import main
from guard.simulate.floor import ErpPolicy, Floor, Policy
from guard.simulate.params import NOTICE_TIMINGS, Parameters, describe
from guard.simulate.platform import (
    FUND_PROCESSING,
    IN_CANCEL,
    RISK_CLOSED,
    WAIT_SELLER_SEND_GOODS,
    Platform,
    guard_event,
)
from guard.simulate.run import play_baselines
from guard.simulate.summary import figures, lost
from guard.simulate.world import draw_day


@pytest.fixture(scope="module")
def played():
    """One day of 3,000 orders through the naive warehouse and the ERP with each notice timing."""
    day = draw_day(Parameters(orders=3000, seed=5))
    naive, erp = play_baselines(day)
    return day, naive, erp


def test_a_seed_draws_one_day_and_another_seed_another():
    one, same = draw_day(Parameters(orders=200, seed=7)), draw_day(Parameters(orders=200, seed=7))
    other = draw_day(Parameters(orders=200, seed=8))
    assert one.orders == same.orders
    assert [o.placed for o in one.orders] != [o.placed for o in other.orders]


def test_the_arrivals_spike_at_midnight():
    day = draw_day(Parameters(orders=5000, seed=1))
    first_hour = sum(1 for order in day.orders if order.placed < 60)
    assert first_hour > 5 * 5000 / 24


def test_the_same_day_plays_the_same_way_twice(played):
    day, _, erp = played
    again = Floor(day, ErpPolicy("on_pickup")).run()
    assert figures(again) == figures(erp["on_pickup"])


def test_every_warehouse_meets_each_order_with_the_same_draws(played):
    """Risk control closes an order found risky exactly when that warehouse's notice was not recorded by then."""
    day, naive, erp = played
    for floor in (naive, *erp.values()):
        for order in day.orders:
            truth = floor.platform.truth[order.index]
            if order.late_risk_at is None or order.late_risk_at > day.params.horizon_minutes:
                continue
            if order.payment_fails or order.review_closes:
                continue
            noticed_first = truth.notice_at is not None and truth.notice_at < order.late_risk_at
            other_closure_first = truth.closed_at is not None and truth.closed_at < order.late_risk_at
            if not noticed_first and not other_closure_first:
                assert truth.closed_at == order.late_risk_at and truth.cause == RISK_CLOSED, order.order_id


def test_the_later_the_erp_records_the_notice_the_more_risk_control_closes(played):
    _, _, erp = played
    closed = {timing: figures(erp[timing])["lost_by_cause"][RISK_CLOSED] for timing in NOTICE_TIMINGS}
    assert closed["on_tracking"] <= closed["on_print"] <= closed["on_pickup"] <= closed["daily_batch"]
    assert closed["daily_batch"] > closed["on_tracking"]


def test_risk_control_closes_orders_the_seller_sees_awaiting_shipment(played):
    """The seed's risk: "awaiting shipment", no notice recorded yet, closed and refunded — and the ERP shipped it."""
    _, _, erp = played
    floor = erp["on_pickup"]
    shipped_then_closed = [
        parcel
        for parcel in lost(floor)
        if floor.platform.truth[parcel.order.index].closed_from == WAIT_SELLER_SEND_GOODS
        and floor.platform.truth[parcel.order.index].cause == RISK_CLOSED
    ]
    assert shipped_then_closed


def test_a_typical_erp_loses_less_than_a_naive_warehouse(played):
    _, naive, erp = played
    assert figures(erp["on_pickup"])["lost_value"] < figures(naive)["lost_value"]
    assert figures(naive)["lost_by_cause"][RISK_CLOSED] > figures(erp["on_pickup"])["lost_by_cause"][RISK_CLOSED]


def test_a_notice_is_recorded_only_for_an_order_awaiting_shipment_and_a_buyer_cancels_only_before_it(played):
    day, naive, erp = played
    for floor in (naive, *erp.values()):
        for order in day.orders:
            truth = floor.platform.truth[order.index]
            if truth.notice_at is not None:
                assert truth.closed_at is None or truth.closed_at > truth.notice_at
                assert order.tracking_at <= truth.notice_at
            if truth.closed_from == IN_CANCEL:
                assert truth.notice_at is None


def test_a_lost_parcel_costs_its_goods_and_its_freight(played):
    _, _, erp = played
    floor = erp["daily_batch"]
    gone = lost(floor)
    assert gone
    expected = sum(parcel.order.goods_value + parcel.order.freight_value for parcel in gone)
    assert figures(floor)["lost_value"] == pytest.approx(expected, abs=0.01)
    assert all(parcel.order.goods_value > 0 and parcel.order.freight_value > 0 for parcel in gone)


def test_an_erp_does_not_ship_orders_in_risk_review_that_a_naive_warehouse_ships():
    """The naive warehouse picks what shows paid; the ERP only what shows awaiting shipment."""
    day = draw_day(Parameters(orders=1500, seed=9, risk_review_share=0.3))
    naive = Floor(day, Policy()).run()
    erp = Floor(day, ErpPolicy("on_tracking")).run()
    assert figures(naive)["lost_by_cause"][RISK_CLOSED] > figures(erp)["lost_by_cause"][RISK_CLOSED]


def test_the_guard_hears_the_day_in_the_contract_s_words():
    """Settlements go to the guard as its `settlement` fact; no status whose meaning is being corrected."""
    params = Parameters(orders=1500, seed=3, settlement_after_notice_share=0.2)
    day = draw_day(params)
    platform = Platform(day, notice_on_tracking=True)  # every order declared once its number is back
    for minute in range(0, params.horizon_minutes + 1, 60):
        deliveries = platform.advance(minute)
        events = [guard_event(d, day.orders[d.index].order_id, "2026-11-14T00:00:00+08:00", str) for d in deliveries]
        for event in events:
            if event["type"] == "platform_status":
                assert event["status"] not in (FUND_PROCESSING, "IN_ISSUE", "IN_FROZEN"), event
    assert any(t.settlement_at is not None for t in platform.truth)


def test_every_parameter_has_a_default_and_a_source():
    for d in describe():
        assert d.text, d.name
        assert d.source, f"{d.name} has no source"


def test_parameters_are_changed_by_name_and_refused_when_unsafe():
    params = Parameters().with_overrides({"tracking_minutes": "5,60", "orders": "10", "pickup_hours": "17"})
    assert params.tracking_minutes == (5.0, 60.0) and params.orders == 10 and params.pickup_hours == (17.0,)
    for bad in (
        {"risk_review_share": "1.5"},
        {"no_such_knob": "1"},
        {"erp_notice_timing": "whenever"},
        {"wave_precheck": "maybe"},
        {"tracking_minutes": "60,5"},
    ):
        with pytest.raises(ValueError):
            Parameters().with_overrides(bad)


def test_guard_simulate_lists_every_parameter_with_its_source():
    result = CliRunner().invoke(main, ["simulate", "--parameters"])
    assert result.exit_code == 0, result.output
    for d in describe():
        assert f"{d.name} = {d.default}" in result.output
    assert result.output.count("source:") == len(describe())


@pytest.mark.parametrize(
    "sweep", ["tracking_minutes=5,60", "no_such_knob=1,2", "handover_scan_share", "handover_scan_share=1,2"]
)
def test_a_sweep_takes_a_single_valued_parameter_and_valid_values(sweep, tmp_path):
    result = CliRunner().invoke(main, ["simulate", "--orders", "10", "--out", str(tmp_path), "--sweep", sweep])
    assert result.exit_code != 0
    assert "--sweep" in result.output
    assert not (tmp_path / "summary.json").exists()


def test_without_matplotlib_it_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now raises ImportError
    result = CliRunner().invoke(main, ["simulate", "--orders", "10", "--out", str(tmp_path)])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert "pip install 'dispatch-guard[simulate]'" in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "summary.json").exists()


def test_a_running_guard_needs_a_key(tmp_path):
    result = CliRunner().invoke(
        main, ["simulate", "--url", "http://127.0.0.1:9", "--out", str(tmp_path)], env={"GUARD_SIM_KEY": ""}
    )
    assert result.exit_code != 0
    assert "--key" in result.output


def test_matplotlib_is_an_extra_the_production_image_leaves_out():
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(dep.startswith("matplotlib") for dep in project["dependencies"])
    assert any(dep.startswith("matplotlib") for dep in project["optional-dependencies"]["simulate"])
    assert any(dep.startswith("matplotlib") for dep in project["optional-dependencies"]["dev"])
    installs = [line for line in (root / "Dockerfile").read_text().splitlines() if "pip install" in line]
    assert installs and not any("simulate" in line or "matplotlib" in line for line in installs)
