"""Facts remember the platform word that set them and whether they had a time of their own;
the direct sync's position.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("facts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("untimed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("source", sa.String(length=128), nullable=True))
    op.create_table(
        "sync_positions",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("modified_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("access_token", sa.String(length=512), nullable=True),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refresh_token", sa.String(length=512), nullable=True),
        sa.Column("refresh_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("authorized_with", sa.String(length=64), nullable=True),
        sa.Column("running_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("orders_seen", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source"),
    )


def downgrade() -> None:
    op.drop_table("sync_positions")
    with op.batch_alter_table("facts", schema=None) as batch_op:
        batch_op.drop_column("source")
        batch_op.drop_column("untimed")
