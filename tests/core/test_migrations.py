"""The migrations are the schema: applying them gives exactly what the models declare."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from civicid.core import migrate
from civicid.core.runtime import Database
from civicid.schema import metadata


def test_migrated_database_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_database_is_at_the_head_revision(database: Database) -> None:
    assert migrate.current_revision(database.engine) == migrate.head_revision()


def test_upgrade_twice_changes_nothing(database: Database) -> None:
    migrate.upgrade(database.engine)
    assert migrate.current_revision(database.engine) == migrate.head_revision()
