"""Persistence: SQLAlchemy tables, the database and its units of work, repositories, migrations."""
