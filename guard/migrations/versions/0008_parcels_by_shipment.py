"""Parcels found by shipment: the members of a combined shipment (合并发货) are looked up by
`shipment_id` on every label, reprint and hand-over. Partial: most parcels are in none.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_parcels_shipment",
        "parcels",
        ["shipment_id"],
        postgresql_where=sa.text("shipment_id IS NOT NULL"),
        sqlite_where=sa.text("shipment_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_parcels_shipment", table_name="parcels")
