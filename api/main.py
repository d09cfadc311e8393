"""The FastAPI application: starts workflows, sends messages, reads lists from PostgreSQL."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from api import errors
from api.access_log import AccessLogMiddleware
from api.idempotency import IdempotencyMiddleware
from api.metrics import MetricsMiddleware
from api.metrics import router as metrics_router
from api.routes import (
    books,
    catalogue_feed,
    close,
    commands,
    foresight,
    health,
    imports,
    integration,
    master,
    operations,
    orders,
    policy,
    pricing,
    purchasing,
    replenishment,
    reports,
    returns,
    settlements,
    tasks,
    transfers,
    users,
)
from api.temporal_holder import TemporalHolder

ROUTERS = [
    health.router,
    metrics_router,
    users.router,
    master.router,
    policy.router,
    pricing.router,
    tasks.router,
    commands.router,
    books.router,
    orders.router,
    settlements.router,
    purchasing.router,
    integration.router,
    catalogue_feed.router,
    close.router,
    reports.router,
    returns.router,
    replenishment.router,
    transfers.router,
    foresight.router,
    imports.router,
    operations.router,
]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Temporal is connected on first use, so the API starts (and answers 503) while Temporal is down."""
    app.state.temporal = TemporalHolder()
    yield


def create_app() -> FastAPI:
    """Build the app with every router and error handler."""
    # Swagger UI and ReDoc served from the package, not a CDN: the docs work where the ERP runs offline.
    app = FastAPIOffline(
        title="Retail ERP",
        version="0.1.0",
        description="Procure-to-pay, order-to-fulfill, returns and month-end close as durable workflows "
        "over one double-entry ledger. Authenticate with a bearer token (see the README).",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(AccessLogMiddleware)  # outermost: it times and logs the whole request
    for router in ROUTERS:
        app.include_router(router)
    return app


app = create_app()
