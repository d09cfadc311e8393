"""Three-way match of an invoice line against its PO line and receipts (domain.md section 6)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal

from rules.errors import RuleViolation
from rules.money import quantize

MatchStatus = Literal["matched", "exception"]
_HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class MatchTolerance:
    """Tolerances in percent (2 = 2 %) plus an absolute money amount per invoice line.

    Price passes when within `price_pct` of the PO price OR when the line's whole price variance
    (invoiced qty x price difference) is at most `price_abs`. The absolute part is per line, not per
    unit: a per-unit allowance would let a cheap item double in price across a large quantity.
    """

    qty_pct: Decimal
    price_pct: Decimal
    price_abs: Decimal


DEFAULT_TOLERANCE = MatchTolerance(qty_pct=Decimal("0"), price_pct=Decimal("2"), price_abs=Decimal("1.00"))


@dataclass(frozen=True, slots=True)
class MatchLine:
    """One invoice line with its PO line's facts; po_line_id None means the invoice cites no PO line."""

    po_line_id: str | None
    ordered_qty: Decimal
    received_qty: Decimal
    previously_invoiced_qty: Decimal
    po_price: Decimal
    invoiced_qty: Decimal
    invoice_price: Decimal


@dataclass(frozen=True, slots=True)
class MatchResult:
    """Outcome for one line; values are at invoiced quantity."""

    po_line_id: str | None
    status: MatchStatus
    reasons: tuple[str, ...]
    grni_value: Decimal
    invoice_value: Decimal
    price_variance: Decimal


@dataclass(frozen=True, slots=True)
class InvoiceMatch:
    """Outcome for a whole invoice: matched only when every line matched."""

    status: MatchStatus
    results: tuple[MatchResult, ...]
    total_variance: Decimal


def _validate(line: MatchLine) -> None:
    """Refuse negative inputs and empty invoice lines (credit notes are matched separately)."""
    if line.invoiced_qty <= 0:
        raise RuleViolation("invoiced_qty", f"must be positive, got {line.invoiced_qty}")
    for name in ("ordered_qty", "received_qty", "previously_invoiced_qty", "po_price", "invoice_price"):
        if getattr(line, name) < 0:
            raise RuleViolation(name, f"must not be negative, got {getattr(line, name)}")


def match_line(line: MatchLine, tol: MatchTolerance, currency: str) -> MatchResult:
    """Match one invoice line: quantity against receipts, price against the PO."""
    _validate(line)
    invoice_value = quantize(line.invoiced_qty * line.invoice_price, currency)
    if line.po_line_id is None:
        zero = quantize(Decimal(0), currency)
        return MatchResult(None, "exception", ("no_po_line",), zero, invoice_value, zero)
    grni_value = quantize(line.invoiced_qty * line.po_price, currency)
    variance = invoice_value - grni_value
    reasons: list[str] = []
    if line.received_qty == 0:
        reasons.append("no_receipt")
    else:
        allowed = line.received_qty * (1 + tol.qty_pct / _HUNDRED)
        if line.previously_invoiced_qty + line.invoiced_qty > allowed:
            reasons.append("qty_over_received")
    within_pct = abs(line.invoice_price - line.po_price) <= line.po_price * tol.price_pct / _HUNDRED
    if not (within_pct or abs(variance) <= tol.price_abs):
        reasons.append("price_over_tolerance")
    status: MatchStatus = "exception" if reasons else "matched"
    return MatchResult(line.po_line_id, status, tuple(reasons), grni_value, invoice_value, variance)


def match_invoice(lines: Sequence[MatchLine], tol: MatchTolerance, currency: str) -> InvoiceMatch:
    """Match every line; several lines on one PO line count against its receipts together."""
    if not lines:
        raise RuleViolation("lines", "an invoice needs at least one line")
    # Without this, splitting one PO line over two invoice lines would pass each quantity check alone.
    invoiced_so_far: dict[str, Decimal] = {}
    results: list[MatchResult] = []
    for line in lines:
        key = line.po_line_id
        if key is None:
            results.append(match_line(line, tol, currency))
            continue
        earlier = invoiced_so_far.get(key, Decimal(0))
        invoiced_so_far[key] = earlier + line.invoiced_qty
        cumulative = replace(line, previously_invoiced_qty=line.previously_invoiced_qty + earlier)
        results.append(match_line(cumulative, tol, currency))
    status: MatchStatus = "matched" if all(r.status == "matched" for r in results) else "exception"
    total = sum((r.price_variance for r in results), quantize(Decimal(0), currency))
    return InvoiceMatch(status=status, results=tuple(results), total_variance=total)


def over_receipt_allowed(
    ordered: Decimal, already_received: Decimal, receiving: Decimal, over_pct: Decimal
) -> bool:
    """True when receiving this quantity keeps the PO line within its over-receipt allowance."""
    return already_received + receiving <= ordered * (1 + over_pct / _HUNDRED)
