"""Three-way match: PO line PL-1 orders 100 kettles @ 4.00; 80 have been received so far."""

from dataclasses import replace
from decimal import Decimal as D

import pytest

from rules.errors import RuleViolation
from rules.matching import (
    DEFAULT_TOLERANCE,
    MatchLine,
    MatchTolerance,
    match_invoice,
    match_line,
    over_receipt_allowed,
)

PL1 = MatchLine("PL-1", D(100), D(80), D(0), D("4.00"), D(80), D("4.00"))


def test_exact_invoice_matches() -> None:
    result = match_line(PL1, DEFAULT_TOLERANCE, "EUR")
    assert (result.status, result.reasons) == ("matched", ())
    assert (result.grni_value, result.invoice_value, result.price_variance) == (D("320.00"),) * 2 + (
        D("0.00"),
    )


def test_price_within_percent_tolerance_matches_with_variance() -> None:
    # 4.05 vs 4.00 = 1.25 % <= 2 %: auto-approved; variance 80 x 0.05 = 4.00 goes to price variance.
    result = match_line(replace(PL1, invoice_price=D("4.05")), DEFAULT_TOLERANCE, "EUR")
    assert result.status == "matched"
    assert (result.grni_value, result.invoice_value, result.price_variance) == (
        D("320.00"),
        D("324.00"),
        D("4.00"),
    )


def test_price_over_tolerance() -> None:
    # 4.20 = 5 % over, and 80 x 0.20 = 16.00 > 1.00 absolute: exception.
    result = match_line(replace(PL1, invoice_price=D("4.20")), DEFAULT_TOLERANCE, "EUR")
    assert (result.status, result.reasons, result.price_variance) == (
        "exception",
        ("price_over_tolerance",),
        D("16.00"),
    )


def test_tolerance_is_symmetric() -> None:
    # 3.90 is 2.5 % under and 8.00 in total: a cheaper invoice may be the wrong item, so it is reviewed.
    result = match_line(replace(PL1, invoice_price=D("3.90")), DEFAULT_TOLERANCE, "EUR")
    assert (result.reasons, result.price_variance) == (("price_over_tolerance",), D("-8.00"))


def test_absolute_tolerance_is_per_line_not_per_unit() -> None:
    # Paper bags @ 0.10 invoiced @ 0.12: 20 % over. 5 bags -> 0.10 in total, within 1.00: rounding noise.
    bags = MatchLine("PL-2", D(5), D(5), D(0), D("0.10"), D(5), D("0.12"))
    assert match_line(bags, DEFAULT_TOLERANCE, "EUR").status == "matched"
    # 10,000 bags -> 200.00 overcharge: a per-unit 1.00 allowance would have let this through.
    many = replace(bags, ordered_qty=D(10000), received_qty=D(10000), invoiced_qty=D(10000))
    assert match_line(many, DEFAULT_TOLERANCE, "EUR").reasons == ("price_over_tolerance",)


def test_quantity_over_received() -> None:
    assert match_line(replace(PL1, invoiced_qty=D(90)), DEFAULT_TOLERANCE, "EUR").reasons == (
        "qty_over_received",
    )
    # 50 already invoiced + 40 now = 90 > 80 received.
    line = replace(PL1, previously_invoiced_qty=D(50), invoiced_qty=D(40))
    assert match_line(line, DEFAULT_TOLERANCE, "EUR").reasons == ("qty_over_received",)


def test_quantity_tolerance_percent() -> None:
    # 5 % tolerance on 80 received allows up to 84 invoiced.
    tol = MatchTolerance(qty_pct=D(5), price_pct=D(2), price_abs=D(1))
    assert match_line(replace(PL1, invoiced_qty=D(84)), tol, "EUR").status == "matched"
    assert match_line(replace(PL1, invoiced_qty=D(85)), tol, "EUR").status == "exception"


def test_both_reasons_reported() -> None:
    result = match_line(replace(PL1, invoiced_qty=D(90), invoice_price=D("4.50")), DEFAULT_TOLERANCE, "EUR")
    assert result.reasons == ("qty_over_received", "price_over_tolerance")


def test_no_receipt_and_no_po_line() -> None:
    assert match_line(replace(PL1, received_qty=D(0)), DEFAULT_TOLERANCE, "EUR").reasons == ("no_receipt",)
    stray = match_line(replace(PL1, po_line_id=None), DEFAULT_TOLERANCE, "EUR")
    assert (stray.status, stray.reasons) == ("exception", ("no_po_line",))
    assert (stray.grni_value, stray.invoice_value, stray.price_variance) == (
        D("0.00"),
        D("320.00"),
        D("0.00"),
    )


def test_invoice_lines_on_the_same_po_line_add_up() -> None:
    # 50 + 50 = 100 on a PO line with 80 received: the second line breaks the receipt.
    first = replace(PL1, invoiced_qty=D(50), invoice_price=D("4.02"))
    second = replace(PL1, invoiced_qty=D(50))
    match = match_invoice([first, second], DEFAULT_TOLERANCE, "EUR")
    assert match.status == "exception"
    assert [r.status for r in match.results] == ["matched", "exception"]
    assert match.results[1].reasons == ("qty_over_received",)
    assert match.total_variance == D("1.00")  # 50 x 0.02 on the first line


def test_fully_matched_invoice() -> None:
    other = MatchLine("PL-3", D(10), D(10), D(0), D("12.00"), D(10), D("12.10"))
    match = match_invoice([replace(PL1, invoice_price=D("4.05")), other], DEFAULT_TOLERANCE, "EUR")
    assert match.status == "matched"
    assert match.total_variance == D("5.00")  # 4.00 + 10 x 0.10


def test_invalid_inputs() -> None:
    with pytest.raises(RuleViolation) as exc:
        match_invoice([], DEFAULT_TOLERANCE, "EUR")
    assert exc.value.field == "lines"
    with pytest.raises(RuleViolation) as exc:
        match_line(replace(PL1, invoiced_qty=D(0)), DEFAULT_TOLERANCE, "EUR")
    assert exc.value.field == "invoiced_qty"
    with pytest.raises(RuleViolation) as exc:
        match_line(replace(PL1, po_price=D(-1)), DEFAULT_TOLERANCE, "EUR")
    assert exc.value.field == "po_price"


def test_over_receipt_allowance() -> None:
    # 100 ordered, 5 % over allowed = 105: 90 received + 15 = 105 ok, + 16 = 106 refused.
    assert over_receipt_allowed(D(100), D(90), D(15), D(5)) is True
    assert over_receipt_allowed(D(100), D(90), D(16), D(5)) is False
    assert over_receipt_allowed(D(100), D(100), D(1), D(0)) is False
