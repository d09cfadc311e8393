"""Real Temporal servers from the venv: the dev server (with our search attributes) and the
time-skipping test server, plus a worker running every workflow and activity.

Tests that drive the API (a blocking TestClient) while a worker must make progress use
`erp_worker`, which runs in its own thread; calling the TestClient from an async test blocks that
test's event loop, so a worker started inside the test's loop would stall."""

import asyncio
import os
import threading
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from erp.embedded import venv_binary
from erp.settings import get_settings
from erp.temporal import register_search_attributes
from worker import serving
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


class BackgroundWorker:
    """The production worker in its own thread and event loop, so sync tests (whose event loop is
    idle while they run) and async tests that block on the API both see workflows progress."""

    def __init__(self, address: str, engine: Engine, task_queue: str) -> None:
        self.address, self.engine, self.task_queue = address, engine, task_queue
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="erp-test-worker", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaced to the fixture
            self.error = exc
            self.ready.set()

    async def _serve(self) -> None:
        client = await Client.connect(self.address, data_converter=pydantic_data_converter)
        self._stop = asyncio.Event()
        async with serving(client, self.engine, self.task_queue):
            self.ready.set()
            await self._stop.wait()

    def start(self) -> None:
        """Start and wait until the worker polls."""
        self._thread.start()
        self.ready.wait(30)
        if self.error:
            raise self.error

    def stop(self) -> None:
        """Ask the worker to shut down and wait for the thread."""
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)


@pytest.fixture(scope="session")
def erp_worker(temporal_dev: WorkflowEnvironment, engine: Engine) -> Iterator[BackgroundWorker]:
    """The production worker on the default task queue, for the whole session."""
    worker = BackgroundWorker(
        temporal_dev.client.service_client.config.target_host, engine, get_settings().task_queue
    )
    worker.start()
    yield worker
    worker.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def time_skipping() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server: days of timers pass in milliseconds.

    One server per test module: the clock is global to a server, and a workflow another module left
    waiting on an activity (its worker gone) would stop the clock from skipping for everyone."""
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
