"""The one Temporal client factory (pydantic data converter) used by API, CLI, worker and tests."""

import asyncio
import logging
from datetime import timedelta

from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import AddSearchAttributesRequest, ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.service import RPCError, RPCStatusCode

from erp.settings import Settings, get_settings
from erp.tracing import tracing_interceptors
from workflows.search_attributes import ALL

log = logging.getLogger("erp.temporal")


async def connect(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Client:
    """Connect to the configured Temporal server with the shared data converter."""
    settings = settings or get_settings()
    address = settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"
    return await Client.connect(
        address,
        namespace=settings.temporal_namespace,
        data_converter=pydantic_data_converter,
        # While tracing is on, a workflow started or updated here carries the caller's trace context.
        interceptors=tracing_interceptors(),
        runtime=runtime,
    )


async def connect_patiently(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Client:
    """Connect, waiting for the server: a worker started while Temporal restarts waits instead of exiting."""
    delay = 0.5
    while True:
        try:
            return await connect(settings, runtime=runtime)
        except RuntimeError as exc:  # the SDK's "Failed client connect"
            log.warning("Temporal not reachable (%s); trying again in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)


async def register_search_attributes(client: Client) -> list[str]:
    """Add any of our search attributes the namespace lacks; returns the names it added."""
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=client.namespace), timeout=timedelta(seconds=10)
        )
        have = set(existing.custom_attributes) | set(existing.system_attributes)
    except RPCError as exc:
        # The time-skipping test server cannot list, only add.
        if exc.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        have = set()
    missing = {
        k.name: IndexedValueType.ValueType(int(k.indexed_value_type)) for k in ALL if k.name not in have
    }
    if missing:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(namespace=client.namespace, search_attributes=missing),
            timeout=timedelta(seconds=10),
        )
    return sorted(missing)
