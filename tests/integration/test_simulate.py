"""`guard simulate`: a small simulated Double 11 through the baseline warehouses and through an
embedded guard, end to end.

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
from guard.simulate.params import NOTICE_TIMINGS
from guard.simulate.summary import NOTICE_NOT_RECORDED, UNPREVENTABLE

ORDERS, SEED = 300, 20261111
# A riskier day than the default, so that 300 orders are enough to show the seed's risk.
RISKY = ("--set", "late_risk_close_share=0.1")

pytestmark = pytest.mark.timeout(900)  # each fixture replays whole days against a guard


def simulate(out: Path, *args: str) -> dict:
    result = CliRunner().invoke(
        main, ["simulate", "--orders", str(ORDERS), "--seed", str(SEED), "--out", str(out), "--quiet", *args]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("simulation")
    return out, simulate(out, *RISKY)


@pytest.fixture(scope="module")
def beaten(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """No wave check, many failed declarations, and a sweep of an ERP that reports them as recorded."""
    out = tmp_path_factory.mktemp("beaten")
    summary = simulate(
        out,
        "--set",
        "wave_precheck=false",
        "--set",
        "declaration_failure_share=0.5",
        "--set",
        "late_risk_close_share=0.2",
        "--sweep",
        "erp_false_recorded_share=0,1",
    )
    return out, summary


def test_the_summary_keeps_its_fields_and_adds_the_comparison_in_one_currency(first_run):
    _, summary = first_run
    assert summary["orders"] == ORDERS and summary["seed"] == SEED
    for field in ("lost_with_guard", "lost_without_guard", "labels", "holds", "releases", "blocks"):
        assert isinstance(summary[field], int), field
    assert summary["currency"] == "CNY"
    assert summary["parameters"]["orders"] == ORDERS
    assert summary["run"]["mode"] == "embedded" and summary["run"]["wall_seconds"] > 0

    naive = summary["baselines"]["ship_when_packed"]
    erp = summary["baselines"]["erp_awaiting_shipment"]
    guard = summary["guard"]
    for figures in (naive, erp, guard):
        assert {"lost_parcels", "lost_value", "ship_by_missed"} <= figures.keys()
    assert set(erp["by_notice_timing"]) == set(NOTICE_TIMINGS)
    for timing in erp["by_notice_timing"].values():
        assert {"lost_parcels", "lost_value"} <= timing.keys()
    assert erp["by_notice_timing"]["on_pickup"]["lost_value"] == erp["lost_value"]  # the default timing
    expected = ("shelf_parcel_hours", "extra_handling_minutes", "declared_not_collected", "cost_value")
    assert set(expected) <= guard.keys()
    # Each cost in money too; the total is their sum.
    assert set(guard["cost_by_item"]) == {"shelf_value", "handling_value", "declared_not_collected_value"}
    assert guard["cost_value"] == pytest.approx(sum(guard["cost_by_item"].values()), abs=0.02)
    assert guard["lost_parcels"] == summary["lost_with_guard"]
    assert erp["lost_parcels"] == summary["lost_without_guard"]
    assert summary["headline"]["saved_value"] == pytest.approx(erp["lost_value"] - guard["lost_value"], abs=0.01)


def test_a_typical_erp_ships_parcels_risk_control_then_closes_and_the_guard_keeps_them(first_run):
    _, summary = first_run
    erp, guard = summary["baselines"]["erp_awaiting_shipment"], summary["guard"]
    assert erp["lost_by_cause"]["risk_closed"] > 0
    assert guard["lost_by_cause"]["risk_closed"] == 0
    assert guard["lost_value"] < erp["lost_value"]
    assert summary["headline"]["saved_value"] > 0
    # The naive warehouse ships even what its view shows in risk review: it loses more still.
    assert summary["baselines"]["ship_when_packed"]["lost_value"] >= erp["lost_value"]


def test_a_warehouse_following_the_guard_loses_only_what_no_check_can_stop(first_run):
    _, summary = first_run
    reasons = summary["guard"]["lost_by_reason"]
    assert sum(count for reason, count in reasons.items() if reason not in UNPREVENTABLE) == 0
    # Every parcel that left had its notice recorded first (seed point 2).
    assert summary["floor"]["left_before_notice"] == 0
    assert summary["shipped_with_guard"] > 0
    assert summary["labels"] >= summary["shipped_with_guard"]


def test_waves_are_checked_before_picking(first_run):
    _, summary = first_run
    floor = summary["floor"]
    assert floor["wave_checks"] > 0
    assert floor["wave_verdicts"]["hold"] > 0  # orders waiting for their notice stay out of the wave
    assert floor["picked"] == floor["wave_verdicts"]["clear"]


def test_the_report_is_one_self_contained_page_with_the_comparison_and_how_to_read_it(first_run):
    out, summary = first_run
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 5
    for heading in ("How to read this", "What the guard cannot prevent", "The hold queue", "Time on the shelf"):
        assert heading in page
    saved = summary["headline"]["saved_value"]
    assert (f"{saved:,.0f} CNY" if abs(saved) >= 100 else f"{saved:,.2f} CNY") in page  # the headline
    assert "source of the default" in page
    # No CDN, no scripts: it opens from a file, offline.
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "<script" not in page


def test_the_same_seed_replays_the_same_day(first_run, tmp_path):
    _, summary = first_run
    again = simulate(tmp_path / "again", *RISKY)
    summary = {key: value for key, value in summary.items() if key != "run"}
    again = {key: value for key, value in again.items() if key != "run"}
    assert again == summary


def test_without_the_wave_check_the_guard_holds_and_releases_at_the_station(beaten):
    _, summary = beaten
    assert summary["floor"]["wave_checks"] == 0
    assert summary["holds"] > 0 and summary["releases"] > 0
    assert summary["guard"]["shelf_parcel_hours"] > 0 and summary["guard"]["extra_handling_minutes"] > 0
    assert summary["events"]["stale"] > 0 and summary["events"]["duplicate"] > 0  # late, out-of-order, twice


def test_an_erp_that_reports_failed_declarations_as_recorded_beats_the_guard(beaten):
    out, summary = beaten
    sweep = summary["sweep"]
    assert [entry["value"] for entry in sweep] == [0.0, 1.0]
    for entry in sweep:
        assert entry["parameter"] == "erp_false_recorded_share"
        assert {"lost_parcels", "lost_value", "cost_value"} <= entry["guard"].keys()
        assert {"ship_when_packed", "erp_awaiting_shipment"} <= entry["baselines"].keys()
    honest, lying = sweep
    assert honest["guard"]["lost_by_reason"][NOTICE_NOT_RECORDED] == 0
    assert lying["guard"]["lost_by_reason"][NOTICE_NOT_RECORDED] > 0
    assert lying["guard"]["lost_value"] > honest["guard"]["lost_value"]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Sensitivity: erp_false_recorded_share" in page
