"""The migrations build exactly the schema the tables describe (SQLite file and PostgreSQL):
after `upgrade`, Alembic finds nothing to add, drop or change."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from pullplan.storage.database import Database
from pullplan.storage.migrate import upgrade
from pullplan.storage.schema import metadata


def test_the_migrations_match_the_tables(database_url):
    db = Database(database_url)
    upgrade(db)
    with db.write_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata())
    db.dispose()
    assert differences == []
