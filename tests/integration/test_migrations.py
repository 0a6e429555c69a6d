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
