"""Database engines and sessions; the app connects as the restricted role that cannot rewrite ledgers."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlmodel import Session

import models.tables  # noqa: F401 - the ORM resolves foreign keys only once every table is imported
from erp.settings import get_settings


def make_engine(url: str, *, app_role: str | None = None, pool_size: int = 10) -> Engine:
    """An engine; with `app_role`, every connection switches to it so the DB privileges apply."""
    engine = create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)
    if app_role:

        @event.listens_for(engine, "connect")
        def _set_role(dbapi_conn: Any, _record: Any) -> None:
            # Privileges are the second wall behind the triggers: the app role has no UPDATE/DELETE on ledgers.
            with dbapi_conn.cursor() as cur:
                cur.execute(f'SET ROLE "{app_role}"')
            dbapi_conn.commit()

    return engine


def database_url() -> str:
    """The configured DATABASE_URL; `erp up` and the test fixtures set it for the embedded server."""
    url = get_settings().database_url
    if not url:
        raise RuntimeError("DATABASE_URL is not set (run through `erp up`, or set it to a PostgreSQL URL)")
    return url


@lru_cache(maxsize=1)
def app_engine() -> Engine:
    """The process-wide engine used by the API and the activities."""
    return make_engine(database_url(), app_role=get_settings().db_app_role)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(engine or app_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
