"""Alembic environment: runs migrations on the URL given by erp.migrate (or DATABASE_URL)."""

from alembic import context
from sqlalchemy import create_engine, pool
from sqlmodel import SQLModel

import models.tables  # noqa: F401 - registers every table on the metadata

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    """Run migrations in one transaction per migration on a dedicated connection."""
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set"
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        # One advisory lock so two processes starting together do not migrate twice.
        connection.exec_driver_sql("SELECT pg_advisory_lock(724001)")
        connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.exec_driver_sql("SELECT pg_advisory_unlock(724001)")
        connection.commit()


run_migrations_online()
