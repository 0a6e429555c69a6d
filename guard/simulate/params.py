"""The simulated peak day's knobs, with defaults taken from the seed notice.

Every distribution the replay draws from is a field of `Parameters`; the seed
number picks one day out of them. Ranges are `(low, high)` and drawn
uniformly. A field can be changed from the command line with
`guard simulate --set NAME=VALUE` (a range as `--set tracking_minutes=5,60`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any

Range = tuple[float, float]

# The day outside the two peaks (Beijing hours 00-23, relative weights): asleep
# from 02:00 to 07:00, busy from mid-morning, building towards the evening.
BASELINE_HOURLY = (4, 3, 2, 1, 1, 1, 2, 3, 5, 6, 7, 7, 8, 7, 7, 7, 6, 6, 6, 7, 8, 9, 9, 7)


@dataclass(frozen=True)
class Parameters:
    """One simulated Double 11. Times are simulated (Beijing) time."""

    # --- the run -----------------------------------------------------------------------------
    orders: int = 20_000
    """Paid orders placed over the 24 hours of the day."""
    seed: int = 1111
    """Picks the day: the same seed and parameters replay the same day, decision for decision."""
    day: str = "2026-11-11"
    """The date replayed (Beijing time). An embedded guard lives on that date; against a running
    guard the day is moved into the past (the guard refuses facts from the future)."""
    tail_hours: float = 12.0
    """How long the replay goes on after midnight with no new orders, so the hold shelf can drain."""

    # --- arrivals: the real midnight-spike curve -----------------------------------------------
    midnight_share: float = 0.30
    """Share of the day's orders in the opening rush: carts filled for days, paid at 00:00."""
    midnight_decay_minutes: float = 20.0
    """The rush decays exponentially with this mean."""
    evening_share: float = 0.12
    """Share in the smaller evening peak (after work, last hours of the sale)."""
    evening_peak_hour: float = 21.0
    evening_spread_hours: float = 1.5
    baseline_hourly: tuple[float, ...] = BASELINE_HOURLY
    """Relative weight of each hour for the remaining orders."""
    payment_delay_minutes: float = 3.0
    """Mean time from placing the order to paying it."""

    # --- seed point 1: card payments stay "processing" for 1-6 hours ---------------------------
    card_share: float = 0.60
    processing_share: float = 0.20
    """Of card payments: shown as "payment processing" after the buyer paid."""
    processing_hours: Range = (1.0, 6.0)
    processing_overrun_share: float = 0.05
    """Of processing payments: take longer than the usual 6 hours (the guard escalates these)."""
    processing_overrun_hours: Range = (6.0, 10.0)
    payment_failure_share: float = 0.06
    """Of processing payments: end failed; the platform closes the order."""

    # --- seed point 2: risk control closes and refunds unshipped risky orders ------------------
    risk_review_share: float = 0.05
    """Of paid orders: held in the platform's risk-control review (RISK_CONTROL)."""
    risk_review_hours: Range = (0.5, 8.0)
    risk_close_share: float = 0.35
    """Of reviewed orders: closed and refunded at the end of the review (FINISH risk_reject_closed)."""
    late_risk_close_share: float = 0.015
    """Of paid orders: found risky later (a stolen card reported); closed if still unshipped."""
    late_risk_close_hours: Range = (1.0, 30.0)

    # --- seed point 3: buyers ask to cancel --------------------------------------------------
    cancel_request_share: float = 0.04
    """Of paid orders: the buyer asks to cancel (only while no shipping notice is recorded)."""
    cancel_request_hours: Range = (0.2, 10.0)
    cancel_decision_hours: Range = (0.5, 6.0)
    cancel_accept_share: float = 0.6
    """Of cancellation requests: accepted (order closed, buyer refunded); the rest are rejected."""

    # --- seed point 8: logistics orders and late tracking numbers ------------------------------
    logistics_order_minutes: Range = (2.0, 30.0)
    """From the payment clearing to the ERP creating the logistics order."""
    tracking_minutes: Range = (5.0, 40.0)
    late_tracking_share: float = 0.10
    """Of logistics orders: the tracking number comes back late."""
    late_tracking_hours: Range = (2.0, 12.0)
    notice_minutes: Range = (1.0, 10.0)
    """From tracking number (or the order becoming shippable) to the ERP recording the notice."""

    # --- seed point 7: freight deductions fail, succeed on retry -------------------------------
    freight_deduction_minutes: Range = (1.0, 10.0)
    freight_failure_share: float = 0.06
    freight_retry_minutes: Range = (10.0, 30.0)
    freight_retries: tuple[int, int] = (1, 4)
    """Failed deductions succeed after this many retries."""

    # --- seed point 3: platform data arrives late, out of order, twice ----------------------
    sync_lag_minutes: Range = (1.0, 15.0)
    """Platform status changes reach the guard (through the ERP's sync) after this lag."""
    late_sync_share: float = 0.08
    late_sync_minutes: Range = (30.0, 180.0)
    duplicate_share: float = 0.05
    """Platform events delivered twice (same event id)."""
    stale_view_share: float = 0.05
    """Platform views re-synced later with their old modification time (the lagging order list)."""
    erp_lag_seconds: Range = (1.0, 60.0)
    """The ERP's own writes (notice recorded, freight, cancellation rejected) are ready to send fast."""
    push_every_minutes: int = 5
    """The ERP pushes what it has to the guard in batches, on this cycle (`POST /v1/events`)."""

    # --- the platform's ship-by deadline ---------------------------------------------------
    handling_hours: float = 72.0
    fast_ship_share: float = 0.10
    """Orders promising shipment within `fast_ship_hours` (held ones escalate 12 h before)."""
    fast_ship_hours: float = 24.0

    # --- the warehouse -----------------------------------------------------------------------
    stations: int = 8
    line_capacity_factor: float = 1.5
    """Packing line capacity, as a multiple of the day's average arrivals per hour."""
    wave_minutes: Range = (20.0, 90.0)
    """From the ERP seeing an order paid to the order joining the packing line (wave cut, picking)."""
    shelf_round_minutes: int = 10
    """How often the shelf clerk looks at the hold queue and takes released parcels back."""
    pickup_every_minutes: int = 60
    """Carrier pick-ups: every labelled parcel is scanned at hand-over, then leaves."""
    handover_by_tracking_share: float = 0.3
    """Hand-over scans of the tracking number rather than the order id."""
    supervisor_release_share: float = 0.5
    """Overdue holds whose only reason is unpaid freight that a supervisor releases by hand,
    after confirming the deduction with the logistics provider (seed point 7)."""
    supervisor_delay_minutes: Range = (10.0, 60.0)

    # --- the guard's worker (embedded guard only) ------------------------------------------
    sweep_every_minutes: int = 10
    """How often, in simulated minutes, the embedded guard's re-check sweep runs. A real worker
    runs it every few seconds; compressed into minutes that would be most of the replay's work."""

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def horizon_minutes(self) -> int:
        return int(round((24 + self.tail_hours) * 60))

    def as_dict(self) -> dict[str, Any]:
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    def with_overrides(self, overrides: dict[str, str]) -> Parameters:
        """`{"tracking_minutes": "5,60"}` → a copy with those fields changed (ValueError if bad)."""
        changes: dict[str, Any] = {}
        known = {f.name: f for f in fields(self)}
        for name, text in overrides.items():
            if name not in known:
                raise ValueError(f"unknown parameter {name!r}; see `guard simulate --parameters`")
            changes[name] = _parse(getattr(self, name), text, name)
        return dataclasses.replace(self, **changes)


def describe() -> list[tuple[str, str, str]]:
    """(name, default, doc) for every parameter, from the docstrings above."""
    docs = _field_docs()
    defaults = Parameters()
    return [(f.name, _show(getattr(defaults, f.name)), docs.get(f.name, "")) for f in fields(Parameters)]


def _problems(p: Parameters) -> list[str]:
    problems = []
    if p.orders < 1:
        problems.append("orders must be at least 1")
    if min(p.stations, p.shelf_round_minutes, p.pickup_every_minutes, p.sweep_every_minutes, p.push_every_minutes) < 1:
        problems.append("stations and the *_minutes intervals must be at least 1")
    if not 0 <= p.tail_hours <= 72:
        problems.append("tail_hours must be between 0 and 72")
    if len(p.baseline_hourly) != 24 or min(p.baseline_hourly) < 0 or sum(p.baseline_hourly) <= 0:
        problems.append("baseline_hourly needs 24 non-negative weights")
    if p.midnight_share + p.evening_share > 1:
        problems.append("midnight_share + evening_share must not exceed 1")
    for f in fields(p):
        value = getattr(p, f.name)
        if f.name.endswith("_share") and not 0 <= value <= 1:
            problems.append(f"{f.name} must be between 0 and 1")
        if isinstance(value, tuple) and len(value) == 2 and f.name != "baseline_hourly":
            if not 0 <= value[0] <= value[1]:
                problems.append(f"{f.name} must be a range low,high with 0 <= low <= high")
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            problems.append(f"{f.name} must not be negative")
    return problems


def _parse(current: Any, text: str, name: str) -> Any:
    try:
        if isinstance(current, tuple):
            parts = [part.strip() for part in text.split(",")]
            kind = type(current[0])
            return tuple(kind(float(part)) if kind is int else float(part) for part in parts)
        if isinstance(current, bool):
            return text.lower() in ("1", "true", "yes")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
        return text
    except ValueError:
        raise ValueError(f"{name}: cannot read {text!r}") from None


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


def _field_docs() -> dict[str, str]:
    """The string literal under each field (attribute docstrings), read from this module's source."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(Parameters))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for node, following in zip(body, body[1:]):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs
