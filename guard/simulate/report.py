"""The report: `summary.json` for scripts and CI, `report.html` for people.

The page is one self-contained file (no CDN, no scripts): the charts are
matplotlib figures rendered to SVG and written inline.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")  # no display: figures are only ever written to SVG

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from guard.simulate.clock import Timeline
from guard.simulate.params import describe
from guard.simulate.replay import FREIGHT_RECHECKED, OTHER, PROCESSING_TOO_LONG, SHIP_BY_NEAR, Outcome
from guard.simulate.summary import CAUSES, shelf_hours
from guard.simulate.world import CANCELLED, PAYMENT_FAILED, RISK_CLOSED

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

# One colour per reason, the same in every chart (in the engine's order of concerns).
REASON_COLOURS = {
    "ORDER_UNKNOWN": "#7f7f7f",
    "RISK_REVIEW": "#d62728",
    "CANCEL_REQUESTED": "#9467bd",
    "PAYMENT_UNKNOWN": "#bcbd22",
    "PAYMENT_UNPAID": "#dbdb8d",
    "PAYMENT_AWAITING_CONFIRMATION": "#c49c94",
    "PAYMENT_FAILED": "#8c564b",
    "PAYMENT_PROCESSING": "#ff7f0e",
    "TRACKING_NUMBER_PENDING": "#17becf",
    "SHIPPING_NOTICE_MISSING": "#1f77b4",
    "FREIGHT_UNPAID": "#2ca02c",
    "RULE_ERROR": "#e377c2",
}
CAUSE_NAMES = {
    RISK_CLOSED: "closed by risk control",
    PAYMENT_FAILED: "card payment failed",
    CANCELLED: "cancelled by the buyer",
}
CAUSE_COLOURS = {
    SHIP_BY_NEAR: "#6a1b9a",
    PROCESSING_TOO_LONG: "#ff7f0e",
    FREIGHT_RECHECKED: "#2ca02c",
    OTHER: "#9e9e9e",
}
GREEN, AMBER, RED, GREY = "#2e7d32", "#f9a825", "#c62828", "#9e9e9e"
STYLE: dict[RcKeyType, Any] = {
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "legend.fontsize": 8,
    "legend.frameon": False,
}


def reason_name(code: str) -> str:
    return code.replace("_", " ").lower()


def write_report(outcome: Outcome, summary: dict[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    report_path = out / "report.html"
    with matplotlib.rc_context(STYLE):
        charts = {
            "day": _svg(_day_chart(outcome)),
            "holds": _svg(_holds_chart(outcome)),
            "shelf": _svg(_shelf_chart(outcome)),
            "overdue": _svg(_overdue_chart(outcome)),
            "lost": _svg(_lost_chart(summary)),
        }
    report_path.write_text(_page(outcome, summary, charts), encoding="utf-8")
    return report_path, summary_path


# --- charts ---------------------------------------------------------------------------------------


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # inline: no XML prolog or doctype
    return re.sub(r'\s(width|height)="[\d.]+pt"', "", text, count=2)


def _hour_axis(ax, outcome: Outcome) -> None:
    horizon_h = outcome.day.params.horizon_minutes / 60
    ax.set_xlim(0, horizon_h)
    ticks = list(range(0, int(horizon_h) + 1, 3))
    ax.set_xticks(ticks)
    day = _day_clock(outcome)
    ax.set_xticklabels(
        [f"{day.at(h * 60):%H:%M}" + (f"\n{day.at(h * 60):%d %b}" if day.at(h * 60).hour == 0 else "") for h in ticks]
    )
    ax.axvline(24, color=GREY, lw=0.8, ls=":")
    ax.grid(axis="y", color="#eeeeee", lw=0.6)
    ax.set_axisbelow(True)


def _day_chart(outcome: Outcome) -> Figure:
    horizon = outcome.day.params.horizon_minutes
    buckets = horizon // 10 + 1
    placed = [0] * buckets
    packed = [0] * buckets
    left = [0] * buckets
    for order in outcome.day.orders:
        placed[int(order.placed // 10)] += 1
        if order.packed_at is not None:
            packed[int(order.packed_at // 10)] += 1
    for parcel in outcome.parcels.values():
        if parcel.left_at is not None:
            left[int(parcel.left_at // 10)] += 1
    x = [(i * 10 + 5) / 60 for i in range(buckets)]
    figure = Figure(figsize=(9, 2.8))
    ax = figure.subplots()
    ax.fill_between(x, [v * 6 for v in placed], step="mid", color="#90caf9", alpha=0.8, lw=0, label="orders placed")
    ax.plot(x, [v * 6 for v in packed], drawstyle="steps-mid", color="#37474f", lw=1, label="parcels off the line")
    ax.plot(x, _hourly_rate(left, buckets), color=GREEN, lw=1.4, label="parcels handed to the carrier (hourly)")
    ax.set_ylabel("per hour")
    ax.set_title("The day: orders arrive on the midnight spike, the line packs at its pace")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _hour_axis(ax, outcome)
    # The rush is an order of magnitude above the rest of the day: clip it, and say how high it went.
    peak = max(placed) * 6
    rest = max([v * 6 for v in placed[6:]] + [v * 6 for v in packed] + _hourly_rate(left, buckets) + [1])
    if peak > 2.5 * rest:
        top = rest * 1.6
        ax.set_ylim(0, top)
        ax.annotate(
            f"{peak:,}/h at {_day_clock(outcome).at(placed.index(max(placed)) * 10):%H:%M}",
            xy=(x[placed.index(max(placed))], top),
            xytext=(1.2, top * 0.93),
            fontsize=8,
            arrowprops={"arrowstyle": "->", "color": "#546e7a", "lw": 0.8},
        )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return figure


def _hourly_rate(counts: list[int], buckets: int) -> list[float]:
    # Hand-overs happen at pick-ups: spread each hour's over the hour to read as a rate.
    rates = []
    for i in range(buckets):
        hour = i // 6
        rates.append(float(sum(counts[hour * 6 : hour * 6 + 6])))
    return rates


def _reason_order(counts: Counter) -> list[str]:
    return [code for code in REASON_COLOURS if counts.get(code)] + sorted(
        code for code in counts if code not in REASON_COLOURS and counts[code]
    )


def _holds_chart(outcome: Outcome) -> Figure:
    samples = outcome.samples
    totals: Counter = Counter()
    for sample in samples:
        totals.update(sample.held_by_reason)
    codes = _reason_order(totals)
    figure = Figure(figsize=(9, 3.4))
    ax = figure.subplots()
    if samples and codes:
        x = [s.minute / 60 for s in samples]
        ax.stackplot(
            x,
            *[[s.held_by_reason.get(code, 0) for s in samples] for code in codes],
            labels=[reason_name(code) for code in codes],
            colors=[REASON_COLOURS.get(code, GREY) for code in codes],
            alpha=0.9,
            lw=0,
        )
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_ylabel("parcels on the hold shelf")
    ax.set_title("The hold queue over the day, by first reason (GET /v1/holds?state=held)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    _hour_axis(ax, outcome)
    return figure


def _shelf_chart(outcome: Outcome) -> Figure:
    horizon = outcome.day.params.horizon_minutes
    groups: dict[str, list[float]] = {
        "released, then shipped": [],
        "blocked: back to stock": [],
        "still on the shelf at the end": [],
    }
    for parcel in outcome.parcels.values():
        hours = shelf_hours(parcel, horizon)
        if hours is None:
            continue
        if parcel.on_shelf:
            groups["still on the shelf at the end"].append(hours)
        elif parcel.returned_at is not None:
            groups["blocked: back to stock"].append(hours)
        else:
            groups["released, then shipped"].append(hours)
    figure = Figure(figsize=(9, 2.8))
    ax = figure.subplots()
    longest = max((max(v) for v in groups.values() if v), default=1.0)
    bins = [i * 0.25 for i in range(int(min(longest, 36) / 0.25) + 2)]
    data = list(groups.values())
    if any(data):
        ax.hist(data, bins=bins, stacked=True, color=[GREEN, RED, AMBER], label=list(groups), lw=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_xlabel("hours on the hold shelf (first hold to leaving the shelf)")
    ax.set_ylabel("parcels")
    ax.set_title("Time on the shelf")
    ax.grid(axis="y", color="#eeeeee", lw=0.6)
    ax.set_axisbelow(True)
    return figure


def _overdue_chart(outcome: Outcome) -> Figure:
    figure = Figure(figsize=(9, 3.8))
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1], "hspace": 0.3})
    samples = outcome.samples
    causes = [
        cause
        for cause in CAUSE_COLOURS
        if any(s.overdue_by_cause.get(cause) for s in samples) or any(c == cause for _, c in outcome.escalations)
    ]
    if samples and causes:
        top.stackplot(
            [s.minute / 60 for s in samples],
            *[[s.overdue_by_cause.get(cause, 0) for s in samples] for cause in causes],
            labels=causes,
            colors=[CAUSE_COLOURS[cause] for cause in causes],
            alpha=0.9,
            lw=0,
        )
        top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    top.set_ylabel("overdue now")
    top.set_title("Overdue escalations: holds a supervisor must look at, by why they are overdue")
    top.yaxis.set_major_locator(MaxNLocator(integer=True))
    _hour_axis(top, outcome)

    hours = outcome.day.params.horizon_minutes // 60 + 1
    base = [0] * hours
    for cause in causes:
        counts = [0] * hours
        for minute, which in outcome.escalations:
            if which == cause:
                counts[min(int(minute // 60), hours - 1)] += 1
        bottom.bar([h + 0.5 for h in range(hours)], counts, width=0.9, bottom=base, color=CAUSE_COLOURS[cause], lw=0)
        base = [a + b for a, b in zip(base, counts)]
    bottom.set_ylabel("new per hour")
    bottom.yaxis.set_major_locator(MaxNLocator(integer=True))
    _hour_axis(bottom, outcome)
    return figure


def _lost_chart(summary: dict[str, Any]) -> Figure:
    figure = Figure(figsize=(9, 2.1))
    ax = figure.subplots()
    rows = [
        ("with the guard", summary["lost_with_guard_by_cause"]),
        ("without the guard", summary["lost_without_guard_by_cause"]),
    ]
    colours = {RISK_CLOSED: RED, PAYMENT_FAILED: "#ef6c00", CANCELLED: "#8e24aa"}
    for y, (_, counts) in enumerate(rows):
        left = 0
        for cause in CAUSES:
            value = counts.get(cause, 0)
            ax.barh(
                y, value, left=left, color=colours[cause], height=0.55, label=CAUSE_NAMES[cause] if y == 1 else None
            )
            left += value
        ax.text(left + max(1, 0.01 * summary["lost_without_guard"]), y, f"{left:,}", va="center", fontweight="bold")
    ax.set_yticks([0, 1])
    ax.set_yticklabels([label for label, _ in rows])
    ax.set_xlim(0, max(1, summary["lost_without_guard"]) * 1.12)
    ax.set_xlabel("parcels shipped, then the order closed and refunded")
    ax.set_title("Parcels lost")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.42), ncol=3)
    return figure


# --- the page --------------------------------------------------------------------------------------


def _page(outcome: Outcome, summary: dict[str, Any], charts: dict[str, str]) -> str:
    s, floor, shelf, run = summary, summary["floor"], summary["hold_shelf"], summary.get("run", {})
    timeline = _day_clock(outcome)
    e = html.escape

    def card(value: Any, label: str, tone: str = "") -> str:
        shown = f"{value:,}" if isinstance(value, int) else e(str(value))
        return f'<div class="card {tone}"><div class="value">{shown}</div><div class="label">{e(label)}</div></div>'

    replayed_from = f"{timeline.at(0):%H:%M %d %b %Y}"
    replayed_to = f"{timeline.at(outcome.day.params.horizon_minutes):%H:%M %d %b}"
    peak_at = timeline.at(shelf["peak_at_minute"]).strftime("%H:%M %d %b") if shelf["peak_at_minute"] else "–"
    causes = ", ".join(
        f"{count:,} {CAUSE_NAMES[cause]}" for cause, count in s["lost_without_guard_by_cause"].items() if count
    )
    parameters = "".join(
        f"<tr><td><code>{e(name)}</code></td><td>{e(_value(s['parameters'][name]))}</td><td>{e(doc)}</td></tr>"
        for name, _, doc in describe()
    )
    clock_note = ""
    if run.get("clock") == "wall":
        clock_note = (
            '<p class="note">This replay ran against a guard on the wall clock, with the day laid into '
            "the past. Verdicts and the headline are unaffected, but the guard judged the age of each "
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
.headline .card {{ flex: 1 1 260px; padding: 1rem 1.2rem; border-radius: 8px; }}
.headline .value {{ font-size: 3rem; }}
.cards {{ display: flex; gap: .6rem; flex-wrap: wrap; }}
.card {{ background: #f5f5f5; border-radius: 6px; padding: .6rem .9rem; min-width: 120px; }}
.card .value {{ font-size: 1.5rem; font-weight: 700; line-height: 1.2; }}
.card .label {{ color: #616161; font-size: .85rem; }}
.bad {{ background: #ffebee; }} .bad .value {{ color: #c62828; }}
.good {{ background: #e8f5e9; }} .good .value {{ color: #2e7d32; }}
figure {{ margin: .8rem 0; }} figure svg {{ width: 100%; height: auto; }}
.note {{ background: #fff8e1; padding: .6rem .9rem; border-radius: 6px; }}
table {{ border-collapse: collapse; font-size: .85rem; }} td {{ border-top: 1px solid #eee; padding: .25rem .5rem;
  vertical-align: top; }}
code {{ font-size: .85em; }}
</style></head><body>
<h1>A Double 11 through Dispatch Guard</h1>
<p class="sub">{s["orders"]:,} orders, replayed minute by minute from {e(replayed_from)} to {e(replayed_to)}
(Beijing time) against {e(run.get("guard", "the guard"))}{e(_shifted(outcome, run))}. Seed {s["seed"]}.</p>

<div class="headline">
{card(s["lost_without_guard"], LOST_WITHOUT, "bad")}
{card(s["lost_with_guard"], _with_guard_label(s), "good" if s["lost_with_guard"] == 0 else "bad")}
</div>
<p>Without the guard, {s["shipped_without_guard"]:,} parcels would have left the moment they were packed;
{s["lost_without_guard"]:,} of them for orders the platform closed and refunded ({e(causes) or "none"}) — goods and
money both gone. With the guard, {s["shipped_with_guard"]:,} left through the hand-over scan and
{s["lost_with_guard"]:,} were lost.</p>
<figure>{charts["lost"]}</figure>

<div class="cards">
{card(s["labels"], "labels printed")}
{card(s["holds"], "parcels put on the hold shelf")}
{card(s["releases"], "released and shipped")}
{card(s["blocks"], "blocked: back to stock")}
{card(s["still_on_shelf"], "still on the shelf at the end")}
{card(s["overdue_escalations"], "overdue escalations")}
{card(floor["manual_releases"], "released by a supervisor")}
{card(floor["handovers_refused"], "pulled at hand-over")}
</div>

<h2>The day</h2>
<figure>{charts["day"]}</figure>

<h2>The hold queue</h2>
<p>Parcels on the hold shelf, sampled every {outcome.day.params.shelf_round_minutes} simulated minutes from the
guard's hold queue, coloured by the first reason the guard gives. At its fullest, {shelf["peak"]:,} parcels
({e(peak_at)}).</p>
<figure>{charts["holds"]}</figure>

<h2>Time on the shelf</h2>
<p>Median {_hours(shelf["hours_median"])}, 90th percentile {_hours(shelf["hours_p90"])}, longest
{_hours(shelf["hours_max"])}. A released parcel waits at most one shelf round
({outcome.day.params.shelf_round_minutes} min) before a packer takes it back.</p>
<figure>{charts["shelf"]}</figure>

<h2>Overdue escalations</h2>
<p>A hold becomes overdue when a payment has been processing for 6 hours, when freight is still unpaid after
repeated re-checks, or within 12 hours of the platform's ship-by deadline. {s["overdue_escalations"]:,} holds were
escalated ({e(_escalations(shelf))}); a supervisor released {floor["manual_releases"]:,} freight holds by hand after
calling the logistics provider. The hold list says only that a hold is overdue; the cause shown is the documented
escalation that fits its reasons and ship-by.</p>
{clock_note}
<figure>{charts["overdue"]}</figure>

<h2>Facts and requests</h2>
<div class="cards">
{card(s["events"]["sent"], "events pushed")}
{card(s["events"].get("applied", 0), "applied")}
{card(s["events"].get("stale", 0), "stale (older than what the guard knew)")}
{card(s["events"].get("duplicate", 0), "duplicates")}
{card(s["events"].get("final", 0), "after a final fact")}
{card(floor["checks"], "checks")}
{card(run.get("requests", 0), "HTTP requests")}
{card(_seconds(run.get("wall_seconds")), "wall time")}
</div>

<h2>Parameters</h2>
<details><summary>Distributions of this day (change any with <code>guard simulate --set NAME=VALUE</code>)</summary>
<table>{parameters}</table></details>
</body></html>
"""


LOST_WITHOUT = "parcels lost without the guard: shipped as soon as packed, then the order was closed and refunded"


def _with_guard_label(s: dict[str, Any]) -> str:
    if s["lost_with_guard"] == 0 and s["floor"]["left_before_notice"] == 0:
        return "parcels lost with the guard: every parcel that left had its shipping notice recorded first"
    return (
        f"parcels lost with the guard ({s['floor']['left_before_notice']:,} left before their shipping notice "
        "was recorded): the guard let through what it should have held"
    )


def _day_clock(outcome: Outcome) -> Timeline:
    """Labels read in the simulated day's own clock, even when the guard saw the day moved into the past."""
    return Timeline.on_day(outcome.day.params.day)


def _shifted(outcome: Outcome, run: dict[str, Any]) -> str:
    if outcome.timeline.start == _day_clock(outcome).start:
        return ""
    return (
        f", which saw the day laid onto {outcome.timeline.at(0):%H:%M %d %b} – "
        f"{outcome.timeline.at(outcome.day.params.horizon_minutes):%H:%M %d %b}"
    )


def _escalations(shelf: dict[str, Any]) -> str:
    return ", ".join(f"{count:,} {cause}" for cause, count in shelf["escalations_by_cause"].items()) or "none"


def _value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _hours(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value * 60:.0f} min" if value < 1 else f"{value:.1f} h"


def _seconds(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f} s" if value < 120 else f"{value / 60:.1f} min"
