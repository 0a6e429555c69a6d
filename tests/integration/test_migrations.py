"""The Alembic migrations build exactly the tables the code uses, on both databases."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import guard.models  # noqa: F401


def test_migrated_schema_matches_the_models(database_url):
    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_migrations_are_at_head(database_url):
    from alembic.script import ScriptDirectory

    from guard.db import alembic_config

    engine = sa.create_engine(database_url)
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    engine.dispose()
    assert current == ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def _fresh(database_url: str) -> str:
    """An empty scratch database beside the test's (SQLite file, or a PostgreSQL database)."""
    import uuid

    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return str(url.set(database=f"{url.database}.{uuid.uuid4().hex[:8]}.db"))
    name = f"guard_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def test_parcels_migration_carries_todays_notice_hold_and_labels_over_to_parcel_1(database_url):
    from datetime import UTC, datetime

    from guard.config import Settings
    from guard.db import upgrade

    url = _fresh(database_url)
    upgrade(Settings(database_url=url), "0002")
    engine = sa.create_engine(url)
    now = datetime(2026, 11, 11, 1, 0, tzinfo=UTC)
    stamp = now if engine.dialect.name == "postgresql" else now.replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO orders (order_id, store_id, created_at, updated_at) VALUES ('m-1', 's', :t, :t)"),
            {"t": stamp},
        )
        conn.execute(
            sa.text(
                "INSERT INTO facts (order_id, fact_type, status, occurred_at, event_id, tracking_number, carrier, "
                "updated_at) VALUES ('m-1', 'shipping_notice', 'recorded', :t, 'ev-n', ' lp 77 ', 'Cainiao', :t), "
                "('m-1', 'payment', 'paid', :t, 'ev-p', NULL, NULL, :t)"
            ),
            {"t": stamp},
        )
        conn.execute(
            sa.text(
                "INSERT INTO holds (order_id, store_id, state, reasons, since, recheck_count, overdue, updated_at) "
                "VALUES ('m-1', 's', 'held', '[\"FREIGHT_UNPAID\"]', :t, 0, false, :t)"
            ),
            {"t": stamp},
        )
        conn.execute(
            sa.text(
                "INSERT INTO labels (label_id, order_id, parcel_id, source, format, tracking_number, issued_at) "
                "VALUES ('lbl_1', 'm-1', '1', 'guard', 'zpl', 'lp77', :t)"
            ),
            {"t": stamp},
        )
    upgrade(Settings(database_url=url))
    with engine.connect() as conn:
        parcel = conn.execute(sa.text("SELECT parcel_id, notice_status, tracking_number, carrier FROM parcels")).one()
        assert tuple(parcel) == ("1", "recorded", "LP77", "Cainiao")
        assert conn.execute(sa.text("SELECT fact_type FROM facts")).scalars().all() == ["payment"]
        assert tuple(conn.execute(sa.text("SELECT order_id, parcel_id, state FROM holds")).one()) == (
            "m-1",
            "1",
            "held",
        )
        assert conn.execute(sa.text("SELECT tracking_number FROM labels")).scalar() == "LP77"
        claims = conn.execute(sa.text("SELECT tracking_number, order_id, parcel_id, state FROM tracking_claims")).all()
        assert [tuple(c) for c in claims] == [("LP77", "m-1", "1", "live")]
    engine.dispose()
    if engine.dialect.name == "postgresql":
        admin = sa.create_engine(engine.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{engine.url.database}" WITH (FORCE)')
        admin.dispose()
