"""Real servers for the suite: an embedded PostgreSQL (or DATABASE_URL) and Temporal from the venv."""

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from erp.db import make_engine
from erp.embedded import ensure_database, start_postgres
from erp.migrate import upgrade
from erp.settings import get_settings
from tests.factories import Factory
from tests.live_api import api_server  # noqa: F401  (a fixture for tests that need a real socket)
from tests.temporal_fixtures import erp_worker, task_queue, temporal_dev, time_skipping  # noqa: F401

ADMIN_URL_ENV = "DATABASE_URL"


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, migrated database for this run; the server is embedded unless DATABASE_URL is set."""
    given = os.environ.get(ADMIN_URL_ENV)
    tmp: str | None = None
    if given:
        url = given
    else:
        tmp = tempfile.mkdtemp(prefix="erp-test-pg-")
        server = start_postgres(Path(tmp) / "pg")
        url = ensure_database(server.get_uri(), f"erp_test_{uuid.uuid4().hex[:8]}")
    upgrade(url)
    # Activities and the API read DATABASE_URL through the settings, as in production.
    os.environ[ADMIN_URL_ENV] = url
    get_settings.cache_clear()
    yield url
    if tmp:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The application engine: it connects as the restricted erp_app role."""
    eng = make_engine(database_url, app_role="erp_app")
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def owner_engine(database_url: str) -> Iterator[Engine]:
    """The schema owner's engine (superuser in the embedded server), to prove triggers hold for it too."""
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


@pytest.fixture()
def factory(engine: Engine) -> Factory:
    """Builds master data with unique codes so tests never collide."""
    return Factory(engine)


def scalar(engine: Engine, sql: str, **params: object) -> object:
    """One value from a query (test helper)."""
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar()


@pytest.fixture()
def api(engine: Engine) -> Iterator[TestClient]:
    """The real FastAPI app over the test database (Temporal from TEMPORAL_ADDRESS when a test needs it)."""

    from api.main import create_app

    with TestClient(create_app()) as client:
        yield client


# The longest tests start first (longest-processing-time order): the two xdist workers then finish
# together instead of one idling while the other starts the runbook at the end. Seconds from CI.
LONGEST_FIRST = (
    "tests/deploy/test_runbook.py",  # ~210 s
    "tests/e2e/test_make_run.py",  # ~200 s
    "tests/chaos/test_accepted_means_applied.py",  # ~200 s over its three tests
    "tests/chaos/test_soak.py",  # ~140 s
    "tests/demo/test_simulate.py",  # ~100 s
    "tests/chaos/test_mixed_crash.py",  # ~80 s
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put the longest files first, then the other slow tests, then the rest (stable within each)."""

    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        if path in LONGEST_FIRST:
            return LONGEST_FIRST.index(path)
        return len(LONGEST_FIRST) + (0 if item.get_closest_marker("slow") else 1)

    items.sort(key=rank)
