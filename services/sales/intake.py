"""Order intake: validate a channel order against master data and price it (422 naming the field)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.sales import OrderInput, PaymentMethod, PricedLine
from ports.tax import TaxQuery, line_tax
from rules.errors import RuleViolation
from rules.money import quantize_cost
from rules.order_pricing import line_amounts, promotion_discount
from services.sales.pricing import channel_price, promotion_percent
from services.sales.store import SellableItem, sellable_item

# Which payment methods each channel kind takes; the first is the default.
METHODS: dict[str, tuple[PaymentMethod, ...]] = {
    "web": ("card", "transfer"),
    "marketplace": ("marketplace",),
    "pos": ("cash", "card"),
}


class LineAsk(Protocol):
    """What a caller sends for one line."""

    sku: str
    qty: Decimal
    unit_price: Decimal | None
    promotion_code: str | None
    discount: Decimal | None


@dataclass(frozen=True, slots=True)
class OrderAsk:
    """What a caller sends for one order."""

    channel: str
    external_id: str
    customer: str
    ship_to_region: str | None
    currency: str | None
    payment_method: PaymentMethod | None
    lines: Sequence[LineAsk]
    payment_reference: str | None = None


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sends it: their entities, and whether they may sell below an item's price floor."""

    username: str
    entity_ids: frozenset[int]
    may_override_floor: bool


def _channel(session: Session, code: str, caller: Caller) -> tuple[int, int, str, str]:
    row = (
        session.connection()
        .execute(
            text("SELECT id, entity_id, kind, currency FROM channel WHERE code = :c AND NOT archived"),
            {"c": code},
        )
        .first()
    )
    # A channel of an entity the caller does not belong to is reported exactly like an unknown one.
    if row is None or int(row[1]) not in caller.entity_ids:
        raise RuleViolation("channel", f"unknown channel {code!r}")
    return int(row[0]), int(row[1]), str(row[2]), str(row[3])


def _customer(session: Session, code: str) -> tuple[int, str | None]:
    row = (
        session.connection()
        .execute(text("SELECT id, tax_region FROM customer WHERE code = :c AND NOT archived"), {"c": code})
        .first()
    )
    if row is None:
        raise RuleViolation("customer", f"unknown customer {code!r}")
    return int(row[0]), row[1]


def _item(session: Session, field: str, sku: str) -> SellableItem:
    item = sellable_item(session, sku)
    if item is None:
        raise RuleViolation(f"{field}.sku", f"unknown SKU {sku!r}")
    return item


@dataclass(frozen=True, slots=True)
class _Pricing:
    """What pricing a line needs to know of its order."""

    channel: str
    channel_id: int
    region: str
    currency: str
    today: date
    may_override_floor: bool


def price_order(session: Session, ask: OrderAsk, caller: Caller, today: date) -> OrderInput:
    """Check every field and price every line; raises RuleViolation naming the first bad field."""
    channel_id, entity_id, kind, currency = _channel(session, ask.channel, caller)
    customer_id, customer_region = _customer(session, ask.customer)
    region = ask.ship_to_region or customer_region
    if not region:
        raise RuleViolation("ship_to_region", "the customer has no tax region: give ship_to_region")
    if ask.currency and ask.currency.upper() != currency:
        raise RuleViolation("currency", f"channel {ask.channel} sells in {currency}, not {ask.currency}")
    method = ask.payment_method or METHODS[kind][0]
    if method not in METHODS[kind]:
        raise RuleViolation("payment_method", f"a {kind} order is paid by one of {list(METHODS[kind])}")
    pricing = _Pricing(ask.channel, channel_id, region, currency, today, caller.may_override_floor)
    lines = [_price_line(session, pricing, i, ask_line) for i, ask_line in enumerate(ask.lines)]
    return OrderInput(
        order_number=f"{ask.channel}-{ask.external_id}",
        entity_id=entity_id,
        channel_id=channel_id,
        channel_code=ask.channel,
        channel_kind=kind,
        customer_id=customer_id,
        external_id=ask.external_id,
        ship_to_region=region,
        currency=currency,
        payment_method=method,
        order_date=today,
        created_by=caller.username,
        lines=lines,
        payment_reference=ask.payment_reference,
    )


def _price_line(session: Session, pricing: _Pricing, i: int, ask_line: LineAsk) -> PricedLine:
    """Price, discount and tax of line `i`; refuses an unknown SKU, a missing price or promotion, a missing
    tax rate, and a net unit price below the item's floor (unless the caller may override it)."""
    field = f"lines[{i}]"
    item = _item(session, field, ask_line.sku)
    item_id, tax_class, floor = item.id, item.tax_class, item.price_floor
    if ask_line.qty <= 0:
        raise RuleViolation(f"{field}.qty", f"quantity must be positive, got {ask_line.qty}")
    price = (
        ask_line.unit_price
        if ask_line.unit_price is not None
        else channel_price(session, pricing.channel_id, item_id, pricing.today)
    )
    if price is None:
        raise RuleViolation(
            f"{field}.sku", f"{ask_line.sku} has no price on the {pricing.channel} price list"
        )
    discount = ask_line.discount
    if ask_line.promotion_code:
        percent = promotion_percent(session, ask_line.promotion_code, pricing.channel_id, pricing.today)
        if percent is None:
            raise RuleViolation(
                f"{field}.promotion_code", f"no promotion {ask_line.promotion_code!r} valid today"
            )
        if discount is None:
            discount = promotion_discount(ask_line.qty * price, percent, pricing.currency)
    amounts = line_amounts(field, ask_line.qty, price, discount or Decimal(0), Decimal(0), pricing.currency)
    # The tax port is the only tax calculation: no rate refuses the line (never 0 % by accident).
    taxed = line_tax(
        session,
        f"{field}.sku",
        ask_line.sku,
        TaxQuery(pricing.region, tax_class, pricing.today, amounts.net, pricing.currency),
    )
    net_unit = quantize_cost(amounts.net / ask_line.qty)
    if floor is not None and net_unit < floor and not pricing.may_override_floor:
        raise RuleViolation(
            f"{field}.unit_price",
            f"net unit price {net_unit} is below the floor {floor}; a controller may override",
        )
    return PricedLine(
        line_no=i + 1,
        item_id=item_id,
        sku=ask_line.sku,
        qty=ask_line.qty,
        unit_price=price,
        gross=amounts.gross,
        discount=amounts.discount,
        tax_rate=taxed.rate,
        tax=taxed.tax,
        promotion_code=ask_line.promotion_code,
    )
