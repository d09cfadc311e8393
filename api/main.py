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
    journals,
    master,
    open_items,
    operations,
    orders,
    payment_imports,
    payments,
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
from api.tracing_middleware import TracingMiddleware
from erp.settings import get_settings
from erp.tracing import start_tracing

# What each tag of the OpenAPI document holds (Swagger and ReDoc group operations by it). A new tag gets a line.
TAGS = [
    (
        "journals",
        "Manual journals with maker-checker approval, recurring templates, reversals; intercompany charges.",
    ),
    (
        "payments",
        "Payment runs (approval, pain.001 files), payment settings, bank statement import (camt.053, MT940).",
    ),
    (
        "open items",
        "AP and AR open items, aging by due date (JSON or CSV), and their reconciliation with control accounts.",
    ),
    ("health", "Liveness and readiness, without a token."),
    ("users", "Who am I, and user administration: roles, entities, approval limits, tokens (admins)."),
    (
        "master data",
        "Entities, locations, items, suppliers and their prices, customers, channels and their "
        "prices, accounts, tax and FX rates, fiscal periods. Codes are unique and never change.",
    ),
    (
        "policy",
        "Approval bands and settings, match tolerances, delegations and task service levels, per entity.",
    ),
    ("tasks", "The inbox: open tasks for my user and roles, and decisions sent to the waiting workflow."),
    ("commands", "Commands answered 202: follow one to its outcome; the relay's backlog."),
    ("books", "The ledger as it is: trial balance, journal entries, stock balances, the audit trail."),
    (
        "orders",
        "Order to fulfil: intake from channels, payment, cancellation, warehouse events, the order view.",
    ),
    (
        "settlements",
        "Marketplace payout reports matched to shipped orders; fees posted, receivables cleared.",
    ),
    (
        "procure-to-pay",
        "Purchase orders through approval, confirmation, receipt, three-way match and payment.",
    ),
    (
        "integration",
        "Outbound events and webhook subscriptions: catalogue, deliveries, dead letters, replays.",
    ),
    ("catalogue feed", "Many items in one request, upserted by SKU, each accepted or refused on its own."),
    ("close", "Month-end close: checklist, accruals, differences and the controller's sign-off."),
    (
        "reports",
        "Statements, stock valuation and turns, margins, supplier scorecard, working capital, KPIs; "
        "JSON or CSV.",
    ),
    (
        "returns",
        "Returns (RMA) from request to refund: policies, receipt and disposition, return-rate alerts.",
    ),
    (
        "replenishment",
        "Daily replenishment runs, planning parameters, budgets, rebalancing and supplier scores.",
    ),
    ("transfers and counts", "Stock moved between locations through transit, and cycle counts."),
    ("foresight", "The 13-week cash forecast, the exception radar and master-data quality."),
    ("imports", "Items, suppliers, customers and opening stock from JSON rows or CSV, checked row by row."),
    ("operations", "What operators look at: stuck work, with the error."),
]

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
    journals.router,
    orders.router,
    settlements.router,
    open_items.router,
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
    payments.router,
    payment_imports.router,
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
        "over one double-entry ledger. Authenticate with a bearer token (see the README). Every error answers "
        "with one model, ErrorBody: `detail` is a sentence, or a list naming each refused field and why. A "
        "command whose workflow did not answer in time answers 202 with `command_url`: GET it for the outcome.",
        lifespan=lifespan,
        openapi_tags=[{"name": name, "description": text} for name, text in TAGS],
    )
    errors.install(app)
    app.add_middleware(IdempotencyMiddleware)
    app.add_middleware(MetricsMiddleware)
    app.add_middleware(AccessLogMiddleware)  # it times and logs the whole request
    provider = start_tracing(get_settings(), "erp-api")
    if provider is not None:
        # Outermost, only while tracing is on: the request's span is the parent of its workflow calls.
        app.add_middleware(TracingMiddleware, tracer=provider.get_tracer("erp.api"))
    for router in ROUTERS:
        app.include_router(router)
    return app


app = create_app()
