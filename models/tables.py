"""Imports every table module so SQLModel.metadata is complete (for Alembic and tests)."""

import importlib

# The modules that declare tables: importing one registers its tables on SQLModel.metadata.
TABLE_MODULES = (
    "auth",
    "close",
    "commands",
    "foresight",
    "integration",
    "journals",
    "ledger",
    "master",
    "open_items",
    "payments",
    "purchasing",
    "replenishment",
    "returns",
    "sales",
    "stock",
    "tasks",
    "webhooks",
)

MODULES = tuple(importlib.import_module(f"models.{name}") for name in TABLE_MODULES)
