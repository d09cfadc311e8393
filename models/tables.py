"""Imports every table module so SQLModel.metadata is complete (for Alembic and tests)."""

from models import (
    auth,
    close,
    commands,
    foresight,
    integration,
    ledger,
    master,
    payments,
    purchasing,
    replenishment,
    returns,
    sales,
    stock,
    tasks,
    webhooks,
)

MODULES = (
    auth,
    close,
    commands,
    foresight,
    integration,
    ledger,
    master,
    payments,
    purchasing,
    replenishment,
    returns,
    sales,
    stock,
    tasks,
    webhooks,
)
