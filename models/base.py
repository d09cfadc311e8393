"""Column helpers shared by every table: money, quantities, timestamps."""

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Numeric, func
from sqlmodel import Field

MONEY = Numeric(20, 4)
QTY = Numeric(18, 4)
COST = Numeric(20, 6)
RATE = Numeric(20, 10)


def utcnow() -> datetime:
    """Timezone-aware now, for defaults on the Python side."""
    return datetime.now(UTC)


def money(default: Decimal | None = Decimal("0"), **kw: Any) -> Any:
    """A Decimal money column (never float)."""
    return Field(default=default, sa_type=MONEY, **kw)


def qty(default: Decimal | None = Decimal("0"), **kw: Any) -> Any:
    """A Decimal quantity column."""
    return Field(default=default, sa_type=QTY, **kw)


def cost(default: Decimal | None = Decimal("0"), **kw: Any) -> Any:
    """A Decimal unit-cost column with six places."""
    return Field(default=default, sa_type=COST, **kw)


def created_at() -> Any:
    """A server-stamped creation time."""
    return Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": func.now(), "nullable": False},
    )
