"""Create and update bodies of the master data; codes are set at creation and never change."""

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from api.schemas.base import Body, Id, examples, record_model
from models.contracts.bounds import (
    PERIOD_PATTERN,
    AccountHolder,
    Bic,
    Code,
    CurrencyCode,
    Fraction,
    Gtin,
    Iban,
    Name,
    Percentage,
    PlanDate,
    PositiveUnitCost,
    QuantityOrZero,
    Rate,
    TaxRegion,
    UnitPrice,
    VatNumber,
    Weight,
)
from models.sales import ChannelPrice
from rules.accounts import AccountRole

# Short free texts (units, tax classes and regions, time zones) are at most 40 characters.
Short = Field(min_length=1, max_length=40)
ShortOrNone = Field(default=None, min_length=1, max_length=40)
PackSize = Annotated[Decimal, Field(gt=0, le=100_000, max_digits=10, decimal_places=4, allow_inf_nan=False)]


class EntityCreate(Body):
    """A new company; its standard chart of accounts is created with it."""

    model_config = examples(
        {"code": "NL01", "name": "Nordwind Retail B.V.", "currency": "EUR", "time_zone": "Europe/Amsterdam"}
    )

    code: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: Name
    currency: CurrencyCode
    time_zone: str = Field(default="UTC", max_length=64)

    @field_validator("time_zone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import available_timezones

        if v != "UTC" and v not in available_timezones():
            raise ValueError(f"unknown time zone {v!r}")
        return v


class EntityUpdate(Body):
    """Editable entity fields (the currency of books already posted never changes)."""

    model_config = examples({"name": "Nordwind Retail GmbH & Co. KG"})

    name: Name | None = None
    time_zone: str | None = Field(default=None, max_length=64)


class LocationCreate(Body):
    """A new stock location."""

    model_config = examples({"entity_id": 1, "code": "ST-COLOGNE", "name": "Store Cologne", "kind": "store"})

    entity_id: Id
    code: Code
    name: Name
    kind: Literal["warehouse", "store", "in_transit", "refurbish", "quarantine"] = "warehouse"


class LocationUpdate(Body):
    """Editable location fields."""

    model_config = examples({"name": "Store Berlin Alexanderplatz"})

    name: Name | None = None


class ItemCreate(Body):
    """A new SKU."""

    model_config = examples(
        {
            "sku": "APP-0901",
            "name": "Merino crew neck, navy, M",
            "category": "apparel",
            "unit": "ea",
            "pack_size": "1",
            "weight_kg": "0.3",
            "tax_class": "standard",
            "valuation_method": "moving_average",
            "tracking": "none",
            "list_price": "59.90",
            "price_floor": "29.00",
            "gtin": "4006381333931",
        }
    )

    sku: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: Name
    unit: str = Field(default="ea", min_length=1, max_length=20)
    pack_size: PackSize = Decimal(1)
    weight_kg: Weight = Decimal(0)
    tax_class: str = Field(default="standard", min_length=1, max_length=40)
    category: str = Field(min_length=1, max_length=60)
    valuation_method: Literal["moving_average", "fifo"] = "moving_average"
    tracking: Literal["none", "lot", "serial"] = "none"
    allow_negative: bool = False
    list_price: UnitPrice | None = None
    price_floor: UnitPrice | None = None
    gtin: Gtin | None = Field(default=None, description="GTIN-8/12/13/14 (EAN, UPC) with its check digit")


class ItemUpdate(Body):
    """Editable item fields (valuation method and tracking are fixed once stock exists)."""

    model_config = examples({"list_price": "54.90", "price_floor": "27.00"})

    name: Name | None = None
    pack_size: PackSize | None = None
    weight_kg: Weight | None = None
    tax_class: str | None = ShortOrNone
    category: str | None = Field(default=None, min_length=1, max_length=60)
    list_price: UnitPrice | None = None
    price_floor: UnitPrice | None = None
    gtin: Gtin | None = None


def _refuse(body: Body, field: str, reason: str) -> ValidationError:
    """A validation error located at `field` (a model check otherwise names only the body)."""
    error = PydanticCustomError("value_error", reason)
    return ValidationError.from_exception_data(
        type(body).__name__, [InitErrorDetails(type=error, loc=(field,), input=getattr(body, field, None))]
    )


def _bank_details_together(body: Body) -> None:
    """An IBAN comes with its account holder (a bank file names both); a BIC only with an IBAN.

    On a change, all three are sent together (iban null with the others null clears them): a half-changed
    account is how payment diversion starts, and the audit row then shows the whole change.
    """
    given = body.model_fields_set & {"iban", "account_holder", "bic"}
    iban, holder, bic = (getattr(body, f, None) for f in ("iban", "account_holder", "bic"))
    if iban is None:
        if holder is not None or bic is not None:
            raise _refuse(body, "iban", "an account holder or BIC needs the IBAN of the account")
        if given and "iban" not in given:
            raise _refuse(body, "iban", "bank details change together: send iban, account_holder and bic")
        return
    if holder is None:
        raise _refuse(body, "account_holder", "the account holder's name is required with an IBAN")


class SupplierCreate(Body):
    """A new supplier."""

    model_config = examples(
        {
            "code": "LINOFIL",
            "name": "Linofil Textiles",
            "currency": "EUR",
            "payment_terms": "NET30",
            "lead_time_days": 12,
            "tax_id": "IT00743110157",
            "iban": "IT60 X054 2811 1010 0000 0123 456",
            "bic": "BPMOIT22XXX",
            "account_holder": "Linofil Textiles S.r.l.",
        }
    )

    code: Code
    name: Name
    currency: CurrencyCode
    payment_terms: str = Field(default="NET30", max_length=9, pattern=r"^(NET\d{1,3}|EOM\d{0,3}|IMMEDIATE)$")
    lead_time_days: int = Field(default=7, ge=0, le=365)
    tax_id: VatNumber | None = Field(default=None, description="VAT number with its country prefix")
    iban: Iban | None = None
    bic: Bic | None = None
    account_holder: AccountHolder | None = None

    @model_validator(mode="after")
    def _bank(self) -> "SupplierCreate":
        _bank_details_together(self)
        return self


class SupplierUpdate(Body):
    """Editable supplier fields."""

    model_config = examples({"lead_time_days": 16, "payment_terms": "NET45"})

    name: Name | None = None
    payment_terms: str | None = Field(
        default=None, max_length=9, pattern=r"^(NET\d{1,3}|EOM\d{0,3}|IMMEDIATE)$"
    )
    lead_time_days: int | None = Field(default=None, ge=0, le=365)
    tax_id: VatNumber | None = None
    iban: Iban | None = None
    bic: Bic | None = None
    account_holder: AccountHolder | None = None

    @model_validator(mode="after")
    def _bank(self) -> "SupplierUpdate":
        _bank_details_together(self)
        return self


class SupplierPriceCreate(Body):
    """A contract price with its validity."""

    model_config = examples(
        {
            "supplier_id": 1,
            "item_id": 1,
            "price": "12.40",
            "currency": "EUR",
            "valid_from": "2026-07-01",
            "valid_to": "2026-12-31",
        }
    )

    supplier_id: Id
    item_id: Id
    price: PositiveUnitCost
    currency: CurrencyCode
    valid_from: PlanDate
    valid_to: PlanDate | None = None


class CustomerCreate(Body):
    """A new customer."""

    model_config = examples(
        {"code": "CUST-0100", "name": "Jana Keller", "tax_region": "DE", "currency": "EUR"}
    )

    code: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: Name
    tax_region: TaxRegion | None = None
    currency: CurrencyCode
    tax_id: VatNumber | None = Field(default=None, description="a business customer's VAT number")


class CustomerUpdate(Body):
    """Editable customer fields."""

    model_config = examples({"tax_region": "AT"})

    name: Name | None = None
    tax_region: TaxRegion | None = None
    tax_id: VatNumber | None = None


class ChannelCreate(Body):
    """A new sales channel."""

    model_config = examples(
        {
            "entity_id": 1,
            "code": "MKT-FASHION",
            "name": "Fashion marketplace",
            "kind": "marketplace",
            "currency": "EUR",
            "allocation_priority": 30,
            "safety_buffer": "3",
            "max_share_pct": "20",
        }
    )

    entity_id: Id
    code: Code
    name: Name
    kind: Literal["web", "marketplace", "pos"]
    currency: CurrencyCode
    allocation_priority: int = Field(default=100, ge=0, le=1_000_000)
    safety_buffer: QuantityOrZero = Decimal(0)
    max_share_pct: Percentage | None = Field(default=None, gt=0)
    store_location_id: Id | None = None
    payment_provider: Literal["ledger", "sandbox"] = Field(
        default="ledger",
        description="the payment adapter of the channel's card payments (sandbox: test mode)",
    )


class ChannelUpdate(Body):
    """Editable channel fields."""

    model_config = examples({"safety_buffer": "4", "max_share_pct": "25"})

    name: Name | None = None
    allocation_priority: int | None = Field(default=None, ge=0, le=1_000_000)
    safety_buffer: QuantityOrZero | None = None
    max_share_pct: Percentage | None = Field(default=None, gt=0)
    payment_provider: Literal["ledger", "sandbox"] | None = None


class AccountCreate(Body):
    """A GL account; at most one account per role and entity is used by postings."""

    model_config = examples({"entity_id": 1, "code": "6300", "name": "Store cleaning", "type": "expense"})

    entity_id: Id
    code: str = Field(min_length=1, max_length=20)
    name: Name
    type: Literal["asset", "liability", "equity", "income", "expense"]
    role: AccountRole | None = None


class AccountUpdate(Body):
    """Editable account fields."""

    model_config = examples({"name": "Store cleaning and waste"})

    name: Name | None = None


class TaxRateCreate(Body):
    """A sales tax rate by region and tax class."""

    model_config = examples(
        {"region": "BE", "tax_class": "standard", "rate": "0.21", "valid_from": "2026-01-01"}
    )

    region: TaxRegion
    tax_class: str = Short
    rate: Fraction = Field(lt=1)
    valid_from: PlanDate


class FxRateCreate(Body):
    """An exchange rate of a day."""

    model_config = examples(
        {"from_currency": "USD", "to_currency": "EUR", "rate_date": "2026-07-01", "rate": "0.9150"}
    )

    from_currency: CurrencyCode
    to_currency: CurrencyCode
    rate_date: PlanDate
    rate: Rate

    @model_validator(mode="after")
    def _two_currencies(self) -> "FxRateCreate":
        if self.from_currency == self.to_currency:
            raise _refuse(self, "to_currency", f"a rate from {self.from_currency} to itself is always 1")
        return self


class FiscalPeriodCreate(Body):
    """Open a fiscal period explicitly (periods never opened count as open)."""

    model_config = examples({"entity_id": 1, "period": "2026-07"})

    entity_id: Id
    period: str = Field(max_length=7, pattern=PERIOD_PATTERN)


ChannelPriceView = record_model(ChannelPrice, "ChannelPriceView")
