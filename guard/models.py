"""Tables. Timestamps are UTC everywhere; SQLite stores them naive, PostgreSQL as timestamptz.

The schema is built for what comes next as well as what is here: waivers tied to
facts, one label per order and parcel, and an outbox of notifications written in
the same transaction as the hold change that caused them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

ID_LENGTH = 64


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out, whatever the backend keeps."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements INTEGER only


def _ts(nullable: bool = False, index: bool = False) -> Any:
    return Field(sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _json(nullable: bool = False) -> Any:
    return Field(sa_column=sa.Column(sa.JSON(), nullable=nullable))


class TableModel(SQLModel):
    """The base of every table: declares the `__table__` SQLAlchemy gives each (SQLModel does
    not, so a type checker would not know `Hold.__table__`)."""

    __table__: ClassVar[sa.Table]


class Order(TableModel, table=True):
    __tablename__ = "orders"

    order_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    store_id: str | None = Field(default=None, max_length=ID_LENGTH, index=True)
    ship_by: datetime | None = _ts(nullable=True)
    # The source time of the event that set ship_by, so a lagging event cannot move it back.
    ship_by_at: datetime | None = _ts(nullable=True)
    # The buyer's country (ISO 3166-1 alpha-2), and the source time of the event that set it.
    buyer_country: str | None = Field(default=None, max_length=2)
    buyer_country_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class FactRow(TableModel, table=True):
    """The current fact per order and type (the latest that won under the replacement rules)."""

    __tablename__ = "facts"

    order_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    fact_type: str = Field(primary_key=True, max_length=32)
    status: str = Field(max_length=32)
    occurred_at: datetime = _ts()
    event_id: str = Field(max_length=ID_LENGTH)
    tracking_number: str | None = Field(default=None, max_length=128)
    carrier: str | None = Field(default=None, max_length=128)
    note: str | None = Field(default=None, max_length=1000)
    updated_at: datetime = _ts()
    # No modification time of its own (an export row read at --as-of): contract v1.1.
    untimed: bool = Field(default=False, sa_column=sa.Column(sa.Boolean(), nullable=False, server_default=sa.false()))
    # The platform word that set it ("fund_status=NOT_PAY"); NULL for a plain fact event.
    source: str | None = Field(default=None, max_length=128)


class EventRow(TableModel, table=True):
    """Every accepted event id (rule 1: duplicates), with what it did."""

    __tablename__ = "events"

    event_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    order_id: str = Field(max_length=ID_LENGTH, index=True)
    fact_type: str = Field(max_length=32)
    status: str = Field(max_length=64)
    occurred_at: datetime = _ts()
    received_at: datetime = _ts(index=True)
    outcome: str = Field(max_length=16)
    payload: dict = _json()


class Decision(TableModel, table=True):
    """An audited verdict: every check, label, reprint, release and hand-over."""

    __tablename__ = "decisions"
    __table_args__ = (sa.Index("ix_decisions_order_time", "order_id", "decided_at"),)

    decision_id: str = Field(primary_key=True, max_length=40)
    order_id: str = Field(max_length=ID_LENGTH)
    parcel_id: str | None = Field(default=None, max_length=ID_LENGTH)
    kind: str = Field(max_length=16)
    verdict: str = Field(max_length=8)
    reasons: list = _json()
    waived: list = _json()
    station_id: str | None = Field(default=None, max_length=ID_LENGTH)
    operator: str | None = Field(default=None, max_length=128)
    key_name: str | None = Field(default=None, max_length=ID_LENGTH)
    facts: dict = _json()
    note: str | None = Field(default=None, max_length=1000)
    decided_at: datetime = _ts(index=True)


class Hold(TableModel, table=True):
    """A parcel on the hold shelf (held), pulled for good (blocked), or let go (released)."""

    __tablename__ = "holds"
    __table_args__ = (sa.Index("ix_holds_state_since", "state", "since"),)

    order_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    parcel_id: str = Field(default="1", primary_key=True, max_length=ID_LENGTH)
    store_id: str | None = Field(default=None, max_length=ID_LENGTH, index=True)
    state: str = Field(max_length=8)
    reasons: list = _json()
    since: datetime = _ts()
    station_id: str | None = Field(default=None, max_length=ID_LENGTH, index=True)
    recheck_at: datetime | None = _ts(nullable=True, index=True)
    recheck_count: int = 0
    overdue: bool = False
    updated_at: datetime = _ts()


class Clearance(TableModel, table=True):
    """A single-use permission to print one parcel's label, short-lived."""

    __tablename__ = "clearances"
    __table_args__ = (sa.Index("ix_clearances_parcel", "order_id", "parcel_id"),)

    token: str = Field(primary_key=True, max_length=64)
    order_id: str = Field(max_length=ID_LENGTH)
    parcel_id: str = Field(max_length=ID_LENGTH)
    decision_id: str = Field(max_length=40)
    issued_at: datetime = _ts()
    expires_at: datetime = _ts()
    used_at: datetime | None = _ts(nullable=True)
    voided_at: datetime | None = _ts(nullable=True)


class Waiver(TableModel, table=True):
    """A supervisor's waiver of one waivable reason, valid while the fact it saw stands."""

    __tablename__ = "waivers"

    order_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    code: str = Field(primary_key=True, max_length=40)
    fact_stamp: str | None = Field(default=None, max_length=ID_LENGTH)
    note: str = Field(max_length=1000)
    key_name: str | None = Field(default=None, max_length=ID_LENGTH)
    granted_at: datetime = _ts()
    decision_id: str = Field(max_length=40)


class Label(TableModel, table=True):
    """A label issued for one parcel: at most one live (not voided) per order and parcel."""

    __tablename__ = "labels"
    __table_args__ = (
        sa.Index(
            "uq_labels_live_parcel",
            "order_id",
            "parcel_id",
            unique=True,
            postgresql_where=sa.text("voided_at IS NULL"),
            sqlite_where=sa.text("voided_at IS NULL"),
        ),
        sa.Index("ix_labels_order", "order_id"),
    )

    label_id: str = Field(primary_key=True, max_length=40)
    order_id: str = Field(max_length=ID_LENGTH)
    parcel_id: str = Field(max_length=ID_LENGTH)
    source: str = Field(max_length=8)
    format: str = Field(max_length=8)
    tracking_number: str | None = Field(default=None, max_length=128, index=True)
    station_id: str | None = Field(default=None, max_length=ID_LENGTH)
    clearance_token: str | None = Field(default=None, max_length=64)
    issued_at: datetime = _ts()
    # The document as issued, so a reprint gives the very same label.
    content: bytes | None = Field(default=None, sa_column=sa.Column(sa.LargeBinary(), nullable=True))
    # Voided (a parcel back to stock, a damaged label, a corrected number): the parcel needs a new clearance.
    voided_at: datetime | None = _ts(nullable=True)
    void_note: str | None = Field(default=None, max_length=1000)
    voided_by: str | None = Field(default=None, max_length=ID_LENGTH)


class CarrierLabel(TableModel, table=True):
    """The carrier's own label, held in escrow until the parcel's order is clear."""

    __tablename__ = "carrier_labels"

    order_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    parcel_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    format: str = Field(max_length=8)
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    tracking_number: str = Field(max_length=128)
    received_at: datetime = _ts()
    shipment_id: str | None = Field(default=None, max_length=ID_LENGTH)
    # False for a PDF with no text layer: its number could not be read off the document.
    verified: bool = True


class Parcel(TableModel, table=True):
    """One parcel of an order: its own shipping notice, number and hand-over (contract v1.1).

    Every order has parcel "1"; another exists once a notice event, an escrowed
    carrier label or an issued label names it.
    """

    __tablename__ = "parcels"
    __table_args__ = (
        # A combined shipment's members, found on every label, reprint and hand-over (most parcels are in none).
        sa.Index(
            "ix_parcels_shipment",
            "shipment_id",
            postgresql_where=sa.text("shipment_id IS NOT NULL"),
            sqlite_where=sa.text("shipment_id IS NOT NULL"),
        ),
    )

    order_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    parcel_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    # The notice, as a fact of this parcel (NULL status: no notice event named it yet).
    notice_status: str | None = Field(default=None, max_length=32)
    notice_occurred_at: datetime | None = _ts(nullable=True)
    notice_event_id: str | None = Field(default=None, max_length=ID_LENGTH)
    notice_untimed: bool = False
    notice_source: str | None = Field(default=None, max_length=200)
    tracking_number: str | None = Field(default=None, max_length=128, index=True)  # normal form
    carrier: str | None = Field(default=None, max_length=128)
    shipment_id: str | None = Field(default=None, max_length=ID_LENGTH)
    handed_over_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts()
    updated_at: datetime = _ts()


class TrackingClaim(TableModel, table=True):
    """A parcel's hold on a tracking number, and whether another live parcel of its store holds it too.

    `conflict` is worked out by whoever changes the number's claims, under that
    number's lock, so readers (the wave check) need not look across orders.
    """

    __tablename__ = "tracking_claims"
    __table_args__ = (sa.Index("ix_tracking_claims_parcel", "order_id", "parcel_id"),)

    tracking_number: str = Field(primary_key=True, max_length=128)
    order_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    parcel_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    store_id: str | None = Field(default=None, max_length=ID_LENGTH)
    shipment_id: str | None = Field(default=None, max_length=ID_LENGTH)
    state: str = Field(max_length=8)  # live, released, void
    conflict: bool = False
    updated_at: datetime = _ts()


class LooseNotice(TableModel, table=True):
    """A notice whose parcel the guard could not tell: kept on the order, changing no verdict."""

    __tablename__ = "loose_notices"

    order_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    tracking_number: str = Field(primary_key=True, max_length=128)
    status: str = Field(max_length=32)
    carrier: str | None = Field(default=None, max_length=128)
    shipment_id: str | None = Field(default=None, max_length=ID_LENGTH)
    event_id: str = Field(max_length=ID_LENGTH)
    occurred_at: datetime = _ts()


class Pull(TableModel, table=True):
    """An `order.pull` sent for a labelled parcel, until a station says it was taken off the line."""

    __tablename__ = "pulls"
    __table_args__ = (sa.Index("ix_pulls_open", "acked_at", "created_at"),)

    notification_id: str = Field(primary_key=True, max_length=40)
    order_id: str = Field(max_length=ID_LENGTH)
    parcel_id: str = Field(max_length=ID_LENGTH)
    store_id: str | None = Field(default=None, max_length=ID_LENGTH, index=True)
    station_id: str | None = Field(default=None, max_length=ID_LENGTH)
    reasons: list = _json()
    created_at: datetime = _ts()
    acked_at: datetime | None = _ts(nullable=True)
    ack_station_id: str | None = Field(default=None, max_length=ID_LENGTH)
    ack_outcome: str | None = Field(default=None, max_length=16)
    ack_key_name: str | None = Field(default=None, max_length=ID_LENGTH)


class FollowUp(TableModel, table=True):
    """An order another order's change concerns (a conflict on a shared number, a shipment partner):
    re-judged soon by a job under its own lock, never from inside the other order's transaction."""

    __tablename__ = "followups"

    id: int | None = Field(default=None, sa_column=sa.Column(BigID, primary_key=True, autoincrement=True))
    order_id: str = Field(max_length=ID_LENGTH)
    created_at: datetime = _ts()


class Notification(TableModel, table=True):
    """The outbox: written with the change that caused it, delivered after commit."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, sa_column=sa.Column(BigID, primary_key=True, autoincrement=True))
    notification_id: str = Field(max_length=40, unique=True)
    type: str = Field(max_length=40)
    order_id: str = Field(max_length=ID_LENGTH, index=True)
    parcel_id: str | None = Field(default=None, max_length=ID_LENGTH)
    store_id: str | None = Field(default=None, max_length=ID_LENGTH)
    station_id: str | None = Field(default=None, max_length=ID_LENGTH)
    body: dict = _json()
    created_at: datetime = _ts()
    published_at: datetime | None = _ts(nullable=True)
    delivered_at: datetime | None = _ts(nullable=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _ts(nullable=True, index=True)
    last_error: str | None = Field(default=None, max_length=1000)
    failed_at: datetime | None = _ts(nullable=True)
    # Retried with backoff until then; a retry by hand starts a new window.
    give_up_at: datetime | None = _ts(nullable=True)


class ApiKey(TableModel, table=True):
    """An API key: only the SHA-256 of the secret is kept (the secret is random, 256 bits)."""

    __tablename__ = "api_keys"

    id: int | None = Field(default=None, sa_column=sa.Column(BigID, primary_key=True, autoincrement=True))
    name: str = Field(max_length=ID_LENGTH, unique=True)
    key_hash: str = Field(max_length=64, unique=True)
    scopes: list = _json()
    stores: list | None = _json(nullable=True)
    created_at: datetime = _ts()
    last_used_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)


class SyncPosition(TableModel, table=True):
    """How far the direct sync with a platform has read, and the shop's current tokens.

    One row per platform (and shop). `modified_until`: every order modified before it has
    been read (all but finished orders); `finished_until`: the same for finished orders,
    which the platform lists only when asked for them alone. The tokens are the refreshed
    ones (the settings hold the first pair). `running_until` is a lease: one sync at a time.
    """

    __tablename__ = "sync_positions"

    source: str = Field(primary_key=True, max_length=64)
    modified_until: datetime | None = _ts(nullable=True)
    finished_until: datetime | None = _ts(nullable=True)
    access_token: str | None = Field(default=None, max_length=512)
    access_expires_at: datetime | None = _ts(nullable=True)
    refresh_token: str | None = Field(default=None, max_length=512)
    refresh_expires_at: datetime | None = _ts(nullable=True)
    # Which pair of settings tokens the stored ones descend from (a hash): new tokens in the
    # settings (the shop authorized the app again) replace the stored ones.
    authorized_with: str | None = Field(default=None, max_length=64)
    running_until: datetime | None = _ts(nullable=True)
    last_run_at: datetime | None = _ts(nullable=True)
    last_error: str | None = Field(default=None, max_length=1000)
    orders_seen: int = 0
    updated_at: datetime = _ts()
