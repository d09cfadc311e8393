"""A DBA's check: the migrated database is exactly what the models describe (no drift), and the
application role holds no privilege to rewrite a ledger."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

import models.tables  # noqa: F401 - every table on the metadata
from migrations.privileges import APPEND_ONLY


def test_migrations_and_models_do_not_drift(owner_engine: Engine) -> None:
    with owner_engine.connect() as conn:
        # A ledger's partitions are its parent's storage, described by the parent's model.
        partitions = set(conn.execute(text("SELECT inhrelid::regclass::text FROM pg_inherits")).scalars())

        def not_a_partition(name: str | None, type_: str, _parent: object) -> bool:
            return not (type_ == "table" and name in partitions)

        context = MigrationContext.configure(conn, opts={"include_name": not_a_partition})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_the_app_role_cannot_update_or_delete_any_ledger(owner_engine: Engine) -> None:
    with owner_engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT t, has_table_privilege('erp_app', t, 'UPDATE'), has_table_privilege('erp_app', t, 'DELETE'),"
                " has_table_privilege('erp_app', t, 'INSERT') FROM unnest(CAST(:ts AS text[])) AS t"
            ),
            {"ts": list(APPEND_ONLY)},
        ).all()
    assert [(t, upd, dele, ins) for t, upd, dele, ins in rows] == [
        (t, False, False, True) for t in APPEND_ONLY
    ]
