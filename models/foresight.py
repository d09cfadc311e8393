"""Foresight: per-channel settlement cycles, per-item stock minimums, and master-data quality problems."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import QTY, created_at

DEFAULT_SETTLEMENT_DAYS = 14


class ChannelCashSetting(SQLModel, table=True):
    """How many days after shipment a channel pays out a receivable (no row: 14 days)."""

    __tablename__ = "foresight_channel_setting"
    __table_args__ = (
        CheckConstraint("settlement_days BETWEEN 0 AND 365", name="foresight_channel_settlement_days"),
    )
    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", unique=True)
    settlement_days: int = DEFAULT_SETTLEMENT_DAYS
    updated_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()


class StockMinimum(SQLModel, table=True):
    """The least an item x location should hold (on hand less reserved); below it the radar shows it."""

    __tablename__ = "foresight_stock_minimum"
    __table_args__ = (
        UniqueConstraint("item_id", "location_id", name="foresight_stock_minimum_key"),
        CheckConstraint("min_qty >= 0", name="foresight_stock_minimum_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id")
    location_id: int = Field(foreign_key="location.id", index=True)
    min_qty: Decimal = Field(sa_type=QTY)
    updated_by: str = Field(max_length=80)
    created_at: datetime | None = created_at()


class DataQualityProblem(SQLModel, table=True):
    """One rule broken by one master-data record, as seen by an entity's check; fixed when no longer found."""

    __tablename__ = "data_quality_problem"
    __table_args__ = (
        CheckConstraint("status IN ('open','fixed')", name="data_quality_problem_status"),
        Index("data_quality_problem_open", "entity_id", "status", "rule"),
    )
    id: int | None = Field(default=None, primary_key=True)
    problem_key: str = Field(unique=True, max_length=200)
    entity_id: int = Field(foreign_key="entity.id")
    rule: str = Field(max_length=40)
    record_type: str = Field(max_length=40)
    record_id: str = Field(max_length=80)
    record_label: str = Field(max_length=200)
    owner_role: str = Field(max_length=40)
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    status: str = Field(default="open", max_length=10)
    # A problem that comes back after a fix is a new occurrence with its own task.
    occurrence: int = 1
    first_seen: date
    last_seen: date
    fixed_on: date | None = None
    task_id: int | None = Field(default=None, foreign_key="task.id")
    created_at: datetime | None = created_at()


__all__ = ["ChannelCashSetting", "DataQualityProblem", "StockMinimum"]
