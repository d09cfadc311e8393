"""The bounds of every number, date and text the API accepts: nothing accepted may fail later in the database.

A value refused here answers 422 naming the field; a value accepted here fits its column and its workflow.
Decimals refuse NaN/Infinity everywhere and refuse extra decimal places instead of rounding them away.

| kind          | bounds                                   | column                 |
|---------------|------------------------------------------|------------------------|
| Quantity      | 0 < q <= 10,000,000, 4 places            | QTY NUMERIC(18,4)      |
| QuantityOrZero| 0 <= q <= 10,000,000, 4 places           | QTY NUMERIC(18,4)      |
| UnitCost      | 0 <= p <= 1,000,000, 6 places            | COST NUMERIC(20,6)     |
| UnitPrice     | 0 <= p <= 1,000,000, 4 places            | MONEY NUMERIC(20,4)    |
| Amount        | 0 <= a <= 1,000,000,000,000, 4 places    | MONEY NUMERIC(20,4)    |
| PositiveAmount| 0 < a <= 1,000,000,000,000, 4 places     | MONEY NUMERIC(20,4)    |
| SignedAmount  | |a| <= 1,000,000,000,000, 4 places       | MONEY NUMERIC(20,4)    |
| Rate (FX)     | 0 < r <= 1,000,000, 10 places            | RATE NUMERIC(20,10)    |
| Fraction      | 0 <= f <= 1, 6 places (tax rates, levels)| RATE NUMERIC(20,10)    |
| Percentage    | 0 <= p <= 100, 4 places                  | QTY/RATE               |
| Weight        | 0 <= w <= 100,000 kg, 4 places           | QTY NUMERIC(18,4)      |

Quantity and unit price are capped so that a line (at most 10^13) and a document of MAX_LINES lines
(5 x 10^15) stay inside MONEY's 16 integer digits; a PO's total and its conversion to the entity's
currency are held to MAX_AMOUNT where they are computed (services.purchasing.orders.build_input).

Dates: nothing before DATE_FLOOR (2000-01-01; a retailer's books do not reach further back, and the
scorecard and planning SQL subtract dates). Something that happened (a receipt, an invoice, a payout, an
order) may be dated at most EVENT_TOLERANCE (2 days, for time zones) after today; a plan (expected,
confirmed, validity, rate dates) at most PLAN_HORIZON (2 years) ahead. Checks against the document itself
(a receipt not before its PO's order date, a period not closed) are made where the database is read.

Texts: codes, references and names have the column's length; line lists at most MAX_LINES (500).
Standard identifiers are checked by their own libraries (rules/identifiers.py): currencies are active
ISO 4217 codes without the fund, metal and test codes (XXX, XTS, XAU, ...); countries ISO 3166-1 alpha-2,
tax regions a country or an ISO 3166-2 subdivision; IBAN and BIC by schwifty; GTINs and VAT numbers by
python-stdnum. IBANs and VAT numbers are stored in their compact upper-case form.
"""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

from rules.identifiers import (
    bic_problem,
    country_problem,
    currency_problem,
    gtin_problem,
    iban_problem,
    normalize_iban,
    normalize_vat,
    region_problem,
    vat_problem,
)

MAX_QTY = Decimal("10000000")
MAX_UNIT_PRICE = Decimal("1000000")
MAX_AMOUNT = Decimal("1000000000000")
MAX_RATE = Decimal("1000000")
MAX_WEIGHT_KG = Decimal("100000")
MAX_LINES = 500

DATE_FLOOR = date(2000, 1, 1)
# A static last resort (also for payload dates, where there is no clock); the clock-based bounds are tighter.
DATE_CEILING = date(2100, 12, 31)
EVENT_TOLERANCE = timedelta(days=2)
PLAN_HORIZON = timedelta(days=731)
# An accounting period "YYYY-MM" of this century (a close or accrual for 1900 would never finish).
PERIOD_PATTERN = r"^20[0-9]{2}-(0[1-9]|1[0-2])$"


def _dec(high: Decimal, places: int, *, positive: bool = False) -> Any:
    """A Field for a finite Decimal from 0 (excluded when positive) to high, at most `places` decimal places."""
    # max_digits counts integer and decimal digits: the integer part of `high` plus the places.
    digits = len(str(int(high))) + places
    # JSON Schema cannot say "decimal places": the description tells API readers.
    low = "0 <" if positive else "0 <="
    said = f"{low} value <= {high:,}, at most {places} decimal places (more are refused, never rounded)"
    if positive:
        return Field(
            gt=0, le=high, max_digits=digits, decimal_places=places, allow_inf_nan=False, description=said
        )
    return Field(
        ge=0, le=high, max_digits=digits, decimal_places=places, allow_inf_nan=False, description=said
    )


Quantity = Annotated[Decimal, _dec(MAX_QTY, 4, positive=True)]
QuantityOrZero = Annotated[Decimal, _dec(MAX_QTY, 4)]
UnitCost = Annotated[Decimal, _dec(MAX_UNIT_PRICE, 6)]
PositiveUnitCost = Annotated[Decimal, _dec(MAX_UNIT_PRICE, 6, positive=True)]
UnitPrice = Annotated[Decimal, _dec(MAX_UNIT_PRICE, 4)]
Amount = Annotated[Decimal, _dec(MAX_AMOUNT, 4)]
PositiveAmount = Annotated[Decimal, _dec(MAX_AMOUNT, 4, positive=True)]
# Payout lines carry refunds and fee reversals: signed, same size as Amount.
SignedAmount = Annotated[
    Decimal, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, max_digits=17, decimal_places=4, allow_inf_nan=False)
]
Rate = Annotated[Decimal, _dec(MAX_RATE, 10, positive=True)]
Fraction = Annotated[Decimal, _dec(Decimal(1), 6)]
Percentage = Annotated[Decimal, _dec(Decimal(100), 4)]
Weight = Annotated[Decimal, _dec(MAX_WEIGHT_KG, 4)]


def _not_after_tolerance(d: date) -> date:
    """Refuse an event dated later than today plus the time-zone tolerance."""
    latest = date.today() + EVENT_TOLERANCE
    if d > latest:
        raise ValueError(f"must not be after {latest.isoformat()} (it has not happened yet)")
    return d


def _within_horizon(d: date) -> date:
    """Refuse a plan further ahead than the planning horizon."""
    latest = date.today() + PLAN_HORIZON
    if d > latest:
        raise ValueError(f"must not be after {latest.isoformat()} (more than 2 years ahead)")
    return d


_DATE_RANGE = Field(ge=DATE_FLOOR, le=DATE_CEILING)
# Dates of facts (received, invoiced, paid out, ordered).
EventDate = Annotated[
    date,
    _DATE_RANGE,
    AfterValidator(_not_after_tolerance),
    Field(description="from 2000-01-01 to today + 2 days"),
]
# Dates of plans and validities (expected, confirmed, valid from/to, rate of a day).
PlanDate = Annotated[
    date,
    _DATE_RANGE,
    AfterValidator(_within_horizon),
    Field(description="from 2000-01-01 to today + 2 years"),
]
# Dates inside a workflow payload, where there is no clock: the static window only.
PayloadDate = Annotated[date, _DATE_RANGE]


def _checked(problem: Callable[[str], str | None], normalize: Callable[[str], str] | None = None) -> Any:
    """A validator that refuses a value `problem` names a reason for, and stores its normalized form."""

    def check(value: str) -> str:
        why = problem(value)
        if why is not None:  # the reason alone, without pydantic's "Value error, " prefix
            raise PydanticCustomError("value_error", why)
        return normalize(value) if normalize is not None else value

    return AfterValidator(check)


CurrencyCode = Annotated[
    str, Field(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$"), _checked(currency_problem)
]
CountryCode = Annotated[
    str, Field(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$"), _checked(country_problem)
]
# A tax region: a country ("DE") or a subdivision with its own rates ("US-CA", "CA-QC").
TaxRegion = Annotated[
    str, Field(min_length=2, max_length=6, pattern=r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$"), _checked(region_problem)
]
# Spaces are allowed on input (the printed form) and removed before storing.
Iban = Annotated[
    str,
    Field(min_length=15, max_length=42, examples=["DE89 3704 0044 0532 0130 00"]),
    _checked(iban_problem, normalize_iban),
]
Bic = Annotated[
    str, Field(min_length=8, max_length=11, examples=["COBADEFFXXX"]), _checked(bic_problem, str.upper)
]
Gtin = Annotated[str, Field(min_length=8, max_length=14, pattern=r"^[0-9]+$"), _checked(gtin_problem)]
VatNumber = Annotated[
    str, Field(min_length=4, max_length=40, examples=["DE136695976"]), _checked(vat_problem, normalize_vat)
]
# The account holder as a bank file carries it (pain.001 Nm: at most 70 characters).
AccountHolder = Annotated[str, Field(min_length=1, max_length=70)]
Code = Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
Sku = Annotated[str, Field(min_length=1, max_length=40)]
Reference = Annotated[str, Field(min_length=1, max_length=80)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Note = Annotated[str, Field(max_length=2000)]
Serial = Annotated[str, Field(min_length=1, max_length=80)]
