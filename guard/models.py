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
    """An order on the hold shelf (held), pulled for good (blocked), or let go (released)."""

    __tablename__ = "holds"
    __table_args__ = (sa.Index("ix_holds_state_since", "state", "since"),)

    order_id: str = Field(primary_key=True, max_length=ID_LENGTH)
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
    """A label issued for one parcel: at most one per order and parcel."""

    __tablename__ = "labels"
    __table_args__ = (sa.UniqueConstraint("order_id", "parcel_id", name="uq_labels_parcel"),)

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


class CarrierLabel(TableModel, table=True):
    """The carrier's own label, held in escrow until the parcel's order is clear."""

    __tablename__ = "carrier_labels"

    order_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    parcel_id: str = Field(primary_key=True, max_length=ID_LENGTH)
    format: str = Field(max_length=8)
    content: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    tracking_number: str = Field(max_length=128)
    received_at: datetime = _ts()


class Notification(TableModel, table=True):
    """The outbox: written with the change that caused it, delivered after commit."""

    __tablename__ = "outbox"

    id: int | None = Field(default=None, sa_column=sa.Column(BigID, primary_key=True, autoincrement=True))
    notification_id: str = Field(max_length=40, unique=True)
    type: str = Field(max_length=40)
    order_id: str = Field(max_length=ID_LENGTH, index=True)
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
