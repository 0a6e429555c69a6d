"""Parcels (contract v1.1): the notice, holds, claims on tracking numbers, pulls and follow-ups per parcel.

Carries today's data over: every order gets parcel "1", which takes the order's
shipping notice (its number in normal form) and its hold; labels and escrowed
carrier labels keep their parcels, their numbers in normal form; the claims on
numbers are worked out from them.

Revision ID: 0003
Revises: 0002
"""

import unicodedata
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
CHUNK = 5000


def _normal(number: str | None) -> str | None:
    # As guard.parcels.normal_tracking at the time of writing (a migration must not follow later code).
    return None if number is None else "".join(unicodedata.normalize("NFKC", number).split()).upper()


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    now = datetime.now(UTC)
    stamp = now if postgres else now.replace(tzinfo=None)

    op.create_table(
        "parcels",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("parcel_id", sa.String(length=64), nullable=False),
        sa.Column("notice_status", sa.String(length=32), nullable=True),
        sa.Column("notice_occurred_at", TS, nullable=True),
        sa.Column("notice_event_id", sa.String(length=64), nullable=True),
        sa.Column("notice_untimed", sa.Boolean(), nullable=False),
        sa.Column("notice_source", sa.String(length=200), nullable=True),
        sa.Column("tracking_number", sa.String(length=128), nullable=True),
        sa.Column("carrier", sa.String(length=128), nullable=True),
        sa.Column("shipment_id", sa.String(length=64), nullable=True),
        sa.Column("handed_over_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "parcel_id"),
    )
    op.create_index("ix_parcels_tracking_number", "parcels", ["tracking_number"])
    op.create_table(
        "tracking_claims",
        sa.Column("tracking_number", sa.String(length=128), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("parcel_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=True),
        sa.Column("shipment_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("conflict", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("tracking_number", "order_id", "parcel_id"),
    )
    op.create_index("ix_tracking_claims_parcel", "tracking_claims", ["order_id", "parcel_id"])
    op.create_table(
        "loose_notices",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("tracking_number", sa.String(length=128), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("carrier", sa.String(length=128), nullable=True),
        sa.Column("shipment_id", sa.String(length=64), nullable=True),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "tracking_number"),
    )
    op.create_table(
        "pulls",
        sa.Column("notification_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("parcel_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=True),
        sa.Column("station_id", sa.String(length=64), nullable=True),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("acked_at", TS, nullable=True),
        sa.Column("ack_station_id", sa.String(length=64), nullable=True),
        sa.Column("ack_outcome", sa.String(length=16), nullable=True),
        sa.Column("ack_key_name", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    op.create_index("ix_pulls_open", "pulls", ["acked_at", "created_at"])
    op.create_index("ix_pulls_store_id", "pulls", ["store_id"])
    op.create_table(
        "followups",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )

    # Holds per (order, parcel): today's holds are parcel "1"'s. A new table, copied, on both
    # databases alike (SQLite cannot change a primary key in place).
    columns = "order_id, store_id, state, reasons, since, station_id, recheck_at, recheck_count, overdue, updated_at"
    op.create_table(
        "holds_v3",
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("parcel_id", sa.String(length=64), nullable=False),
        sa.Column("store_id", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=8), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("since", TS, nullable=False),
        sa.Column("station_id", sa.String(length=64), nullable=True),
        sa.Column("recheck_at", TS, nullable=True),
        sa.Column("recheck_count", sa.Integer(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("order_id", "parcel_id", name="holds_v3_pkey"),
    )
    op.execute(f"INSERT INTO holds_v3 ({columns}, parcel_id) SELECT {columns}, '1' FROM holds")
    op.drop_table("holds")
    op.rename_table("holds_v3", "holds")
    op.create_index("ix_holds_recheck_at", "holds", ["recheck_at"])
    op.create_index("ix_holds_state_since", "holds", ["state", "since"])
    op.create_index("ix_holds_station_id", "holds", ["station_id"])
    op.create_index("ix_holds_store_id", "holds", ["store_id"])

    # Labels: voided ones stay on record; one live label per parcel.
    with op.batch_alter_table("labels") as batch_op:
        batch_op.add_column(sa.Column("voided_at", TS, nullable=True))
        batch_op.add_column(sa.Column("void_note", sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column("voided_by", sa.String(length=64), nullable=True))
        batch_op.drop_constraint("uq_labels_parcel", type_="unique")
        batch_op.create_index("ix_labels_order", ["order_id"])
    op.create_index(
        "uq_labels_live_parcel",
        "labels",
        ["order_id", "parcel_id"],
        unique=True,
        postgresql_where=sa.text("voided_at IS NULL"),
        sqlite_where=sa.text("voided_at IS NULL"),
    )
    with op.batch_alter_table("carrier_labels") as batch_op:
        batch_op.add_column(sa.Column("shipment_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("carrier_labels") as batch_op:
        batch_op.alter_column("verified", server_default=None, existing_type=sa.Boolean())
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("parcel_id", sa.String(length=64), nullable=True))

    _carry_over(bind, stamp)


def _carry_over(bind: sa.Connection, stamp: datetime) -> None:
    meta = sa.MetaData()
    orders = sa.Table("orders", meta, autoload_with=bind)
    facts = sa.Table("facts", meta, autoload_with=bind)
    parcels = sa.Table("parcels", meta, autoload_with=bind)
    labels = sa.Table("labels", meta, autoload_with=bind)
    escrow = sa.Table("carrier_labels", meta, autoload_with=bind)
    claims = sa.Table("tracking_claims", meta, autoload_with=bind)

    notices = {
        row.order_id: row for row in bind.execute(sa.select(facts).where(facts.c.fact_type == "shipping_notice"))
    }
    stores = dict(bind.execute(sa.select(orders.c.order_id, orders.c.store_id)).all())
    rows = []
    for order_id in stores:
        notice = notices.get(order_id)
        rows.append(
            {
                "order_id": order_id,
                "parcel_id": "1",
                "notice_status": notice.status if notice is not None else None,
                "notice_occurred_at": notice.occurred_at if notice is not None else None,
                "notice_event_id": notice.event_id if notice is not None else None,
                "notice_untimed": False,
                "tracking_number": _normal(notice.tracking_number) if notice is not None else None,
                "carrier": notice.carrier if notice is not None else None,
                "created_at": stamp,
                "updated_at": stamp,
            }
        )
    for start in range(0, len(rows), CHUNK):
        bind.execute(parcels.insert(), rows[start : start + CHUNK])
    bind.execute(facts.delete().where(facts.c.fact_type == "shipping_notice"))

    for table, key in ((labels, labels.c.label_id), (escrow, None)):
        for row in bind.execute(sa.select(table)).mappings().all():
            normal = _normal(row["tracking_number"])
            if normal == row["tracking_number"]:
                continue
            where = (
                key == row["label_id"]
                if key is not None
                else sa.and_(table.c.order_id == row["order_id"], table.c.parcel_id == row["parcel_id"])
            )
            bind.execute(table.update().where(where).values(tracking_number=normal))

    # Parcels named only by a label or an escrowed carrier label exist too.
    named = {(r.order_id, r.parcel_id) for r in bind.execute(sa.select(labels.c.order_id, labels.c.parcel_id))}
    named |= {(r.order_id, r.parcel_id) for r in bind.execute(sa.select(escrow.c.order_id, escrow.c.parcel_id))}
    extra = [
        {"order_id": o, "parcel_id": p, "notice_untimed": False, "created_at": stamp, "updated_at": stamp}
        for o, p in sorted(named)
        if p != "1" and o in stores
    ]
    if extra:
        bind.execute(parcels.insert(), extra)

    # Claims: every number a parcel carries, live (nothing was handed over or voided before parcels).
    carried: dict[tuple[str, str, str], None] = {}
    for holder in bind.execute(sa.select(parcels.c.order_id, parcels.c.parcel_id, parcels.c.tracking_number)):
        if holder.tracking_number:
            carried[(holder.tracking_number, holder.order_id, holder.parcel_id)] = None
    for table in (escrow, labels):
        for holder in bind.execute(sa.select(table.c.order_id, table.c.parcel_id, table.c.tracking_number)):
            if holder.tracking_number:
                carried[(holder.tracking_number, holder.order_id, holder.parcel_id)] = None
    claim_rows: list[dict] = [
        {
            "tracking_number": number,
            "order_id": order_id,
            "parcel_id": parcel_id,
            "store_id": stores.get(order_id),
            "shipment_id": None,
            "state": "live",
            "conflict": False,
            "updated_at": stamp,
        }
        for number, order_id, parcel_id in carried
    ]
    by_number: dict[tuple[str, str | None], set[tuple[str, str]]] = {}
    for claim in claim_rows:
        number = (str(claim["tracking_number"]), claim["store_id"])
        by_number.setdefault(number, set()).add((str(claim["order_id"]), str(claim["parcel_id"])))
    for claim in claim_rows:
        claim["conflict"] = len(by_number[(str(claim["tracking_number"]), claim["store_id"])]) > 1
    for start in range(0, len(claim_rows), CHUNK):
        bind.execute(claims.insert(), claim_rows[start : start + CHUNK])


def downgrade() -> None:
    raise NotImplementedError("parcels cannot be folded back into one notice per order without losing facts")
