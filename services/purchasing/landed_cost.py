"""Landed-cost invoices (freight, duty): the actual cost spread over the PO's receipt lines, the accrual
trued up to inventory (stock still held) or COGS."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.purchasing import LandedCostRecord, MatchOutcome
from rules.accounts import AccountRole
from rules.money import allocate
from rules.payment_terms import due_date
from rules.posting_rules import DraftLine, balanced, landed_cost_invoice
from services.core import open_items
from services.core.errors import Conflict
from services.core.stock_revaluation import RevalueIn, revalue
from services.purchasing import invoice_store
from services.purchasing import store as po_store
from services.purchasing.invoice_posting import post_entry
from services.purchasing.invoice_store import InvoiceHead


@dataclass(frozen=True, slots=True)
class _ReceivedLine:
    """A goods receipt line a landed-cost invoice is spread over, with the stock still held of its item."""

    id: int
    qty: Decimal
    po_value: Decimal
    landed_estimate: Decimal
    landed_actual: Decimal | None
    weight_kg: Decimal
    on_hand: Decimal
    item_id: int
    location_id: int


def allocate_invoice(session: Session, req: LandedCostRecord) -> MatchOutcome:
    """Allocate a freight/duty invoice to receipt lines; true up the accrual to inventory or COGS."""
    po = po_store.head(session, req.number, lock=True)
    inv = invoice_store.locked(session, req.invoice_id)
    currency = inv.currency
    rows = _received_lines(session, po.id)
    if not rows:
        raise Conflict("invoice", "a landed-cost invoice needs at least one goods receipt on the PO")
    basis = inv.allocation_basis or "value"
    shares = allocate(inv.net, _allocation_weights(rows, basis), currency)
    totals: dict[AccountRole, Decimal] = {}
    for r, actual in zip(rows, shares, strict=True):
        _true_up_line(session, req, po, inv, r, actual, totals)
    if inv.tax:
        totals[AccountRole.INPUT_TAX] = inv.tax
        totals[AccountRole.AP] = totals.get(AccountRole.AP, Decimal(0)) - inv.tax
    draft = balanced(
        DraftLine(role, amount, f"landed cost ({basis})") for role, amount in sorted(totals.items())
    )
    entry = post_entry(
        session,
        po,
        draft,
        f"po:{po.number}:invoice:{inv.id}:gl",
        req.posting_date,
        currency,
        f"landed cost invoice {inv.invoice_number}",
    )
    due = due_date(inv.invoice_date, po.payment_terms)
    open_items.record(session, entry, "landed_cost", inv.invoice_number, due_date=due)
    if inv.status == "received":
        invoice_store.set_status(session, req.invoice_id, "matched", due)
    return MatchOutcome(
        invoice_id=req.invoice_id,
        status="matched",
        reasons=[],
        invoiced={},
        net=inv.net,
        due_date=due,
        journal_entry_id=entry,
    )


def _received_lines(session: Session, po_id: int) -> list[_ReceivedLine]:
    """The PO's receipt lines with accepted units, in receipt order."""
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT g.id, g.qty, g.po_value, g.landed_estimate, g.landed_actual, i.weight_kg,
                   COALESCE(b.on_hand, 0) AS on_hand, pl.item_id, pl.location_id
              FROM goods_receipt_line g JOIN goods_receipt r ON r.id = g.receipt_id
              JOIN purchase_order_line pl ON pl.id = g.po_line_id JOIN item i ON i.id = pl.item_id
              LEFT JOIN stock_balance b ON b.item_id = pl.item_id AND b.location_id = pl.location_id
             WHERE r.po_id = :po AND g.qty > 0 ORDER BY g.id
            """
            ),
            {"po": po_id},
        )
        .all()
    )
    return [
        _ReceivedLine(
            id=int(r.id),
            qty=Decimal(r.qty),
            po_value=Decimal(r.po_value),
            landed_estimate=Decimal(r.landed_estimate),
            landed_actual=None if r.landed_actual is None else Decimal(r.landed_actual),
            weight_kg=Decimal(r.weight_kg),
            on_hand=Decimal(r.on_hand),
            item_id=int(r.item_id),
            location_id=int(r.location_id),
        )
        for r in rows
    ]


def _allocation_weights(rows: list[_ReceivedLine], basis: str) -> list[Decimal]:
    """Each receipt line's weight in the split: its quantity, its PO value or its weight in kg."""
    return [
        r.qty if basis == "qty" else r.po_value if basis == "value" else r.qty * r.weight_kg for r in rows
    ]


def _true_up_line(
    session: Session,
    req: LandedCostRecord,
    po: po_store.PoHead,
    inv: InvoiceHead,
    r: _ReceivedLine,
    actual: Decimal,
    totals: dict[AccountRole, Decimal],
) -> None:
    """Clear one line's accrual against its actual share: stock still held is revalued, the rest is COGS;
    the entry's amounts are added to `totals`."""
    currency = inv.currency
    # A second freight invoice for the same goods has no accrual left to clear.
    accrued = r.landed_estimate if r.landed_actual is None else Decimal(0)
    on_hand_share = min(Decimal(1), r.on_hand / r.qty)
    for d in landed_cost_invoice(accrued, actual, on_hand_share, currency).lines:
        role = d.role
        if role == AccountRole.INVENTORY:
            # The stock still held is revalued through the stock ledger (Dr inventory, Cr accrual),
            # so stock value and the inventory account move together; here the accrual takes its place.
            revalue(
                session,
                RevalueIn(
                    item_id=r.item_id,
                    location_id=r.location_id,
                    value=d.amount,
                    reason="landed cost true-up",
                    source_type="purchase_order",
                    source_id=po.number,
                    idempotency_key=f"po:{po.number}:invoice:{inv.id}:line:{r.id}:revalue",
                    posting_date=req.posting_date,
                ),
            )
            role = AccountRole.LANDED_COST_ACCRUAL
        totals[role] = totals.get(role, Decimal(0)) + d.amount
    session.connection().execute(
        text("UPDATE goods_receipt_line SET landed_actual = COALESCE(landed_actual, 0) + :a WHERE id = :id"),
        {"a": actual, "id": r.id},
    )
