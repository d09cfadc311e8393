"""Imports every table module so SQLModel.metadata is complete (for Alembic and tests)."""

from models import (
    auth,
    close,
    integration,
    ledger,
    master,
    purchasing,
    returns,
    sales,
    stock,
    tasks,
    webhooks,
)

MODULES = (auth, close, integration, ledger, master, purchasing, returns, sales, stock, tasks, webhooks)
