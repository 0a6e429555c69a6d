"""The report's charts: matplotlib figures rendered to SVG, to be written inline.

matplotlib is an optional extra (`pip install 'dispatch-guard[simulate]'`): nothing else in
the guard needs it, so it is imported here, lazily, and `require_matplotlib` says plainly
what to install before a long replay starts.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from guard.simulate.clock import Timeline
from guard.simulate.params import show
from guard.simulate.replay import FREIGHT_RECHECKED, OTHER, PROCESSING_TOO_LONG, SHIP_BY_NEAR, GuardPolicy

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from guard.simulate.floor import Floor

INSTALL = "pip install 'dispatch-guard[simulate]'"

# One colour per reason, the same in every chart (in the engine's order of concerns).
REASON_COLOURS = {
    "ORDER_UNKNOWN": "#7f7f7f",
    "RISK_REVIEW": "#d62728",
    "DISPUTE_OPEN": "#e377c2",
    "FUNDS_IN_SETTLEMENT": "#8c564b",
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
CAUSE_COLOURS = {
    SHIP_BY_NEAR: "#6a1b9a",
    PROCESSING_TOO_LONG: "#ff7f0e",
    FREIGHT_RECHECKED: "#2ca02c",
    OTHER: "#9e9e9e",
}
GREEN, AMBER, RED, GREY, BLUE = "#2e7d32", "#f9a825", "#c62828", "#9e9e9e", "#1565c0"
STYLE = {
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "legend.fontsize": 8,
    "legend.frameon": False,
}


class MatplotlibMissing(RuntimeError):
    pass


def require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise MatplotlibMissing(
            f"guard simulate draws its report with matplotlib, which is not installed: {INSTALL}"
        ) from None


def reason_name(code: str) -> str:
    return code.replace("_", " ").lower()


def render(guard: Floor, summary: dict[str, Any]) -> dict[str, str]:
    """Every chart of the page, as inline SVG."""
    import matplotlib

    with matplotlib.rc_context(STYLE):  # type: ignore[arg-type]  # rc keys are typed as a Literal of every name
        charts = {
            "compare": _svg(_compare_chart(summary)),
            "day": _svg(_day_chart(guard)),
            "holds": _svg(_holds_chart(guard)),
            "shelf": _svg(_shelf_chart(guard)),
            "overdue": _svg(_overdue_chart(guard)),
        }
        if summary.get("sweep"):
            charts["sweep"] = _svg(_sweep_chart(summary))
    return charts


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _integer_axis(axis) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]  # inline: no XML prolog or doctype
    return re.sub(r'\s(width|height)="[\d.]+pt"', "", text, count=2)


# --- the comparison ---------------------------------------------------------------------------------

COMPARED = (
    ("ship when packed", ("baselines", "ship_when_packed")),
    ("ERP, notice on tracking", ("timing", "on_tracking")),
    ("ERP, notice on print", ("timing", "on_print")),
    ("ERP, notice on pick-up", ("timing", "on_pickup")),
    ("ERP, notice in a daily batch", ("timing", "daily_batch")),
    ("through the guard", ("guard", "")),
)


def compared_rows(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(label, figures) for each warehouse in the comparison, naive first, the guard last."""
    rows = []
    timings = summary["baselines"]["erp_awaiting_shipment"]["by_notice_timing"]
    for label, (where, key) in COMPARED:
        if where == "baselines":
            rows.append((label, summary["baselines"][key]))
        elif where == "timing":
            rows.append((label, timings[key]))
        else:
            rows.append((label, summary["guard"]))
    return rows


def _compare_chart(summary: dict[str, Any]) -> Figure:
    rows = compared_rows(summary)
    currency = summary["currency"]
    figure = _figure(9, 3.2)
    ax = figure.subplots()
    y = list(range(len(rows)))[::-1]
    height = 0.38
    lost = [row["lost_value"] for _, row in rows]
    cost = [row["cost_value"] for _, row in rows]
    ax.barh([v + height / 2 for v in y], lost, height=height, color=RED, label="lost: goods and freight")
    ax.barh([v - height / 2 for v in y], cost, height=height, color=GREY, label="handling, shelf, idle notices")
    top = max(lost + cost + [1.0])
    for v, (_, row) in zip(y, rows):
        ax.text(
            row["lost_value"] + top * 0.01,
            v + height / 2,
            f"{row['lost_value']:,.0f} ({row['lost_parcels']:,} parcels)",
            va="center",
            fontsize=8,
        )
        ax.text(row["cost_value"] + top * 0.01, v - height / 2, f"{row['cost_value']:,.0f}", va="center", fontsize=8)
    ax.set_yticks(y)
    ax.set_yticklabels([label for label, _ in rows])
    ax.set_xlim(0, top * 1.3)
    ax.set_xlabel(currency)
    ax.set_title(f"What each warehouse lost, and what its way of working cost ({currency})")
    ax.legend(loc="lower right")
    return figure


def _sweep_chart(summary: dict[str, Any]) -> Figure:
    entries = summary["sweep"]
    name = entries[0]["parameter"]
    x = list(range(len(entries)))
    figure = _figure(9, 3.0)
    ax = figure.subplots()
    erp = [entry["baselines"]["erp_awaiting_shipment"]["lost_value"] for entry in entries]
    guard = [entry["guard"]["lost_value"] for entry in entries]
    cost = [entry["guard"]["cost_value"] for entry in entries]
    timing = entries[0]["baselines"]["erp_awaiting_shipment"]["notice_timing"]
    ax.plot(x, erp, marker="o", color=AMBER, label=f"lost by the ERP (notice {timing.replace('_', ' ')})")
    ax.plot(x, guard, marker="o", color=RED, label="lost through the guard")
    ax.plot(x, cost, marker="o", color=GREY, ls="--", label="the guard's cost")
    ax.set_xticks(x)
    ax.set_xticklabels([show(entry["value"]) for entry in entries])
    ax.set_xlabel(name)
    ax.set_ylabel(summary["currency"])
    ax.set_ylim(bottom=0)
    ax.set_title(f"Sensitivity to {name}")
    ax.grid(axis="y", color="#eeeeee", lw=0.6)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return figure


# --- the guarded warehouse's day --------------------------------------------------------------------


def _hour_axis(ax, floor: Floor) -> None:
    horizon_h = floor.p.horizon_minutes / 60
    ax.set_xlim(0, horizon_h)
    ticks = list(range(0, int(horizon_h) + 1, 3))
    ax.set_xticks(ticks)
    day = Timeline.on_day(floor.p.day)
    ax.set_xticklabels(
        [f"{day.at(h * 60):%H:%M}" + (f"\n{day.at(h * 60):%d %b}" if day.at(h * 60).hour == 0 else "") for h in ticks]
    )
    ax.axvline(24, color=GREY, lw=0.8, ls=":")
    ax.grid(axis="y", color="#eeeeee", lw=0.6)
    ax.set_axisbelow(True)


def _day_chart(floor: Floor) -> Figure:
    horizon = floor.p.horizon_minutes
    buckets = horizon // 60 + 1
    placed, packed, left = [0] * buckets, [0] * buckets, [0] * buckets
    for order in floor.day.orders:
        placed[int(order.placed // 60)] += 1
    for parcel in floor.parcels.values():
        if parcel.packed_at is not None:
            packed[int(parcel.packed_at // 60)] += 1
        if parcel.left_at is not None:
            left[int(parcel.left_at // 60)] += 1
    x = [i + 0.5 for i in range(buckets)]
    figure = _figure(9, 2.8)
    ax = figure.subplots()
    ax.fill_between(x, placed, step="mid", color="#90caf9", alpha=0.8, lw=0, label="orders placed")
    ax.plot(x, packed, drawstyle="steps-mid", color="#37474f", lw=1, label="parcels packed")
    ax.bar(x, left, width=0.9, color=GREEN, alpha=0.8, label="parcels handed to the carrier")
    ax.set_ylabel("per hour")
    ax.set_title("The guarded warehouse's day: orders on the midnight spike, packing at the team's pace, pick-ups")
    _integer_axis(ax.yaxis)
    _hour_axis(ax, floor)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return figure


def _stacked(ax, samples: list, series: dict[str, list[int]], colours: list[str]) -> None:
    """One sample series per label, stacked over the day's hours."""
    ax.stackplot(
        [s.minute / 60 for s in samples], *series.values(), labels=list(series), colors=colours, alpha=0.9, lw=0
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))


def _reason_order(counts: Counter) -> list[str]:
    return [code for code in REASON_COLOURS if counts.get(code)] + sorted(
        code for code in counts if code not in REASON_COLOURS and counts[code]
    )


def _holds_chart(floor: Floor) -> Figure:
    policy = floor.policy
    samples = policy.samples if isinstance(policy, GuardPolicy) else []
    totals: Counter = Counter()
    for sample in samples:
        totals.update(sample.held_by_reason)
    codes = _reason_order(totals)
    figure = _figure(9, 3.0)
    ax = figure.subplots()
    if samples and codes:
        series = {reason_name(code): [s.held_by_reason.get(code, 0) for s in samples] for code in codes}
        _stacked(ax, samples, series, [REASON_COLOURS.get(code, GREY) for code in codes])
    ax.set_ylabel("parcels on the hold shelf")
    ax.set_title("The hold queue over the day, by first reason (GET /v1/holds?state=held)")
    _integer_axis(ax.yaxis)
    _hour_axis(ax, floor)
    return figure


def _shelf_chart(floor: Floor) -> Figure:
    groups: dict[str, list[float]] = {
        "released, then labelled": [],
        "blocked: back to stock": [],
        "still on the shelf at the end": [],
    }
    for parcel in floor.parcels.values():
        if parcel.shelved_at is None:
            continue
        hours = parcel.shelf_minutes / 60
        if parcel.order.index in floor.shelf:
            groups["still on the shelf at the end"].append(hours)
        elif parcel.returned_at is not None:
            groups["blocked: back to stock"].append(hours)
        else:
            groups["released, then labelled"].append(hours)
    figure = _figure(9, 2.6)
    ax = figure.subplots()
    longest = max((max(v) for v in groups.values() if v), default=1.0)
    bins = [i * 0.25 for i in range(int(min(longest, 36) / 0.25) + 2)]
    data = list(groups.values())
    if any(data):
        ax.hist(data, bins=bins, stacked=True, color=[GREEN, RED, AMBER], label=list(groups), lw=0)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.set_xlabel("hours on the hold shelf (all its stays)")
    ax.set_ylabel("parcels")
    ax.set_title("Time on the shelf")
    ax.grid(axis="y", color="#eeeeee", lw=0.6)
    ax.set_axisbelow(True)
    return figure


def _overdue_chart(floor: Floor) -> Figure:
    policy = floor.policy
    samples = policy.samples if isinstance(policy, GuardPolicy) else []
    escalations = policy.escalations if isinstance(policy, GuardPolicy) else []
    figure = _figure(9, 3.4)
    top, bottom = figure.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [1, 1], "hspace": 0.3})
    causes = [
        cause
        for cause in CAUSE_COLOURS
        if any(s.overdue_by_cause.get(cause) for s in samples) or any(c == cause for _, c in escalations)
    ]
    if samples and causes:
        series = {cause: [s.overdue_by_cause.get(cause, 0) for s in samples] for cause in causes}
        _stacked(top, samples, series, [CAUSE_COLOURS[cause] for cause in causes])
    top.set_ylabel("overdue now")
    top.set_title("Overdue escalations: holds a supervisor must look at, by why they are overdue")
    _integer_axis(top.yaxis)
    _hour_axis(top, floor)
    hours = floor.p.horizon_minutes // 60 + 1
    base = [0] * hours
    for cause in causes:
        counts = [0] * hours
        for minute, which in escalations:
            if which == cause:
                counts[min(int(minute // 60), hours - 1)] += 1
        bottom.bar([h + 0.5 for h in range(hours)], counts, width=0.9, bottom=base, color=CAUSE_COLOURS[cause], lw=0)
        base = [a + b for a, b in zip(base, counts)]
    bottom.set_ylabel("new per hour")
    _integer_axis(bottom.yaxis)
    _hour_axis(bottom, floor)
    return figure
