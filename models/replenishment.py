"""Replenishment tables: planning settings and parameters, category budgets, daily runs with their
suggestions and draft POs, transfer orders between locations, and cycle counts."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, Index, Numeric, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from models.base import COST, MONEY, QTY, created_at, money, qty
from models.stock import StockMove

LEVEL = Numeric(6, 4)
STAT = Numeric(20, 6)

# Demand statistics read a window of sales per entity and day: this keeps the daily run off the rest
# of the stock ledger (receipts, transfers, a year of older sales).
SALES_BY_DAY = Index(
    "stock_move_sales_by_day",
    StockMove.entity_id,  # type: ignore[arg-type]
    StockMove.posting_date,  # type: ignore[arg-type]
    postgresql_where=text("reason = 'sale'"),
)


class ReplenishmentSetting(SQLModel, table=True):
    """Planning defaults of one entity (entity NULL = the default) and its supplier-score policy."""

    __tablename__ = "replenishment_setting"
    __table_args__ = (
        CheckConstraint("service_level > 0 AND service_level < 1", name="replenishment_setting_level"),
        CheckConstraint("history_days > 1 AND lead_history_days > 0", name="replenishment_setting_days"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int | None = Field(default=None, foreign_key="entity.id", unique=True)
    service_level: Decimal = Field(default=Decimal("0.95"), sa_type=LEVEL)
    review_days: int = 7
    history_days: int = 90
    lead_history_days: int = 365
    buyer_role: str = Field(default="buyer", max_length=40)
    # A supplier scoring below the threshold over the window needs one more approval level on new POs.
    score_threshold: Decimal = Field(default=Decimal("60"), sa_type=LEVEL)
    score_role: str = Field(default="controller", max_length=40)
    score_window_days: int = 180


class ReplenishmentParam(SQLModel, table=True):
    """Per item x location overrides; a missing row means the entity's defaults, reorder enabled."""

    __tablename__ = "replenishment_param"
    __table_args__ = (
        CheckConstraint(
            "service_level IS NULL OR (service_level > 0 AND service_level < 1)",
            name="replenishment_param_level",
        ),
        CheckConstraint("min_order_qty >= 0", name="replenishment_param_moq"),
    )
    item_id: int = Field(foreign_key="item.id", primary_key=True)
    location_id: int = Field(foreign_key="location.id", primary_key=True)
    service_level: Decimal | None = Field(default=None, sa_type=LEVEL)
    min_order_qty: Decimal = qty()
    review_days: int | None = None
    reorder_enabled: bool = True
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id")


class CategoryBudget(SQLModel, table=True):
    """Monthly purchasing budget of a category in the entity's currency (period `YYYY-MM`)."""

    __tablename__ = "category_budget"
    __table_args__ = (UniqueConstraint("entity_id", "category", "period", name="category_budget_key"),)
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id")
    category: str = Field(max_length=60)
    period: str = Field(max_length=7)
    amount: Decimal = money()


class ReplenishmentRun(SQLModel, table=True):
    """One daily replenishment of an entity (a re-run of the same day returns the stored plan)."""

    __tablename__ = "replenishment_run"
    __table_args__ = (UniqueConstraint("entity_id", "run_date", name="replenishment_run_key"),)
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id")
    run_date: date
    workflow_id: str = Field(max_length=200)
    item_locations: int = 0
    suggestions: int = 0
    seconds: Decimal = Field(default=Decimal("0"), sa_type=Numeric(12, 3))
    created_at: datetime | None = created_at()


class ReplenishmentSuggestion(SQLModel, table=True):
    """The statistics and quantities behind one item x location's order suggestion."""

    __tablename__ = "replenishment_suggestion"
    __table_args__ = (
        UniqueConstraint("run_id", "item_id", "location_id", name="replenishment_suggestion_key"),
    )
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="replenishment_run.id", index=True)
    item_id: int = Field(foreign_key="item.id")
    location_id: int = Field(foreign_key="location.id")
    supplier_id: int | None = Field(default=None, foreign_key="supplier.id")
    mean_daily: Decimal = Field(sa_type=STAT)
    sigma_daily: Decimal = Field(sa_type=STAT)
    lead_time_mean: Decimal = Field(sa_type=STAT)
    lead_time_var: Decimal = Field(sa_type=STAT)
    z: Decimal = Field(sa_type=LEVEL)
    safety_stock: Decimal = Field(sa_type=QTY)
    reorder_point: Decimal = Field(sa_type=QTY)
    projected: Decimal = Field(sa_type=QTY)
    order_qty: Decimal = Field(sa_type=QTY)
    po_number: str | None = Field(default=None, max_length=40)


class ReplenishmentDraft(SQLModel, table=True):
    """Suggestions of one supplier as a draft PO: started at once, or waiting for a buyer (over budget)."""

    __tablename__ = "replenishment_draft"
    __table_args__ = (
        UniqueConstraint("run_id", "supplier_id", name="replenishment_draft_key"),
        CheckConstraint(
            "status IN ('planned','awaiting_buyer','started','rejected')", name="replenishment_draft_status"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    run_id: int = Field(foreign_key="replenishment_run.id", index=True)
    supplier_id: int = Field(foreign_key="supplier.id")
    po_number: str = Field(unique=True, max_length=40)
    total_func: Decimal = money()
    over_budget: bool = False
    status: str = Field(default="planned", max_length=20)
    po_input: dict[str, Any] = Field(default_factory=dict, sa_type=JSONB)
    budget: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
    task_id: int | None = None
    decided_by: str | None = Field(default=None, max_length=80)


TRANSFER_STATUSES = ("draft", "shipped", "received", "cancelled")


class TransferOrder(SQLModel, table=True):
    """Stock moving between two locations of one entity through its in-transit location."""

    __tablename__ = "transfer_order"
    __table_args__ = (
        CheckConstraint(
            f"status IN ({', '.join(repr(s) for s in TRANSFER_STATUSES)})", name="transfer_order_status"
        ),
        CheckConstraint("from_location_id <> to_location_id", name="transfer_order_two_places"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=40)
    workflow_id: str = Field(max_length=200)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    from_location_id: int = Field(foreign_key="location.id")
    to_location_id: int = Field(foreign_key="location.id")
    transit_location_id: int = Field(foreign_key="location.id")
    status: str = Field(default="draft", max_length=20)
    requested_by: str = Field(max_length=80)
    shipped_by: str | None = Field(default=None, max_length=80)
    shipped_on: date | None = None
    received_by: str | None = Field(default=None, max_length=80)
    received_on: date | None = None
    created_at: datetime | None = created_at()


class TransferOrderLine(SQLModel, table=True):
    """An item and quantity on a transfer, with the cost it left the source at."""

    __tablename__ = "transfer_order_line"
    __table_args__ = (
        UniqueConstraint("transfer_id", "line_no", name="transfer_order_line_key"),
        CheckConstraint("qty > 0", name="transfer_line_qty_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    transfer_id: int = Field(foreign_key="transfer_order.id", index=True)
    line_no: int
    item_id: int = Field(foreign_key="item.id")
    qty: Decimal = Field(sa_type=QTY)
    unit_cost: Decimal | None = Field(default=None, sa_type=COST)
    value: Decimal | None = Field(default=None, sa_type=MONEY)


class CycleCount(SQLModel, table=True):
    """A count of an item set at one location, done by the warehouse through an inbox task."""

    __tablename__ = "cycle_count"
    __table_args__ = (CheckConstraint("status IN ('open','posted','cancelled')", name="cycle_count_status"),)
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(unique=True, max_length=40)
    workflow_id: str = Field(max_length=200)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    location_id: int = Field(foreign_key="location.id")
    status: str = Field(default="open", max_length=20)
    requested_by: str = Field(max_length=80)
    counted_by: str | None = Field(default=None, max_length=80)
    counted_on: date | None = None
    created_at: datetime | None = created_at()


class CycleCountLine(SQLModel, table=True):
    """Counted vs book quantity of one item: the difference posted, and the stock-accuracy sample."""

    __tablename__ = "cycle_count_line"
    __table_args__ = (UniqueConstraint("count_id", "item_id", name="cycle_count_line_key"),)
    id: int | None = Field(default=None, primary_key=True)
    count_id: int = Field(foreign_key="cycle_count.id", index=True)
    item_id: int = Field(foreign_key="item.id")
    system_qty: Decimal | None = Field(default=None, sa_type=QTY)
    counted_qty: Decimal | None = Field(default=None, sa_type=QTY)
    difference: Decimal | None = Field(default=None, sa_type=QTY)
    value: Decimal | None = Field(default=None, sa_type=MONEY)
    stock_move_id: int | None = Field(default=None, foreign_key="stock_move_key.id")
