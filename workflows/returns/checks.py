"""Deterministic checks of a receipt against the RMA (run in update validators: no I/O)."""

from decimal import Decimal

from temporalio.exceptions import ApplicationError

from models.contracts.errors import INVALID
from models.contracts.returns import ReceiptRequest, ReturnInput
from workflows.inbox import refusal


def check_receipt(rma: ReturnInput, req: ReceiptRequest) -> ApplicationError | None:
    """The first problem of a receipt (unknown line, over-receipt, serials, missing location/supplier), or None."""
    lines = {line.line_no: line for line in rma.lines}
    if not req.parts:
        return refusal(INVALID, "parts: name at least one received part")
    per_line: dict[int, Decimal] = {}
    serials_seen: set[tuple[int, str]] = set()
    for i, part in enumerate(req.parts):
        field = f"parts[{i}]"
        line = lines.get(part.line_no)
        if line is None:
            return refusal(INVALID, f"{field}.line_no: the return has no line {part.line_no}")
        if part.qty <= 0:
            return refusal(INVALID, f"{field}.qty: must be positive, got {part.qty}")
        per_line[part.line_no] = per_line.get(part.line_no, Decimal(0)) + part.qty
        if per_line[part.line_no] > line.qty:
            return refusal(INVALID, f"{field}.qty: line {part.line_no} authorised {line.qty} units, not more")
        if line.serials:
            if Decimal(len(part.serials)) != part.qty:
                return refusal(INVALID, f"{field}.serials: give one serial number per unit received")
            for sn in part.serials:
                if sn not in line.serials or (part.line_no, sn) in serials_seen:
                    return refusal(
                        INVALID, f"{field}.serials: {sn!r} is not an authorised unit of this return"
                    )
                serials_seen.add((part.line_no, sn))
        elif part.serials:
            return refusal(INVALID, f"{field}.serials: {line.sku} is not serial-tracked")
        if part.disposition != "scrap" and part.location_id is None:
            return refusal(INVALID, f"{field}.location_id: a {part.disposition} part needs a location")
        if part.disposition == "return_to_vendor" and part.supplier_id is None:
            return refusal(INVALID, f"{field}.supplier_id: a return to vendor needs the supplier")
    return None
