"""The buyer's country on the order (contract v1.1), so the hold board offers the buyer's language first.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("buyer_country", sa.String(length=2), nullable=True))
        batch_op.add_column(sa.Column("buyer_country_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("buyer_country_at")
        batch_op.drop_column("buyer_country")
