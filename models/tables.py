"""Imports every table module so SQLModel.metadata is complete (for Alembic and tests)."""

from models import auth, close, integration, ledger, master, purchasing, sales, stock, tasks

MODULES = (auth, close, integration, ledger, master, purchasing, sales, stock, tasks)
