"""Master data: entities, locations, items, suppliers, customers, channels, accounts, rates, periods."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import COST, RATE, created_at, money, qty


class Entity(SQLModel, table=True):
    """A company with its own books, functional currency and time zone."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=20)
    name: str
    currency: str = Field(max_length=3)
    time_zone: str = "UTC"
    archived: bool = False
    created_at: datetime | None = created_at()


class Location(SQLModel, table=True):
    """A place that holds stock: warehouse, store, in-transit, refurbishment or quarantine."""

    __table_args__ = (
        CheckConstraint(
            "kind IN ('warehouse','store','in_transit','refurbish','quarantine')", name="location_kind"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    code: str = Field(unique=True, max_length=30)
    name: str
    kind: str = "warehouse"
    archived: bool = False
    created_at: datetime | None = created_at()


class Item(SQLModel, table=True):
    """A stock-keeping unit with its valuation method and tracking."""

    __table_args__ = (
        CheckConstraint("valuation_method IN ('moving_average','fifo')", name="item_valuation"),
        CheckConstraint("tracking IN ('none','lot','serial')", name="item_tracking"),
        CheckConstraint("pack_size > 0", name="item_pack_size"),
    )
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(unique=True, max_length=40)
    name: str
    unit: str = "ea"
    pack_size: Decimal = qty(Decimal("1"))
    weight_kg: Decimal = qty(Decimal("0"))
    tax_class: str = "standard"
    category: str = Field(index=True)
    valuation_method: str = "moving_average"
    tracking: str = "none"
    allow_negative: bool = False
    list_price: Decimal | None = money(None)
    price_floor: Decimal | None = money(None)
    # GTIN-8/12/13/14 (EAN/UPC barcode), one item per barcode.
    gtin: str | None = Field(default=None, unique=True, max_length=14)
    archived: bool = False
    created_at: datetime | None = created_at()


class Supplier(SQLModel, table=True):
    """A vendor with its currency, payment terms, lead time, VAT number and bank account (for pain.001)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=30)
    name: str
    currency: str = Field(max_length=3)
    payment_terms: str = "NET30"
    lead_time_days: int = 7
    tax_id: str | None = None
    iban: str | None = Field(default=None, max_length=34)
    bic: str | None = Field(default=None, max_length=11)
    account_holder: str | None = Field(default=None, max_length=70)
    created_by: str | None = None
    archived: bool = False
    created_at: datetime | None = created_at()


class SupplierPrice(SQLModel, table=True):
    """A contract price of an item from a supplier, valid between two dates."""

    __tablename__ = "supplier_price"
    __table_args__ = (CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="price_validity"),)
    id: int | None = Field(default=None, primary_key=True)
    supplier_id: int = Field(foreign_key="supplier.id", index=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    price: Decimal = Field(sa_type=COST)
    currency: str = Field(max_length=3)
    valid_from: date
    valid_to: date | None = None
    created_at: datetime | None = created_at()


class Customer(SQLModel, table=True):
    """A customer account with its tax region."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=40)
    name: str
    tax_region: str | None = None
    currency: str = Field(max_length=3)
    tax_id: str | None = Field(default=None, max_length=40)
    archived: bool = False
    created_at: datetime | None = created_at()


class Channel(SQLModel, table=True):
    """A sales channel (web, marketplace, POS) with its allocation priority and safety buffer."""

    __table_args__ = (
        CheckConstraint("kind IN ('web','marketplace','pos')", name="channel_kind"),
        CheckConstraint("payment_provider IN ('ledger','sandbox')", name="channel_payment_provider"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    code: str = Field(unique=True, max_length=30)
    name: str
    kind: str
    currency: str = Field(max_length=3)
    allocation_priority: int = 100
    safety_buffer: Decimal = qty(Decimal("0"))
    max_share_pct: Decimal | None = qty(None)
    store_location_id: int | None = Field(default=None, foreign_key="location.id")
    # Which payment adapter takes this channel's card payments (services.sales.payments.PROVIDERS).
    payment_provider: str = Field(default="ledger", max_length=20)
    archived: bool = False
    created_at: datetime | None = created_at()


class Account(SQLModel, table=True):
    """A general-ledger account of one entity; `role` lets postings find it."""

    __table_args__ = (
        UniqueConstraint("entity_id", "code", name="account_code_per_entity"),
        CheckConstraint("type IN ('asset','liability','equity','income','expense')", name="account_type"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", index=True)
    code: str = Field(max_length=20)
    name: str
    type: str
    role: str | None = Field(default=None, max_length=40)
    archived: bool = False
    created_at: datetime | None = created_at()


class TaxRate(SQLModel, table=True):
    """A sales tax rate by region and item tax class."""

    __tablename__ = "tax_rate"
    __table_args__ = (UniqueConstraint("region", "tax_class", "valid_from", name="tax_rate_key"),)
    id: int | None = Field(default=None, primary_key=True)
    region: str
    tax_class: str
    rate: Decimal = Field(sa_type=RATE)
    valid_from: date


class FxRate(SQLModel, table=True):
    """Units of `to_currency` for one unit of `from_currency` on a date."""

    __tablename__ = "fx_rate"
    __table_args__ = (UniqueConstraint("from_currency", "to_currency", "rate_date", name="fx_rate_key"),)
    id: int | None = Field(default=None, primary_key=True)
    from_currency: str = Field(max_length=3)
    to_currency: str = Field(max_length=3)
    rate_date: date
    rate: Decimal = Field(sa_type=RATE)


class FiscalPeriod(SQLModel, table=True):
    """A month of an entity's books: open, soft_closed (closers only) or closed."""

    __tablename__ = "fiscal_period"
    __table_args__ = (
        UniqueConstraint("entity_id", "period", name="fiscal_period_key"),
        CheckConstraint("status IN ('open','soft_closed','closed')", name="fiscal_period_status"),
        CheckConstraint("period ~ '^[0-9]{4}-[0-9]{2}$'", name="fiscal_period_format"),
    )
    id: int | None = Field(default=None, primary_key=True)
    entity_id: int = Field(foreign_key="entity.id")
    period: str = Field(max_length=7)
    status: str = "open"
    changed_by: str | None = None
    changed_at: datetime | None = created_at()


__all__ = [
    "Account",
    "Channel",
    "Customer",
    "Entity",
    "FiscalPeriod",
    "FxRate",
    "Item",
    "Location",
    "Supplier",
    "SupplierPrice",
    "TaxRate",
]
