"""Real Temporal servers from the venv: the dev server (with our search attributes) and the
time-skipping test server, plus a worker running every workflow and activity."""

import os
import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import Engine
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from erp.embedded import venv_binary
from erp.settings import get_settings
from erp.temporal import register_search_attributes
from worker import build_worker
from workflows.search_attributes import ALL


@pytest_asyncio.fixture(scope="session")
async def temporal_dev(database_url: str) -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (in-memory) for end-to-end tests through the API."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=venv_binary("temporal"),
        data_converter=pydantic_data_converter,
        search_attributes=ALL,
        dev_server_extra_args=[
            "--sqlite-pragma",
            "journal_mode=WAL",
            "--sqlite-pragma",
            "synchronous=NORMAL",
        ],
    )
    # The API under test connects through the settings, exactly like production.
    os.environ["TEMPORAL_ADDRESS"] = env.client.service_client.config.target_host
    get_settings.cache_clear()
    yield env
    await env.shutdown()


@pytest_asyncio.fixture(scope="session")
async def erp_worker(temporal_dev: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Worker]:
    """The production worker on the default task queue, for the whole session."""
    worker = build_worker(temporal_dev.client, engine, get_settings().task_queue)
    async with worker:
        yield worker


@pytest_asyncio.fixture(scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server: days of timers pass in milliseconds."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=venv_binary("temporal-test-server"),
        data_converter=pydantic_data_converter,
    )
    # The test server only learns custom search attributes at runtime.
    await register_search_attributes(env.client)
    yield env
    await env.shutdown()


@pytest.fixture()
def task_queue() -> str:
    """A fresh task queue per test, so workers of different tests never share work."""
    return f"tq-{uuid.uuid4().hex[:10]}"
