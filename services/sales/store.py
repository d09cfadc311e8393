"""Sales rows as activities read them: the order header with its channel's settings, the items on sale."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import not_, select, text
from sqlmodel import Session, col

from models.master import Item
from services.core.errors import NotFound


@dataclass(frozen=True, slots=True)
class OrderHead:
    """The order header joined with its channel's allocation settings."""

    id: int
    entity_id: int
    channel_id: int
    currency: str
    number: str
    payment_method: str
    channel_kind: str
    safety_buffer: Decimal
    max_share_pct: Decimal | None
    store_location_id: int | None
    channel_code: str
    allocation_priority: int

    @property
    def buffer(self) -> Decimal:
        """Stock the channel keeps back from each location; a till sells what is on its shelf."""
        return Decimal(0) if self.channel_kind == "pos" else self.safety_buffer


_HEAD = """
SELECT o.id, o.entity_id, o.channel_id, o.currency, o.number, o.payment_method, c.kind,
       c.safety_buffer, c.max_share_pct, c.store_location_id, c.code AS channel_code, c.allocation_priority
  FROM sales_order o JOIN channel c ON c.id = o.channel_id WHERE o.number = :n
"""


def order_head(session: Session, number: str) -> OrderHead:
    """The order by number with its channel's allocation settings."""
    row = session.connection().execute(text(_HEAD), {"n": number}).first()
    if row is None:
        raise NotFound("order_number", f"order {number} does not exist")
    return OrderHead(
        id=int(row[0]),
        entity_id=int(row[1]),
        channel_id=int(row[2]),
        currency=str(row[3]),
        number=str(row[4]),
        payment_method=str(row[5]),
        channel_kind=str(row[6]),
        safety_buffer=Decimal(row[7] or 0),
        max_share_pct=None if row[8] is None else Decimal(row[8]),
        store_location_id=None if row[9] is None else int(row[9]),
        channel_code=str(row[10]),
        allocation_priority=int(row[11]),
    )


@dataclass(frozen=True, slots=True)
class SellableItem:
    """An item that may be sold: not archived."""

    id: int
    sku: str
    tax_class: str
    price_floor: Decimal | None


def sellable_item(session: Session, sku: str) -> SellableItem | None:
    """The active item with this SKU, or None."""
    row = (
        session.connection()
        .execute(
            select(col(Item.id), col(Item.sku), col(Item.tax_class), col(Item.price_floor)).where(
                col(Item.sku) == sku, not_(col(Item.archived))
            )
        )
        .first()
    )
    if row is None:
        return None
    item_id = row[0]
    assert item_id is not None  # a stored row has its primary key
    return SellableItem(item_id, str(row[1]), str(row[2]), Decimal(row[3]) if row[3] is not None else None)
