"""An operator chasing a slow purchase order turns tracing on and follows one trace from the buyer's HTTP request
to the workflow start, the workflow run and its activities, and from the cancel request to the update it sent;
with nothing configured there is no tracing at all: no span, no interceptor, no middleware. The traced run's
history replays under the untraced worker (tracing adds nothing to a history)."""

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import ConsoleSpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.contrib.opentelemetry import TracingInterceptor
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from api.main import create_app
from api.tracing_middleware import TracingMiddleware
from erp.failure_interceptor import FailureInterceptor
from erp.log_interceptor import LogInterceptor
from erp.sandbox_runner import GuardedSandboxRunner
from erp.settings import Settings, get_settings
from erp.temporal import connect
from erp.tracing import exporters_for, start_tracing, stop_tracing, tracing_interceptors
from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer, eventually, open_desk, po_body, stage, wait_stage
from tests.temporal_fixtures import BackgroundWorker
from worker import build_worker
from workflows.registry import WORKFLOWS


@pytest.fixture
def spans(
    temporal_dev: WorkflowEnvironment, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Iterator[InMemorySpanExporter]:
    """Tracing on in this process, into memory, and a production worker of its own on a fresh task queue
    (the session's worker was built before tracing was on)."""
    queue = f"traced-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ERP_TASK_QUEUE", queue)
    get_settings.cache_clear()
    exporter = InMemorySpanExporter()
    assert start_tracing(get_settings(), "erp-test", exporter=exporter) is not None
    worker = BackgroundWorker(temporal_dev.client.service_client.config.target_host, engine, queue)
    worker.start()
    try:
        yield exporter
    finally:
        worker.stop()
        stop_tracing()
        monkeypatch.undo()
        get_settings.cache_clear()


@pytest.fixture
def api(spans: InMemorySpanExporter, api: TestClient) -> TestClient:
    """The API built once tracing is on (so it has its request spans and a tracing Temporal client)."""
    return api


def _named(spans: InMemorySpanExporter, name: str) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.name == name]


def _trace_of(span: ReadableSpan) -> int:
    assert span.context is not None
    return int(span.context.trace_id)


async def _replay_untraced(address: str, workflow_id: str) -> None:
    client = await Client.connect(address, data_converter=pydantic_data_converter)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    await Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=GuardedSandboxRunner()
    ).replay_workflow(history)


def test_one_trace_from_the_request_to_the_activities(
    spans: InMemorySpanExporter,
    api: TestClient,
    temporal_dev: WorkflowEnvironment,
    engine: Engine,
    factory: Factory,
) -> None:
    desk = open_desk(factory, price="12.50")
    created = api.post("/purchase-orders", json=po_body(desk, "8"), headers=bearer(desk.token("buyer")))
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    eventually(lambda: stage(engine, number), "the PO's row")
    cancelled = api.post(
        f"/purchase-orders/{number}/cancel",
        json={"reason": "season cancelled"},
        headers=bearer(desk.token("buyer")),
    )
    assert cancelled.status_code == 200, cancelled.text
    wait_stage(engine, number, "cancelled")

    [request] = eventually(lambda: _named(spans, "POST /purchase-orders") or None, "the request's span")
    assert request.kind == SpanKind.SERVER and request.attributes is not None
    assert request.attributes["http.response.status_code"] == 201
    trace_id = _trace_of(request)
    [start] = _named(spans, "StartWorkflow:PurchaseOrder")
    assert _trace_of(start) == trace_id
    assert start.parent is not None and request.context is not None
    assert start.parent.span_id == request.context.span_id  # the start is a child of the request
    runs = eventually(lambda: _named(spans, "RunWorkflow:PurchaseOrder") or None, "the workflow's span")
    assert {_trace_of(r) for r in runs} == {trace_id}
    activities = eventually(
        lambda: [s for s in spans.get_finished_spans() if s.name.startswith("RunActivity:")] or None,
        "an activity's span",
    )
    assert trace_id in {_trace_of(a) for a in activities}

    # The cancel request's trace reaches the update it sent to the same workflow.
    [cancel] = _named(spans, "POST /purchase-orders/{number}/cancel")
    updates = [s for s in spans.get_finished_spans() if s.name.startswith("StartWorkflowUpdate:")]
    assert _trace_of(cancel) in {_trace_of(u) for u in updates}

    address = temporal_dev.client.service_client.config.target_host
    asyncio.run(_replay_untraced(address, f"PO-{number}"))


async def test_nothing_configured_means_no_tracing(
    temporal_dev: WorkflowEnvironment, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ERP_OTEL_ENDPOINT", raising=False)
    monkeypatch.delenv("ERP_OTEL_CONSOLE", raising=False)
    get_settings.cache_clear()
    assert start_tracing(get_settings(), "erp-worker") is None
    assert tracing_interceptors() == []
    client = await connect()
    assert not any(isinstance(i, TracingInterceptor) for i in client.config()["interceptors"])
    worker = build_worker(client, engine, "untraced")
    assert [type(i) for i in worker.config()["interceptors"]] == [LogInterceptor, FailureInterceptor]
    middleware = {getattr(m.cls, "__name__", "") for m in create_app().user_middleware}
    assert "AccessLogMiddleware" in middleware and TracingMiddleware.__name__ not in middleware


def test_the_settings_choose_the_exporters() -> None:
    both = Settings(ERP_OTEL_ENDPOINT="http://127.0.0.1:4318/v1/traces", ERP_OTEL_CONSOLE=True)
    assert [type(e) for e in exporters_for(both)] == [OTLPSpanExporter, ConsoleSpanExporter]
    assert exporters_for(Settings(ERP_OTEL_ENDPOINT=None, ERP_OTEL_CONSOLE=False)) == []
