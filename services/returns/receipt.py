"""Receipt intake: resolve each inspected part's location and supplier against the database (422 naming the field)."""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.returns import Disposition, ReceiptPart
from rules.errors import RuleViolation
from services.returns.sold import shipped_from
from services.returns.store import RmaHead, lines

# Where each disposition puts the goods: a location kind of the RMA's entity (scrap keeps nothing).
_KIND: dict[str, tuple[str, ...]] = {
    "restock": ("warehouse", "store"),
    "refurbish": ("refurbish",),
    "quarantine": ("quarantine",),
    "return_to_vendor": ("quarantine",),
}


@dataclass(frozen=True, slots=True)
class PartAsk:
    """What the warehouse sends for one inspected part."""

    line_no: int
    qty: Decimal
    disposition: Disposition
    serials: list[str]
    location_id: int | None
    supplier: str | None


def _location(session: Session, field: str, entity_id: int, kinds: tuple[str, ...], given: int | None) -> int:
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT id FROM location WHERE entity_id = :e AND kind = ANY(:k) AND NOT archived
               AND (CAST(:l AS int) IS NULL OR id = :l) ORDER BY id LIMIT 1
            """
            ),
            {"e": entity_id, "k": list(kinds), "l": given},
        )
        .first()
    )
    if row is None:
        wanted = " or ".join(kinds)
        raise RuleViolation(
            field,
            f"location {given} is not a {wanted} location of this entity"
            if given
            else f"the entity has no {wanted} location",
        )
    return int(row[0])


def supplier_of(session: Session, item_id: int, code: str | None) -> int | None:
    """The supplier named, else the one of the item's last PO receipt, else its current contract price."""
    if code:
        row = (
            session.connection().execute(text("SELECT id FROM supplier WHERE code = :c"), {"c": code}).first()
        )
        return int(row[0]) if row else None
    if session.connection().execute(text("SELECT to_regclass('goods_receipt_line')")).scalar() is not None:
        row = (
            session.connection()
            .execute(
                text(
                    """
                SELECT po.supplier_id FROM goods_receipt_line gl JOIN goods_receipt g ON g.id = gl.receipt_id
                  JOIN purchase_order_line pl ON pl.id = gl.po_line_id JOIN purchase_order po ON po.id = pl.po_id
                 WHERE pl.item_id = :i AND gl.qty > 0 ORDER BY g.received_on DESC, g.id DESC LIMIT 1
                """
                ),
                {"i": item_id},
            )
            .first()
        )
        if row:
            return int(row[0])
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT p.supplier_id FROM supplier_price p JOIN supplier s ON s.id = p.supplier_id
             WHERE p.item_id = :i AND NOT s.archived AND p.valid_from <= current_date
               AND (p.valid_to IS NULL OR p.valid_to >= current_date)
             ORDER BY p.valid_from DESC, p.id DESC LIMIT 1
            """
            ),
            {"i": item_id},
        )
        .first()
    )
    return int(row[0]) if row else None


def resolve_parts(session: Session, rma: RmaHead, asks: Sequence[PartAsk]) -> list[ReceiptPart]:
    """Each part with its location (and supplier for a return to vendor) resolved."""
    by_line = lines(session, rma.id)
    entity_id = rma.entity_id
    parts: list[ReceiptPart] = []
    for i, a in enumerate(asks):
        field = f"parts[{i}]"
        line = by_line.get(a.line_no)
        if line is None:
            raise RuleViolation(f"{field}.line_no", f"return {rma.rma_number} has no line {a.line_no}")
        location_id: int | None = None
        supplier_id: int | None = None
        if a.disposition != "scrap":
            given = a.location_id
            if a.disposition == "restock" and given is None:
                given = shipped_from(session, rma.order_id, line.order_line_no)
            location_id = _location(session, f"{field}.location_id", entity_id, _KIND[a.disposition], given)
        if a.disposition == "return_to_vendor":
            supplier_id = supplier_of(session, line.item_id, a.supplier)
            if supplier_id is None:
                raise RuleViolation(
                    f"{field}.supplier",
                    f"unknown supplier {a.supplier!r}"
                    if a.supplier
                    else f"no supplier is known for {line.sku}",
                )
        parts.append(
            ReceiptPart(
                line_no=a.line_no,
                qty=a.qty,
                disposition=a.disposition,
                serials=list(a.serials),
                location_id=location_id,
                supplier_id=supplier_id,
            )
        )
    return parts
