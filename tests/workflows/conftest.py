"""Fixtures of the inbox tests: the sign-off probe workflow registered and a worker for it."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from tests.temporal_fixtures import BackgroundWorker
from tests.workflows.signoff_probe import SignOffWorkflow
from workflows import registry

PROBE_QUEUE = "signoff-probe"


@pytest.fixture()
def probe_registered() -> Iterator[None]:
    """The worker runs, and the API finds, the workflows registered here."""
    registry.WORKFLOWS.append(SignOffWorkflow)
    yield
    registry.WORKFLOWS.remove(SignOffWorkflow)


@pytest.fixture()
def probe_worker(probe_registered: None, temporal_dev: WorkflowEnvironment, engine: Engine) -> Iterator[None]:
    """A worker in its own thread: the blocking TestClient below must not stall it."""
    worker = BackgroundWorker(temporal_dev.client.service_client.config.target_host, engine, PROBE_QUEUE)
    worker.start()
    yield
    worker.stop()
