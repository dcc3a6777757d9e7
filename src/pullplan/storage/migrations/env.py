"""Alembic environment: runs on a connection pullplan hands over, or on the configured URL."""

from alembic import context
from sqlalchemy import create_engine

from pullplan.storage.schema import metadata

config = context.config
target_metadata = metadata()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as conn:
        _run(conn)
