"""The simulated peak day's knobs: every default, with where it comes from.

Every distribution the simulation draws from, every habit of the warehouses and
every price is a field of `Parameters`; the seed number picks one day out of
them. The text under each field says what it is, then `Source:` where the
default comes from — the seed notice, a public rule or benchmark, or an
assumption (said so, with the reasoning), to be replaced by your own figures.
`guard simulate --parameters` prints them all.

Ranges are `(low, high)` and drawn uniformly. A field is changed from the
command line with `guard simulate --set NAME=VALUE` (a range or a list as
`--set tracking_minutes=5,60`) and swept with `--sweep NAME=v1,v2,...`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any

Range = tuple[float, float]

# When the ERP records the shipping notice (AliExpress `fulfill`) in the baseline warehouse.
NOTICE_TIMINGS = ("on_tracking", "on_print", "on_pickup", "daily_batch")

# The day outside the two peaks (Beijing hours 00-23, relative weights): asleep
# from 02:00 to 07:00, busy from mid-morning, building towards the evening.
BASELINE_HOURLY = (4, 3, 2, 1, 1, 1, 2, 3, 5, 6, 7, 7, 8, 7, 7, 7, 6, 6, 6, 7, 8, 9, 9, 7)


@dataclass(frozen=True)
class Parameters:
    """One simulated Double 11. Times are simulated (Beijing) time; money is in `currency`."""

    # --- the run -----------------------------------------------------------------------------
    orders: int = 20_000
    """Paid orders placed over the 24 hours of the day. Source: a mid-size seller's Double 11."""
    seed: int = 1111
    """Picks the day: the same seed and parameters replay the same day, decision for decision.
    Source: the simulation's default day."""
    day: str = "2026-11-11"
    """The date replayed (Beijing time). An embedded guard lives on that date; against a running
    guard the day is moved into the past (the guard refuses facts from the future).
    Source: the next Double 11."""
    tail_hours: float = 12.0
    """How long the replay goes on after midnight with no new orders, so the floor can drain.
    Source: assumption (to the first pick-up of the next day)."""

    # --- arrivals: the midnight-spike curve ----------------------------------------------------
    midnight_share: float = 0.30
    """Share of the day's orders in the opening rush: carts filled for days, paid at 00:00.
    Source: assumption (the sale opens at midnight; sellers report the first hour as the peak)."""
    midnight_decay_minutes: float = 20.0
    """The rush decays exponentially with this mean. Source: assumption."""
    evening_share: float = 0.12
    """Share in the smaller evening peak (after work, last hours of the sale). Source: assumption."""
    evening_peak_hour: float = 21.0
    """Centre of the evening peak. Source: assumption."""
    evening_spread_hours: float = 1.5
    """Spread (standard deviation) of the evening peak. Source: assumption."""
    baseline_hourly: tuple[float, ...] = BASELINE_HOURLY
    """Relative weight of each hour for the remaining orders. Source: assumption (a diurnal curve)."""
    payment_delay_minutes: float = 3.0
    """Mean time from placing the order to paying it. Source: assumption."""

    # --- seed point 1: card payments stay unconfirmed for 1-6 hours ----------------------------
    card_share: float = 0.60
    """Of paid orders: paid by bank card. Source: assumption."""
    processing_share: float = 0.20
    """Of card payments: still being confirmed after the buyer paid; the seller sees the order as
    not paid yet (PLACE_ORDER_SUCCESS) until the bank confirms. Source: seed point 1 (assumed share)."""
    processing_hours: Range = (1.0, 6.0)
    """How long the confirmation takes. Source: seed point 1 ("usually 1-6 hours")."""
    processing_overrun_share: float = 0.05
    """Of processing payments: take longer than the usual 6 hours. Source: assumption."""
    processing_overrun_hours: Range = (6.0, 10.0)
    """How long those take. Source: assumption."""
    payment_failure_share: float = 0.06
    """Of processing payments: end failed; the platform closes the order. Source: assumption."""

    # --- seed point 2: risk control closes and refunds orders without a notice -----------------
    risk_review_share: float = 0.05
    """Of paid orders: held in the platform's risk-control review (RISK_CONTROL). Source: assumption."""
    risk_review_hours: Range = (0.5, 8.0)
    """How long a review lasts. Source: assumption (the platform speaks of a 24-hour window)."""
    risk_close_share: float = 0.35
    """Of reviewed orders: closed and refunded at the end of the review. Source: assumption."""
    late_risk_close_share: float = 0.015
    """Of paid orders: found risky after the review (a stolen card reported); risk control closes
    and refunds the order if its notice is not recorded by then, whatever the seller's view shows.
    Source: seed point 2 (the rule); the share is an assumption."""
    late_risk_close_hours: Range = (1.0, 30.0)
    """When, after the payment cleared, such an order is found. Source: assumption."""

    # --- seed point 3: buyers ask to cancel --------------------------------------------------
    cancel_request_share: float = 0.04
    """Of paid orders: the buyer asks to cancel (possible only while no notice is recorded).
    Source: assumption."""
    cancel_request_hours: Range = (0.2, 10.0)
    """When, after the order became shippable. Source: assumption."""
    cancel_decision_hours: Range = (0.5, 6.0)
    """How long the seller takes to answer. Source: assumption."""
    cancel_accept_share: float = 0.6
    """Of requests: accepted (order closed, buyer refunded); the rest are rejected. Source: assumption."""

    # --- refunds agreed after the notice ----------------------------------------------------------
    settlement_after_notice_share: float = 0.003
    """Of orders with a recorded notice: buyer and seller agree a refund within the day
    (AliExpress FUND_PROCESSING, the guard's `settlement` fact), then the platform refunds and
    closes the order. A parcel that already left is lost whatever anyone checks. Source:
    assumption (most refunds come after delivery, outside the simulated day)."""
    settlement_after_notice_hours: Range = (1.0, 24.0)
    """When, after the notice. Source: assumption."""
    settlement_refund_hours: Range = (1.0, 24.0)
    """From the agreement to the refund that closes the order. Source: assumption."""

    # --- seed point 8: logistics orders and late tracking numbers ------------------------------
    logistics_order_minutes: Range = (2.0, 30.0)
    """From the payment clearing to the ERP creating the logistics order. Source: assumption."""
    tracking_minutes: Range = (5.0, 40.0)
    """From the logistics order to its tracking number. Source: assumption."""
    late_tracking_share: float = 0.10
    """Of logistics orders: the tracking number comes back late. Source: seed point 8 (assumed share)."""
    late_tracking_hours: Range = (2.0, 12.0)
    """How late. Source: seed point 8 (assumed hours)."""

    # --- the shipping notice (AliExpress fulfill) -----------------------------------------------
    erp_notice_timing: str = "on_pickup"
    """When the baseline ERP records the notice: on_tracking (as soon as the tracking number is
    back), on_print (when the label prints), on_pickup (when the carrier collects) or daily_batch
    (once a day, for what left). The report shows all four; this one is the headline baseline.
    The guard's warehouse records it on_tracking: the guard prints no label before it.
    Source: assumption (declaring at collection is the common ERP default)."""
    notice_minutes: Range = (1.0, 10.0)
    """on_tracking: from the tracking number to the ERP's declaration. Source: assumption."""
    daily_batch_hour: float = 20.0
    """daily_batch: the hour of the day's declaration run. Source: assumption."""
    declaration_failure_share: float = 0.02
    """Of declarations: the platform call fails (peak load, a stale token) and must be retried.
    Source: assumption (seed point 3 speaks of the platform's data delays at the peak)."""
    declaration_retry_minutes: Range = (10.0, 30.0)
    """How soon the ERP retries a declaration that failed or that the platform refused (order in
    review or being cancelled). Source: assumption."""

    # --- seed point 7: freight deductions fail, succeed on retry -------------------------------
    freight_deduction_minutes: Range = (1.0, 10.0)
    """From the logistics order to the freight deduction. Source: assumption."""
    freight_failure_share: float = 0.06
    """Of deductions: fail at first. Source: seed point 7 (assumed share)."""
    freight_retry_minutes: Range = (10.0, 30.0)
    """Between retries. Source: seed point 7 ("wait 10 minutes and refresh")."""
    freight_retries: tuple[int, int] = (1, 4)
    """Failed deductions succeed after this many retries. Source: assumption."""

    # --- seed point 3: the seller's data arrives late, out of order, twice --------------------
    sync_lag_minutes: Range = (1.0, 15.0)
    """Platform status changes reach the seller (the ERP's view and the guard alike) after this
    lag. Source: assumption (an ERP polls the order list every few minutes)."""
    late_sync_share: float = 0.08
    """Of status changes: reach the seller late. Source: seed point 3 (data delays; assumed share)."""
    late_sync_minutes: Range = (30.0, 180.0)
    """How late. Source: seed point 3 (assumed)."""
    duplicate_share: float = 0.05
    """Platform events delivered twice (same event id). Source: assumption."""
    stale_view_share: float = 0.05
    """Platform views re-synced later with their old modification time. Source: seed point 3."""
    erp_lag_seconds: Range = (1.0, 60.0)
    """The ERP's own writes (notice, freight, cancellation answer) are ready to send this fast.
    Source: assumption."""
    push_every_minutes: int = 5
    """The ERP pushes what it has to the guard in batches, on this cycle. Source: assumption."""

    # --- the platform's ship-by deadline (met by the notice) -----------------------------------
    handling_hours: float = 72.0
    """Time the platform allows to record the notice. Source: assumption (a common handling time)."""
    fast_ship_share: float = 0.10
    """Orders promising the notice within `fast_ship_hours`. Source: assumption."""
    fast_ship_hours: float = 24.0
    """Their deadline. Source: assumption."""

    # --- the warehouse (every warehouse in the comparison works the same floor) -----------------
    packers: int = 0
    """Packers at work (one packing station each); 0 sizes the team to the day: enough to pack
    `line_capacity_factor` times the day's average hourly orders. Source: assumption."""
    line_capacity_factor: float = 1.5
    """With `packers` 0: packing capacity as a multiple of the day's average orders per hour.
    Source: assumption (staffed up for the sale, still behind at midnight)."""
    pack_rate_per_hour: Range = (60.0, 120.0)
    """One packer's pace, drawn per parcel (single-item polybags). Source: operations practice for
    small parcels; multi-item cartons run at 25-40 an hour (F. Curtis Barry & Company benchmarks)."""
    wave_every_minutes: int = 30
    """The ERP cuts a wave (a pick list) on this cycle. Source: assumption."""
    wave_precheck: bool = True
    """The guard's warehouse checks each wave with `POST /v1/checks` before picking, and picks only
    orders that are clear. Source: the guard's integration guide."""
    shelf_round_minutes: int = 10
    """How often the shelf clerk looks at the held parcels and takes released ones back.
    Source: assumption."""
    pickup_hours: tuple[float, ...] = (11.0, 18.0)
    """Carrier pick-ups, hours of the day (one or more); the parcels leave by the bag.
    Source: assumption (one or two collections a day for a seller of this size)."""
    bagging_lead_minutes: int = 30
    """Before each pick-up, the dock scans the labelled parcels into bags and seals them; the bags
    leave at the pick-up. Parcels labelled later wait for the next one. Source: assumption."""
    handover_by_tracking_share: float = 0.3
    """Hand-over scans of the tracking number rather than the order id. Source: assumption."""
    supervisor_release_share: float = 0.5
    """Overdue holds whose only reason is unpaid freight that a supervisor releases by hand,
    after confirming the deduction with the logistics provider. Source: seed point 7."""
    supervisor_delay_minutes: Range = (10.0, 60.0)
    """How long that takes. Source: assumption."""

    # --- what can beat the guard (the defaults describe a warehouse that follows it) -------------
    handover_scan_share: float = 1.0
    """Of parcels bagged: scanned at hand-over (`POST /v1/handovers`); the others go into the bag
    unchecked. Source: a warehouse that follows the guard scans every parcel."""
    label_outside_escrow_share: float = 0.0
    """Of parcels: the packer prints the carrier's label from the ERP instead of through the guard
    (no check at the station; the hand-over scan still applies). Source: a warehouse that follows
    the guard prints every label through it."""
    erp_false_recorded_share: float = 0.0
    """Of failed declarations: the ERP reports the notice `recorded` anyway and never retries.
    The guard believes it; risk control does not. Source: a warehouse that follows the guard
    reports only declarations the platform accepted."""
    closure_sync_extra_minutes: float = 0.0
    """Extra delay before a closure reaches the seller (ERP and guard), on top of the usual lag.
    Source: the defaults add none."""

    # --- money (one currency) ----------------------------------------------------------------
    currency: str = "CNY"
    """The currency of every amount. Source: the sellers of the seed notice work in yuan."""
    goods_cost_median: float = 50.0
    """Goods cost of an order, median of a log-normal draw. Source: assumption — AliExpress orders
    average roughly 11-32 USD by market (Vortex IQ; about 20 USD in AliExpress Russia, EWDN 2020),
    goods cost taken as about a third of the price."""
    goods_cost_sigma: float = 0.8
    """Spread of that log-normal (sigma of the log). Source: assumption (most orders cheap, a long
    tail of dear ones)."""
    freight_cost: Range = (15.0, 45.0)
    """Outbound freight of a parcel, paid whatever happens to it. Source: assumption (an economy
    line for a 100-500 g parcel)."""
    labour_cost_per_hour: float = 30.0
    """A warehouse hand's cost per hour. Source: assumption (about 5,000 yuan a month with
    peak-day overtime)."""
    shelf_cost_per_parcel_hour: float = 0.05
    """Cost of one parcel on the hold shelf for an hour (space, the stock tied up). Source:
    assumption."""
    shelf_in_minutes: float = 1.0
    """Handling to put a parcel on the hold shelf. Source: assumption."""
    shelf_out_minutes: float = 1.0
    """Handling to take it back to a station. Source: assumption."""
    rescan_minutes: float = 0.25
    """A second scan at a station. Source: assumption."""
    pull_minutes: float = 3.0
    """Pulling a parcel at the hand-over and taking it to the shelf. Source: assumption."""
    declared_idle_hours: float = 24.0
    """A parcel whose notice is recorded and that is still in the warehouse this long counts as
    declared-not-collected. Source: the false-delivery rule allows 5 working days to the carrier's
    first scan; at the peak the carrier's own scan takes 1-3 days, so a warehouse keeps its part
    to a day (assumption)."""
    declared_idle_cost: float = 5.0
    """Expected cost of one declared-not-collected parcel. Source: assumption (some of them miss
    the 5-day limit; the penalty is points and restrictions, not a fixed fine)."""

    # --- the guard's worker (embedded guard only) ------------------------------------------
    sweep_every_minutes: int = 10
    """How often, in simulated minutes, the embedded guard's re-check sweep runs. A real worker
    runs it every few seconds; compressed into minutes that would be most of the replay's work.
    Source: the simulation's own economy."""

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise ValueError("; ".join(problems))

    @property
    def horizon_minutes(self) -> int:
        return int(round((24 + self.tail_hours) * 60))

    @property
    def packer_count(self) -> int:
        if self.packers:
            return self.packers
        mean_rate = sum(self.pack_rate_per_hour) / 2
        return max(1, round(self.line_capacity_factor * self.orders / 24 / max(mean_rate, 1.0)))

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


@dataclass(frozen=True)
class Description:
    name: str
    default: str
    text: str
    source: str


def describe() -> list[Description]:
    """Every parameter: its default, what it is and where the default comes from."""
    docs = _field_docs()
    defaults = Parameters()
    out = []
    for f in fields(Parameters):
        text, _, source = docs.get(f.name, "").partition("Source:")
        out.append(Description(f.name, show(getattr(defaults, f.name)), text.strip(), source.strip()))
    return out


def sweepable(name: str) -> bool:
    """A parameter that takes one value (a sweep gives one value per run)."""
    return name in {f.name for f in fields(Parameters)} and not isinstance(getattr(Parameters(), name), tuple)


def _problems(p: Parameters) -> list[str]:
    problems = []
    if p.orders < 1:
        problems.append("orders must be at least 1")
    intervals = (p.shelf_round_minutes, p.wave_every_minutes, p.sweep_every_minutes, p.push_every_minutes)
    if min(intervals) < 1:
        problems.append("the *_every_minutes and shelf_round_minutes intervals must be at least 1")
    if not 0 <= p.tail_hours <= 72:
        problems.append("tail_hours must be between 0 and 72")
    if len(p.baseline_hourly) != 24 or min(p.baseline_hourly) < 0 or sum(p.baseline_hourly) <= 0:
        problems.append("baseline_hourly needs 24 non-negative weights")
    if p.midnight_share + p.evening_share > 1:
        problems.append("midnight_share + evening_share must not exceed 1")
    if p.erp_notice_timing not in NOTICE_TIMINGS:
        problems.append(f"erp_notice_timing must be one of {', '.join(NOTICE_TIMINGS)}")
    if not p.pickup_hours or any(not 0 <= hour < 24 for hour in p.pickup_hours):
        problems.append("pickup_hours needs at least one hour of the day, each in [0, 24)")
    if not 0 <= p.daily_batch_hour < 24:
        problems.append("daily_batch_hour must be in [0, 24)")
    if min(p.pack_rate_per_hour) <= 0:
        problems.append("pack_rate_per_hour must be above 0")
    if p.bagging_lead_minutes >= 24 * 60:
        problems.append("bagging_lead_minutes must be under a day")
    for f in fields(p):
        value = getattr(p, f.name)
        if f.name.endswith("_share") and not 0 <= value <= 1:
            problems.append(f"{f.name} must be between 0 and 1")
        if f.type == "Range" or f.name == "freight_retries":
            if len(value) != 2 or not 0 <= value[0] <= value[1]:
                problems.append(f"{f.name} must be a range low,high with 0 <= low <= high")
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            problems.append(f"{f.name} must not be negative")
    return problems


def _parse(current: Any, text: str, name: str) -> Any:
    try:
        if isinstance(current, tuple):
            parts = [part.strip() for part in text.split(",")]
            kind = type(current[0]) if current else float
            return tuple(kind(float(part)) if kind is int else float(part) for part in parts)
        if isinstance(current, bool):
            lowered = text.strip().lower()
            if lowered not in ("1", "true", "yes", "0", "false", "no"):
                raise ValueError
            return lowered in ("1", "true", "yes")
        if isinstance(current, int):
            return int(text)
        if isinstance(current, float):
            return float(text)
        return text.strip()
    except ValueError:
        raise ValueError(f"{name}: cannot read {text!r}") from None


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def show(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ",".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
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
