"""Stock: the append-only stock ledger, balances per item x location, FIFO layers, reservations."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from models.base import COST, MONEY, QTY, created_at, money, qty


class StockMove(SQLModel, table=True):
    """One movement of stock with its value; never updated, corrected by a new move."""

    __tablename__ = "stock_move"
    __table_args__ = (
        Index("stock_move_item_location", "item_id", "location_id"),
        CheckConstraint("qty <> 0 OR value <> 0", name="stock_move_nonzero"),
    )
    # From stock_move_id_seq: a composite key needs autoincrement said explicitly.
    id: int | None = Field(default=None, primary_key=True, sa_column_kwargs={"autoincrement": True})
    entity_id: int = Field(foreign_key="entity.id", index=True)
    item_id: int = Field(foreign_key="item.id")
    location_id: int = Field(foreign_key="location.id")
    lot: str | None = None
    serial: str | None = None
    qty: Decimal = Field(sa_type=QTY)
    unit_cost: Decimal = Field(sa_type=COST)
    value: Decimal = Field(sa_type=MONEY)
    reason: str = Field(max_length=30)
    source_type: str = Field(max_length=40)
    source_id: str = Field(max_length=80)
    # Unique across all partitions through StockMoveKey, which a trigger fills (migration 0024).
    idempotency_key: str = Field(max_length=200)
    # The partition key (range partitioned, one partition per month; migration 0024).
    posting_date: date = Field(primary_key=True)
    journal_entry_id: int | None = Field(default=None, foreign_key="journal_entry.id")
    created_at: datetime | None = created_at()


class StockMoveKey(SQLModel, table=True):
    """Every stock move's id and idempotency key, unique across the partitions; written by a trigger only."""

    __tablename__ = "stock_move_key"
    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    idempotency_key: str = Field(unique=True, max_length=200)
    # The move's partition: a lookup by key or id reads this row, then that one partition.
    posting_date: date


class StockBalance(SQLModel, table=True):
    """Quantities and value per item x location; the database refuses oversell and negative stock."""

    __tablename__ = "stock_balance"
    __table_args__ = (
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= GREATEST(on_hand, 0)", name="reserved_within_on_hand"),
        CheckConstraint("allow_negative OR on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("inbound >= 0 AND in_transit >= 0", name="inbound_in_transit_not_negative"),
    )
    item_id: int = Field(foreign_key="item.id", primary_key=True)
    location_id: int = Field(foreign_key="location.id", primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    on_hand: Decimal = qty()
    reserved: Decimal = qty()
    inbound: Decimal = qty()
    in_transit: Decimal = qty()
    value: Decimal = money()
    allow_negative: bool = False


class FifoLayer(SQLModel, table=True):
    """A FIFO cost layer: what is left of one receipt at its unit cost."""

    __tablename__ = "fifo_layer"
    __table_args__ = (
        Index("fifo_layer_open", "item_id", "location_id", "id"),
        CheckConstraint("qty_remaining >= 0 AND qty_remaining <= qty_in", name="fifo_remaining_range"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id")
    location_id: int = Field(foreign_key="location.id")
    move_id: int = Field(foreign_key="stock_move_key.id")
    received_on: date
    qty_in: Decimal = Field(sa_type=QTY)
    qty_remaining: Decimal = Field(sa_type=QTY)
    unit_cost: Decimal = Field(sa_type=COST)


class Reservation(SQLModel, table=True):
    """Stock promised to a document line; at most one active per idempotency key."""

    __table_args__ = (
        CheckConstraint("qty > 0", name="reservation_qty_positive"),
        CheckConstraint("status IN ('active','released','consumed')", name="reservation_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    item_id: int = Field(foreign_key="item.id")
    location_id: int = Field(foreign_key="location.id")
    qty: Decimal = Field(sa_type=QTY)
    source_type: str = Field(max_length=40)
    source_id: str = Field(max_length=80, index=True)
    idempotency_key: str = Field(unique=True, max_length=200)
    status: str = "active"
    created_at: datetime | None = created_at()


__all__ = ["FifoLayer", "Reservation", "StockBalance", "StockMove", "StockMoveKey", "StockWaiter", "qty"]


class StockWaiter(SQLModel, table=True):
    """A workflow waiting for inbound stock of an item at a location (e.g. a backordered order line)."""

    __tablename__ = "stock_waiter"
    __table_args__ = (
        Index("stock_waiter_open", "item_id", "location_id", "status"),
        CheckConstraint("status IN ('waiting','notified','cancelled')", name="stock_waiter_status"),
    )
    id: int | None = Field(default=None, primary_key=True)
    waiter_key: str = Field(unique=True, max_length=200)
    workflow_id: str = Field(max_length=200)
    workflow_type: str = Field(max_length=80)
    item_id: int = Field(foreign_key="item.id")
    location_id: int = Field(foreign_key="location.id")
    qty: Decimal = Field(sa_type=QTY)
    po_number: str | None = Field(default=None, max_length=40, index=True)
    status: str = "waiting"
    created_at: datetime | None = created_at()
