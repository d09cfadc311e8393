"""A worker started while the Temporal server is down (restarting, not yet up after a deploy) waits for
it instead of exiting, then serves: registers its workflows and starts the outbox dispatcher. The soak
found workers that died this way after a SIGKILL landed during a Temporal restart."""

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest
from temporalio.client import Client

from erp.embedded import start_temporal_dev_server, stop_process
from erp.settings import PROJECT_ROOT
from erp.temporal import connect
from tests.demo.system import free_port
from workflows.integration.dispatcher import DISPATCHER_ID

pytestmark = pytest.mark.slow


async def test_a_worker_waits_for_a_temporal_server_that_is_not_up_yet(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{port}",
        "ERP_TASK_QUEUE": "waits-for-temporal",
        "ERP_WORKER_METRICS_PORT": "0",
    }
    worker = subprocess.Popen(
        [sys.executable, "worker.py"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "worker.log", "ab"),  # noqa: SIM115 - owned by the child
    )
    temporal = None
    try:
        log = tmp_path / "worker.log"
        # Until the worker has tried and failed to connect at least once (or has died trying).
        for _ in range(120):
            if worker.poll() is not None or "Temporal not reachable" in log.read_text():
                break
            await asyncio.sleep(0.5)
        assert worker.poll() is None, log.read_text()[-2000:]
        temporal = start_temporal_dev_server(tmp_path / "temporal.db", port=port, ui_port=None)
        client = await connect_to(port)
        handle = client.get_workflow_handle(f"{DISPATCHER_ID}-waits-for-temporal")
        for _ in range(120):
            try:
                described = await handle.describe()
                break
            except Exception:  # not started yet: the worker is still connecting
                await asyncio.sleep(1)
        else:
            raise AssertionError((tmp_path / "worker.log").read_text()[-2000:])
        assert described.status is not None and described.status.name == "RUNNING"
        assert worker.poll() is None
    finally:
        stop_process(worker)
        if temporal is not None:
            stop_process(temporal)


async def connect_to(port: int) -> Client:
    """A client of the server just started on `port`."""
    from erp.settings import Settings

    return await connect(Settings(TEMPORAL_ADDRESS=f"127.0.0.1:{port}"))
