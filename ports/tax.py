"""The tax calculation port and its built-in implementation: the tax_rate table."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import text
from sqlmodel import Session

from rules.errors import RuleViolation
from rules.money import quantize


@dataclass(frozen=True, slots=True)
class TaxQuery:
    """A net amount of one tax class sold into a region on a date."""

    region: str
    tax_class: str
    on: date
    net: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class TaxResult:
    """The rate applied and the tax, rounded to the currency's minor unit."""

    rate: Decimal
    tax: Decimal
    source: str


class TaxPort(Protocol):
    """Sales tax for a line; a provider (Avalara, Vertex, ...) answers the same question."""

    def calculate(self, session: Session, query: TaxQuery) -> TaxResult:
        """The tax of one net amount, or RuleViolation when no rate applies."""
        ...


class RateTableTax:
    """The latest rate of the region x tax class valid on the day, from the tax_rate master data."""

    def rate(self, session: Session, region: str, tax_class: str, on: date) -> Decimal | None:
        """The rate valid on `on`, or None when none is set up."""
        value = (
            session.connection()
            .execute(
                text(
                    "SELECT rate FROM tax_rate WHERE region = :r AND tax_class = :t AND valid_from <= :d"
                    " ORDER BY valid_from DESC LIMIT 1"
                ),
                {"r": region, "t": tax_class, "d": on},
            )
            .scalar()
        )
        return None if value is None else Decimal(value)

    def calculate(self, session: Session, query: TaxQuery) -> TaxResult:
        """net x rate, rounded half up to the currency."""
        rate = self.rate(session, query.region, query.tax_class, query.on)
        if rate is None:
            raise RuleViolation(
                "tax_class",
                f"no sales tax rate for region {query.region} x tax class {query.tax_class} on {query.on}",
            )
        return TaxResult(rate=rate, tax=quantize(query.net * rate, query.currency), source="rate_table")


def tax_port() -> TaxPort:
    """The tax port every flow uses (orders, substitutes, exchanges); a provider adapter replaces it here."""
    return RateTableTax()


def line_tax(session: Session, field: str, sku: str, query: TaxQuery) -> TaxResult:
    """Tax of one line through the port; no rate refuses the line naming `field` (never 0 % by accident)."""
    try:
        return tax_port().calculate(session, query)
    except RuleViolation as exc:
        raise RuleViolation(
            field,
            f"{sku} (tax class {query.tax_class}) has no sales tax rate in region {query.region} on {query.on};"
            " set one up with POST /tax-rates (an explicit 0 rate is allowed)",
        ) from exc
