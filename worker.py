"""The Temporal worker: registers every workflow and activity; stops gracefully on SIGTERM/SIGINT."""

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import timedelta

from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.service import RPCError
from temporalio.worker import Worker

from activities.registry import build_activities
from erp.command_relay import CommandRelay
from erp.db import app_engine
from erp.failure_interceptor import FailureInterceptor
from erp.log_interceptor import LogInterceptor
from erp.sandbox_runner import GuardedSandboxRunner
from erp.settings import get_settings
from erp.temporal import connect_patiently
from erp.tracing import start_tracing, stop_tracing, worker_tracing_interceptors
from workflows.integration.starter import ensure_dispatcher
from workflows.registry import WORKFLOWS

log = logging.getLogger("erp.worker")


def build_worker(
    client: Client,
    engine: Engine,
    task_queue: str,
    *,
    max_activities: int = 32,
) -> Worker:
    """A worker with every workflow and activity; activities are sync and run in a thread pool."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=build_activities(engine, client),
        activity_executor=ThreadPoolExecutor(max_workers=max_activities),
        workflow_runner=GuardedSandboxRunner(),
        # Spans for the workflow run and its activities while tracing is on (none when the client already
        # carries them: a worker inherits its client's); log lines per activity and decision (outside the
        # failure interceptor: it logs the classified failure); data and constraint errors fail an activity
        # for good instead of retrying for ever.
        interceptors=[*worker_tracing_interceptors(client), LogInterceptor(), FailureInterceptor()],
        max_concurrent_activities=max_activities,
        graceful_shutdown_timeout=timedelta(seconds=10),
    )


@asynccontextmanager
async def serving(client: Client, engine: Engine, task_queue: str) -> AsyncIterator[Worker]:
    """The worker polling, with the command relay beside it (accepted commands reach their workflows)."""
    worker = build_worker(client, engine, task_queue)
    stop = asyncio.Event()
    async with worker:
        relay = asyncio.create_task(CommandRelay(client, engine, task_queue).run(stop))
        try:
            yield worker
        finally:
            stop.set()
            await relay


async def _ensure_dispatcher_patiently(client: Client, task_queue: str) -> None:
    """Start the outbox dispatcher, waiting out a Temporal server that is restarting."""
    delay = 0.5
    while True:
        try:
            await ensure_dispatcher(client, task_queue)
            return
        except RPCError as exc:
            log.warning("outbox dispatcher not started yet (%s); trying again in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


async def run_worker(metrics_port: int | None = None) -> None:
    """Connect, run until SIGTERM/SIGINT, then let in-flight activities finish."""
    settings = get_settings()
    start_tracing(settings, "erp-worker")  # before connecting: the client takes the tracing interceptor
    runtime = None
    if metrics_port:
        # The SDK's runtime metrics (task latencies, slots, polls) scraped by Prometheus.
        runtime = Runtime(
            telemetry=TelemetryConfig(
                metrics=PrometheusConfig(bind_address=f"{settings.worker_metrics_host}:{metrics_port}")
            )
        )
    client = await connect_patiently(settings, runtime=runtime)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker started", extra={"task_queue": settings.task_queue})
    async with serving(client, app_engine(), settings.task_queue):
        # The outbox dispatcher is a singleton workflow; starting it again is a no-op.
        await _ensure_dispatcher_patiently(client, settings.task_queue)
        await stop.wait()
        log.info("worker stopping: finishing in-flight tasks")
    stop_tracing()  # flush the last spans
    log.info("worker stopped")


if __name__ == "__main__":
    asyncio.run(run_worker(get_settings().worker_metrics_port))
