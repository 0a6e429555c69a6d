"""`guard simulate`: a small simulated Double 11 against an embedded guard, end to end.

The replay starts a throwaway guard (a subprocess on a temporary SQLite file, on the
simulation's clock), so these tests need nothing else running.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from guard.cli import main
from guard.simulate.params import Parameters
from guard.simulate.world import draw_day

ORDERS, SEED = 300, 20261111


def simulate(out: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        main, ["simulate", "--orders", str(ORDERS), "--seed", str(SEED), "--out", str(out), "--quiet", *args]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("simulation")
    return out, simulate(out)


def test_the_summary_states_the_contract_fields(first_run):
    _, summary = first_run
    assert summary["orders"] == ORDERS
    assert summary["seed"] == SEED
    for field in ("lost_with_guard", "lost_without_guard", "labels", "holds", "releases", "blocks"):
        assert isinstance(summary[field], int), field
    assert summary["parameters"]["orders"] == ORDERS
    assert summary["run"]["mode"] == "embedded"


def test_no_parcel_is_lost_through_the_guard_while_a_naive_warehouse_loses_some(first_run):
    _, summary = first_run
    assert summary["lost_without_guard"] > 0
    assert summary["lost_with_guard"] == 0
    # Every parcel that left had its shipping notice recorded first (seed point 2).
    assert summary["floor"]["left_before_notice"] == 0
    assert summary["shipped_with_guard"] > 0
    assert summary["labels"] >= summary["shipped_with_guard"]


def test_the_guard_held_and_released_parcels_and_blocked_the_closed_ones(first_run):
    _, summary = first_run
    assert summary["holds"] > 0
    assert summary["releases"] > 0
    assert summary["blocks"] > 0
    assert summary["events"]["stale"] > 0 and summary["events"]["duplicate"] > 0  # late, out-of-order, twice


def test_the_report_is_one_self_contained_page_with_the_charts(first_run):
    out, summary = first_run
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 5
    for heading in ("The hold queue", "Time on the shelf", "Overdue escalations", "Parcels lost"):
        assert heading in page
    assert f"{summary['lost_without_guard']:,}" in page
    # No CDN, no scripts: it opens from a file, offline.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page


def test_the_same_seed_replays_the_same_day(first_run, tmp_path):
    _, summary = first_run
    again = simulate(tmp_path / "again")
    summary = {key: value for key, value in summary.items() if key != "run"}
    again = {key: value for key, value in again.items() if key != "run"}
    assert again == summary


def test_a_seed_draws_one_day_and_another_seed_another():
    one, same = draw_day(Parameters(orders=200, seed=7)), draw_day(Parameters(orders=200, seed=7))
    other = draw_day(Parameters(orders=200, seed=8))
    assert [d.fields for d in one.deliveries] == [d.fields for d in same.deliveries]
    assert [o.placed for o in one.orders] == [o.placed for o in same.orders]
    assert [o.placed for o in one.orders] != [o.placed for o in other.orders]


def test_an_order_is_either_closed_or_gets_its_notice_never_both():
    day = draw_day(Parameters(orders=2000, seed=3))
    for order in day.orders:
        assert (order.closed_at is None) != (order.notice_at is None), order


def test_the_arrivals_spike_at_midnight():
    day = draw_day(Parameters(orders=5000, seed=1))
    first_hour = sum(1 for order in day.orders if order.placed < 60)
    assert first_hour > 5 * 5000 / 24


def test_parameters_are_changed_by_name_and_refused_when_unsafe():
    params = Parameters().with_overrides({"tracking_minutes": "5,60", "orders": "10"})
    assert params.tracking_minutes == (5.0, 60.0) and params.orders == 10
    with pytest.raises(ValueError):
        Parameters().with_overrides({"risk_review_share": "1.5"})
    with pytest.raises(ValueError):
        Parameters().with_overrides({"no_such_knob": "1"})


def test_a_running_guard_needs_a_key(tmp_path):
    result = CliRunner().invoke(
        main, ["simulate", "--url", "http://127.0.0.1:9", "--out", str(tmp_path)], env={"GUARD_SIM_KEY": ""}
    )
    assert result.exit_code != 0
    assert "--key" in result.output
