"""Prometheus metrics of the API: request counts and latencies per route template and status."""

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Receive, Scope, Send

from api.request_context import Answer
from erp.db import app_engine
from services.close.business_metrics import stage_figures, task_figures
from services.core.commands import pending_summary

REQUESTS = Counter("erp_http_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram(
    "erp_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)

COMMANDS_PENDING = Gauge(
    "erp_commands_pending", "Accepted commands not yet applied or rejected by their workflow"
)
COMMANDS_OLDEST = Gauge(
    "erp_commands_pending_oldest_seconds", "Age of the oldest pending command (0 when none)"
)

OPEN_TASKS = Gauge("erp_open_tasks", "Open human tasks", ["kind"])
OVERDUE_TASKS = Gauge("erp_open_tasks_overdue", "Open human tasks past their due time", ["kind"])
OLDEST_TASK = Gauge("erp_open_tasks_oldest_seconds", "Age of the oldest open task of a kind", ["kind"])
DOCUMENTS = Gauge(
    "erp_documents",
    "Documents by type, entity and stage (stage needs_attention: stuck)",
    ["type", "entity", "stage"],
)

router = APIRouter(tags=["health"])


def _business_figures() -> None:
    """Open tasks and documents by stage, as they are now (labels that went away are dropped)."""
    engine = app_engine()
    tasks, stages = task_figures(engine), stage_figures(engine)
    for gauge in (OPEN_TASKS, OVERDUE_TASKS, OLDEST_TASK, DOCUMENTS):
        gauge.clear()
    for t in tasks:
        OPEN_TASKS.labels(t.kind).set(t.open)
        OVERDUE_TASKS.labels(t.kind).set(t.overdue)
        OLDEST_TASK.labels(t.kind).set(t.oldest_seconds)
    for d in stages:
        DOCUMENTS.labels(d.document, d.entity, d.stage).set(d.count)


@router.get("/metrics", summary="Prometheus metrics of this API process", include_in_schema=False)
def metrics() -> Response:
    # Read at scrape time: a growing backlog means no worker (relay) runs or Temporal is away.
    try:
        backlog = pending_summary(app_engine())
        COMMANDS_PENDING.set(backlog["pending"])
        COMMANDS_OLDEST.set(backlog["oldest_seconds"] or 0)
        _business_figures()
    except Exception:  # the database may be down: the other metrics still answer
        pass
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


class MetricsMiddleware:
    """Counts and times every HTTP request by its route template (not the raw path: ids would explode)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answer = Answer(send)
        try:
            await self.app(scope, receive, answer.send)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(scope["method"], route, str(answer.status)).inc()
            LATENCY.labels(scope["method"], route).observe(answer.seconds)
