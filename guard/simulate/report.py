"""The report: `summary.json` for scripts and CI, `report.html` for people.

The page is one self-contained file (no CDN, no scripts): the charts (`charts.py`) are
written inline as SVG.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from guard.simulate.charts import compared_rows, render
from guard.simulate.clock import Timeline
from guard.simulate.params import describe, show
from guard.simulate.platform import CANCELLED, PAYMENT_FAILED, REFUNDED, RISK_CLOSED
from guard.simulate.summary import UNPREVENTABLE

if TYPE_CHECKING:
    from guard.simulate.run import DayRun

CAUSE_NAMES = {
    RISK_CLOSED: "closed by risk control",
    PAYMENT_FAILED: "card payment failed",
    CANCELLED: "cancelled by the buyer",
    REFUNDED: "refund agreed after the notice",
}
TIMING_WORDS = {
    "on_tracking": "on the tracking number",
    "on_print": "at the print",
    "on_pickup": "at the pick-up",
    "daily_batch": "in a daily batch",
}
e = html.escape


def write_report(run: DayRun, summary: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    charts = render(run.guard, summary)
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    report_path = out / "report.html"
    report_path.write_text(_page(run, summary, charts), encoding="utf-8")
    return report_path, summary_path


def _card(value: Any, label: str, tone: str = "") -> str:
    shown = f"{value:,}" if isinstance(value, int) else e(str(value))
    return f'<div class="card {tone}"><div class="value">{shown}</div><div class="label">{e(label)}</div></div>'


def _money(value: float, currency: str) -> str:
    return f"{value:,.0f} {currency}" if abs(value) >= 100 or value == 0 else f"{value:,.2f} {currency}"


def _page(run: DayRun, summary: dict[str, Any], charts: dict[str, str]) -> str:
    s, floor, shelf, run_info = summary, summary["floor"], summary["hold_shelf"], summary.get("run", {})
    p = run.guard.p
    currency, guard, head = s["currency"], s["guard"], s["headline"]
    erp = s["baselines"]["erp_awaiting_shipment"]
    timeline = Timeline.on_day(p.day)
    peak_at = timeline.at(shelf["peak_at_minute"]).strftime("%H:%M %d %b") if shelf["peak_at_minute"] else "–"
    timing = TIMING_WORDS.get(erp["notice_timing"], erp["notice_timing"])
    causes = ", ".join(f"{count:,} {CAUSE_NAMES[cause]}" for cause, count in erp["lost_by_cause"].items() if count)
    preventable = sum(count for reason, count in guard["lost_by_reason"].items() if reason not in UNPREVENTABLE)
    guard_losses = ", ".join(f"{count:,} {reason}" for reason, count in guard["lost_by_reason"].items() if count)
    clock_note = ""
    if run_info.get("clock") == "wall":
        clock_note = (
            '<p class="note">This replay ran against a guard on the wall clock, with the day laid into '
            "the past. Verdicts and the comparison are unaffected, but the guard judged the age of each "
            "fact against the real time, so escalations (and re-check timing) do not follow the "
            "simulated day. Use the embedded guard to see them as they would happen.</p>"
        )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Dispatch Guard — a simulated Double 11 (seed {s["seed"]})</title>
<style>
body {{ font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; color: #212121;
       max-width: 980px; margin: 2rem auto; padding: 0 1rem; }}
h1 {{ font-size: 1.6rem; margin-bottom: .2rem; }} h2 {{ font-size: 1.15rem; margin-top: 2.2rem; }}
.sub {{ color: #616161; margin-top: 0; }}
.headline {{ display: flex; gap: 1rem; flex-wrap: wrap; margin: 1.2rem 0; }}
.headline .card {{ flex: 1 1 200px; padding: 1rem 1.2rem; border-radius: 8px; }}
.headline .value {{ font-size: 2.2rem; }}
.cards {{ display: flex; gap: .6rem; flex-wrap: wrap; }}
.card {{ background: #f5f5f5; border-radius: 6px; padding: .6rem .9rem; min-width: 120px; }}
.card .value {{ font-size: 1.5rem; font-weight: 700; line-height: 1.2; }}
.card .label {{ color: #616161; font-size: .85rem; }}
.bad {{ background: #ffebee; }} .bad .value {{ color: #c62828; }}
.good {{ background: #e8f5e9; }} .good .value {{ color: #2e7d32; }}
figure {{ margin: .8rem 0; }} figure svg {{ width: 100%; height: auto; }}
.note {{ background: #fff8e1; padding: .6rem .9rem; border-radius: 6px; }}
.howto {{ border: 1px solid #90caf9; background: #f3f8fe; border-radius: 8px; padding: .2rem 1.1rem .6rem; }}
.howto h2 {{ margin-top: .8rem; }}
table {{ border-collapse: collapse; font-size: .85rem; }} td, th {{ border-top: 1px solid #eee; padding: .25rem .5rem;
  vertical-align: top; text-align: left; }} td.n, th.n {{ text-align: right; }}
code {{ font-size: .85em; }}
</style></head><body>
<h1>A Double 11 through Dispatch Guard</h1>
<p class="sub">{s["orders"]:,} orders, played minute by minute from {timeline.at(0):%H:%M %d %b %Y} to
{timeline.at(p.horizon_minutes):%H:%M %d %b} (Beijing time) through the baseline warehouses and through
{e(run_info.get("guard", "the guard"))}. Seed {s["seed"]}; money in {e(currency)}.</p>

<div class="headline">
{
        _card(
            _money(head["saved_value"], currency),
            f"saved against a typical ERP (notice {timing})",
            "good" if head["saved_value"] > 0 else "bad",
        )
    }
{_card(_money(guard["cost_value"], currency), "what the guard's way of working cost (handling, shelf, idle notices)")}
{
        _card(
            _money(head["net_value"], currency),
            "net, after both warehouses' handling costs",
            "good" if head["net_value"] > 0 else "bad",
        )
    }
</div>
<p>A typical ERP, recording the notice {e(timing)}, shipped {erp["shipped"]:,} parcels and lost
{erp["lost_parcels"]:,} of them ({_money(erp["lost_value"], currency)}: {e(causes) or "none"}). Through the guard,
{s["shipped_with_guard"]:,} left and {guard["lost_parcels"]:,} were lost ({_money(guard["lost_value"], currency)}{
        ": " + e(guard_losses) if guard_losses else ""
    }); {preventable:,} of those were losses a warehouse following the guard would not have had.</p>
<figure>{charts["compare"]}</figure>
{_comparison_table(s)}

{_how_to_read(s)}

{_sweep_section(s, charts)}

<h2>The guarded warehouse</h2>
<div class="cards">
{_card(floor["wave_ids_checked"], "orders pre-checked in waves")}
{_card(floor["dropped_at_wave"], "dropped at the wave: closed")}
{_card(s["labels"], "labels printed")}
{_card(s["holds"], "parcels put on the hold shelf")}
{_card(s["releases"], "released from the shelf")}
{_card(s["blocks"], "blocked: back to stock")}
{_card(s["still_on_shelf"], "still on the shelf at the end")}
{_card(floor["handovers_refused"], "pulled at hand-over")}
{_card(s["overdue_escalations"], "overdue escalations")}
{_card(floor["manual_releases"], "released by a supervisor")}
{_card(guard["declared_not_collected"], f"declared, still here after {p.declared_idle_hours:g} h")}
{_card(guard["ship_by_missed"], "ship-by deadlines missed")}
</div>
<figure>{charts["day"]}</figure>

<h2>The hold queue</h2>
<p>Parcels on the hold shelf, sampled every {p.shelf_round_minutes} simulated minutes from the guard's hold queue,
coloured by the first reason the guard gives. At its fullest, {shelf["peak"]:,} parcels ({e(peak_at)}). Waves are
checked before picking, so most orders that are not clear are never picked; what reaches the shelf changed between
the wave and the station.</p>
<figure>{charts["holds"]}</figure>

<h2>Time on the shelf</h2>
<p>Median {_hours(shelf["hours_median"])}, 90th percentile {_hours(shelf["hours_p90"])}, longest
{_hours(shelf["hours_max"])}; {guard["shelf_parcel_hours"]:,} parcel-hours in all, and
{guard["extra_handling_minutes"]:,} minutes of extra handling (shelf in and out, re-scans, pulls): worth
{_money(guard["cost_by_item"]["shelf_value"], currency)} and {
        _money(guard["cost_by_item"]["handling_value"], currency)
    };
{guard["declared_not_collected"]:,} notices recorded for parcels still here {p.declared_idle_hours:g} hours later,
{_money(guard["cost_by_item"]["declared_not_collected_value"], currency)}.</p>
<figure>{charts["shelf"]}</figure>

<h2>Overdue escalations</h2>
<p>A hold becomes overdue when a payment has been unconfirmed for 6 hours, when freight is still unpaid after
repeated re-checks, or within 12 hours of the platform's ship-by deadline. {s["overdue_escalations"]:,} holds were
escalated ({e(_escalations(shelf))}); a supervisor released {floor["manual_releases"]:,} freight holds by hand after
calling the logistics provider.</p>
{clock_note}
<figure>{charts["overdue"]}</figure>

<h2>Facts and requests</h2>
<div class="cards">
{_card(s["events"]["sent"], "events pushed")}
{_card(s["events"].get("applied", 0), "applied")}
{_card(s["events"].get("stale", 0), "stale (older than what the guard knew)")}
{_card(s["events"].get("duplicate", 0), "duplicates")}
{_card(s["events"].get("final", 0), "after a final fact")}
{_card(floor["checks"], "station checks")}
{_card(run_info.get("requests", 0), "HTTP requests")}
{_card(_seconds(run_info.get("wall_seconds")), "wall time")}
</div>

<h2>Parameters</h2>
<details><summary>Every assumption of this day, with its source (change any with
<code>guard simulate --set NAME=VALUE</code>; list them with <code>guard simulate --parameters</code>)</summary>
{_parameters_table(s)}</details>
</body></html>
"""


def _comparison_table(s: dict[str, Any]) -> str:
    currency = s["currency"]
    rows = "".join(
        f"<tr><td>{e(label)}</td><td class=n>{row['lost_parcels']:,}</td>"
        f"<td class=n>{row['lost_value']:,.0f}</td><td class=n>{row['ship_by_missed']:,}</td>"
        f"<td class=n>{row['declared_not_collected']:,}</td><td class=n>{row['cost_value']:,.0f}</td></tr>"
        for label, row in compared_rows(s)
    )
    return (
        f"<table><tr><th>warehouse</th><th class=n>parcels lost</th><th class=n>lost ({e(currency)})</th>"
        f"<th class=n>ship-by missed</th><th class=n>declared, not collected</th>"
        f"<th class=n>handling cost ({e(currency)})</th></tr>{rows}</table>"
    )


def _how_to_read(s: dict[str, Any]) -> str:
    p = s["parameters"]
    pickups = ", ".join(f"{int(hour):02d}:{round(hour % 1 * 60):02d}" for hour in p["pickup_hours"])
    low, high = p["pack_rate_per_hour"]
    return f"""<div class="howto">
<h2>How to read this</h2>
<p><b>One day, three kinds of warehouse.</b> Every warehouse meets the same orders with the same draws — when
each card payment clears, when risk control would find each order risky, when each buyer would ask to cancel, how
late each status reaches the seller — and the same floor: packers at {low:g}–{high:g} parcels an hour,
waves every {p["wave_every_minutes"]} minutes, carrier pick-ups at {pickups}. What happens to an order still differs:
risk control closes an order only while its notice is not recorded, and each warehouse records it at its own moment.</p>
<ul>
<li><b>Ship when packed</b>: picks every order its view shows paid, labels it when the tracking number is back, ships
it at the next pick-up; records the notice at the pick-up.</li>
<li><b>A typical ERP</b> (the baseline): picks and prints only orders its view — the newest platform status, after the
sync lag — shows awaiting shipment; nothing is checked after the print; records the notice on the tracking number,
at the print, at the pick-up (the headline) or in a daily batch.</li>
<li><b>Through the guard</b>: the same ERP and floor; the ERP records the notice as soon as the tracking number is back
(the guard prints nothing before it), waves are checked before picking, every parcel is checked at its station and
labelled only when clear, and scanned again as it goes into the carrier's bag.</li>
</ul>
<p><b>A parcel is lost</b> when it left and the platform closed its order — before it left (the warehouse had not
heard) or after (no notice yet, or a refund agreed after it) — at its goods cost plus outbound freight. <b>The
guard's cost</b> is its shelf time, the extra handling, and notices recorded for parcels still in the warehouse
{p["declared_idle_hours"]:g} hours later (the platform counts a notice without a carrier scan as false delivery).</p>
<p><b>Assumptions.</b> The seed notice gives the risks (risk-control closures, unconfirmed card payments, late
tracking numbers, failing freight deductions, lagging data); how often each happens, every price and every habit of
the warehouses are assumptions, each listed with its source under Parameters. Change them to yours: the comparison
is only as good as they are.</p>
<p><b>What the guard cannot prevent.</b> A closure or refund after the hand-over scan (in the sealed bag, or after
the parcel left), and a closure the seller has not heard of yet when the parcel is scanned. And it protects only a
warehouse that follows it: parcels not scanned at hand-over, labels printed outside escrow, and an ERP that reports a
failed declaration as recorded get past it — the defaults assume none of them; sweep them
(<code>--sweep handover_scan_share=1,0.9,0.5</code>) to see what they cost.</p>
</div>"""


def _sweep_section(s: dict[str, Any], charts: dict[str, str]) -> str:
    entries = s.get("sweep")
    if not entries:
        return ""
    name, currency = entries[0]["parameter"], s["currency"]
    rows = "".join(
        f"<tr><td><code>{e(show(entry['value']))}</code></td>"
        f"<td class=n>{entry['baselines']['erp_awaiting_shipment']['lost_parcels']:,}</td>"
        f"<td class=n>{entry['baselines']['erp_awaiting_shipment']['lost_value']:,.0f}</td>"
        f"<td class=n>{entry['guard']['lost_parcels']:,}</td><td class=n>{entry['guard']['lost_value']:,.0f}</td>"
        f"<td class=n>{entry['guard']['cost_value']:,.0f}</td><td class=n>{entry['headline']['net_value']:,.0f}</td></tr>"
        for entry in entries
    )
    return f"""<h2>Sensitivity: {e(name)}</h2>
<p>The same day once per value of <code>{e(name)}</code>, everything else unchanged.</p>
<figure>{charts["sweep"]}</figure>
<table><tr><th>{e(name)}</th><th class=n>ERP: parcels lost</th><th class=n>ERP: lost ({e(currency)})</th>
<th class=n>guard: parcels lost</th><th class=n>guard: lost ({e(currency)})</th>
<th class=n>guard: cost ({e(currency)})</th><th class=n>net ({e(currency)})</th></tr>{rows}</table>"""


def _parameters_table(s: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{e(d.name)}</code></td><td>{e(show(s['parameters'][d.name]))}</td><td>{e(d.text)}</td>"
        f"<td>{e(d.source)}</td></tr>"
        for d in describe()
    )
    return f"<table><tr><th>parameter</th><th>value</th><th>what</th><th>source of the default</th></tr>{rows}</table>"


def _escalations(shelf: dict[str, Any]) -> str:
    return ", ".join(f"{count:,} {cause}" for cause, count in shelf["escalations_by_cause"].items()) or "none"


def _hours(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 60:.0f} min" if value < 1 else f"{value:.1f} h"


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"
