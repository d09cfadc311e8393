"""Supplier invoices: registration, three-way match, exception resolution, landed cost and payment."""

import json
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.purchasing import (
    InvoiceRecord,
    InvoiceRegistered,
    LandedCostRecord,
    MatchOutcome,
    MatchRequest,
    OutboxRecord,
    PaymentRequest,
    ResolveMatch,
)
from rules.accounts import AccountRole
from rules.matching import DEFAULT_TOLERANCE, MatchLine, MatchResult, MatchTolerance, match_invoice
from rules.money import allocate, quantize
from rules.payment_terms import due_date
from rules.posting_rules import (
    DraftLine,
    PostingDraft,
    balanced,
    invoice_matched,
    landed_cost_invoice,
    supplier_payment,
)
from services import ledger, open_items, po_store
from services.errors import Conflict, NotFound
from services.events import emit
from services.stock_revaluation import RevalueIn, revalue

SOURCE = "purchase_order"


def _post(
    session: Session, po: po_store.PoHead, draft: PostingDraft, key: str, on: date, currency: str, memo: str
) -> int:
    """Post a drafted entry once per key, supplier-tagged; PO-currency entries use the PO's rate."""
    fx_rate = po.fx_rate if currency == po.currency else None
    lines = [
        ledger.LineIn(d.role, d.amount, d.memo, partner_type="supplier", partner_id=str(po.supplier_id))
        for d in draft.lines
    ]
    return ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=po.entity_id,
            idempotency_key=key,
            posting_date=on,
            source_type=SOURCE,
            source_id=po.number,
            currency=currency,
            lines=lines,
            memo=memo,
            fx_rate=fx_rate,
        ),
    ).entry_id


def _invoice(session: Session, invoice_id: int) -> dict[str, Any]:
    row = (
        session.connection()
        .execute(
            text(
                "SELECT id, invoice_number, invoice_date, currency, net, tax, status, kind, allocation_basis"
                " FROM supplier_invoice WHERE id = :i FOR UPDATE"
            ),
            {"i": invoice_id},
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound("invoice_id", f"invoice {invoice_id} does not exist")
    return dict(row)


def register(session: Session, rec: InvoiceRecord) -> InvoiceRegistered:
    """Insert the invoice once; the same supplier + number on another PO is a duplicate (409)."""
    po = po_store.head(session, rec.number)
    req = rec.request
    by_no = {int(ln["line_no"]): ln for ln in po_store.lines(session, po.id)}
    net = (
        req.amount
        if req.kind == "landed_cost"
        else sum((quantize(ln.qty * ln.price, req.currency) for ln in req.lines), Decimal(0))
    )
    row = (
        session.connection()
        .execute(
            text(
                """
            INSERT INTO supplier_invoice (supplier_id, invoice_number, po_id, entity_id, kind, invoice_date, currency,
                   net, tax, status, allocation_basis, entered_by)
            VALUES (:s, :num, :po, :e, :k, :d, :c, :net, :tax, 'received', :basis, :by)
            ON CONFLICT (supplier_id, invoice_number) DO NOTHING RETURNING id
            """
            ),
            {
                "s": po.supplier_id,
                "num": req.invoice_number,
                "po": po.id,
                "e": po.entity_id,
                "k": req.kind,
                "d": req.invoice_date,
                "c": req.currency,
                "net": net,
                "tax": req.tax,
                "basis": req.basis if req.kind == "landed_cost" else None,
                "by": req.entered_by,
            },
        )
        .first()
    )
    if row is None:
        found = (
            session.connection()
            .execute(
                text("SELECT id, po_id FROM supplier_invoice WHERE supplier_id = :s AND invoice_number = :n"),
                {"s": po.supplier_id, "n": req.invoice_number},
            )
            .one()
        )
        if int(found[1]) != po.id:
            raise Conflict("invoice_number", f"supplier invoice {req.invoice_number} is registered already")
        return InvoiceRegistered(invoice_id=int(found[0]), net=net)  # a retried activity
    invoice_id = int(row[0])
    for i, ln in enumerate(req.lines, start=1):
        po_line = by_no.get(ln.line_no) if ln.line_no is not None else None
        session.connection().execute(
            text(
                "INSERT INTO supplier_invoice_line (invoice_id, line_no, po_line_id, qty, price)"
                " VALUES (:inv, :n, :pl, :q, :p)"
            ),
            {"inv": invoice_id, "n": i, "pl": po_line["id"] if po_line else None, "q": ln.qty, "p": ln.price},
        )
    po_store.audit(
        session,
        po,
        f"po:{po.number}:invoice:{invoice_id}:received",
        "invoice.received",
        req.entered_by,
        {"invoice_number": req.invoice_number, "net": str(net), "kind": req.kind},
    )
    return InvoiceRegistered(invoice_id=invoice_id, net=net)


def tolerance_for(session: Session, entity_id: int, supplier_id: int, category: str) -> MatchTolerance:
    """Supplier+category beats supplier beats category beats the default; the entity's row beats a generic one."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT qty_pct, price_pct, price_abs FROM match_tolerance
             WHERE (supplier_id = :s OR supplier_id IS NULL) AND (category = :c OR category IS NULL)
               AND (entity_id = :e OR entity_id IS NULL)
             ORDER BY (supplier_id IS NOT NULL) DESC, (category IS NOT NULL) DESC, (entity_id IS NOT NULL) DESC
             LIMIT 1
            """
            ),
            {"s": supplier_id, "c": category, "e": entity_id},
        )
        .first()
    )
    return MatchTolerance(Decimal(row[0]), Decimal(row[1]), Decimal(row[2])) if row else DEFAULT_TOLERANCE


def _match_lines(session: Session, invoice_id: int) -> list[dict[str, Any]]:
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT il.id AS invoice_line_id, il.qty AS invoiced_qty, il.price AS invoice_price, pl.id AS po_line_id,
                   pl.line_no, pl.qty AS ordered_qty, pl.received_qty, pl.invoiced_qty AS previously_invoiced,
                   pl.price AS po_price, i.category
              FROM supplier_invoice_line il
              LEFT JOIN purchase_order_line pl ON pl.id = il.po_line_id
              LEFT JOIN item i ON i.id = pl.item_id
             WHERE il.invoice_id = :inv ORDER BY il.line_no
            """
            ),
            {"inv": invoice_id},
        )
        .mappings()
        .all()
    )
    return [dict(r) for r in rows]


def _run_match(
    session: Session, po: po_store.PoHead, rows: list[dict[str, Any]], currency: str
) -> list[MatchResult]:
    """Match lines grouped by their tolerance, so lines of one PO line share cumulative quantities."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    tolerances: dict[tuple[str, str, str], MatchTolerance] = {}
    for idx, r in enumerate(rows):
        tol = tolerance_for(session, po.entity_id, po.supplier_id, r["category"] or "")
        key = (str(tol.qty_pct), str(tol.price_pct), str(tol.price_abs))
        tolerances[key] = tol
        groups.setdefault(key, []).append(idx)
    results: list[MatchResult | None] = [None] * len(rows)
    for key, idxs in groups.items():
        lines = [
            MatchLine(
                po_line_id=None if rows[i]["po_line_id"] is None else str(rows[i]["po_line_id"]),
                ordered_qty=Decimal(rows[i]["ordered_qty"] or 0),
                received_qty=Decimal(rows[i]["received_qty"] or 0),
                previously_invoiced_qty=Decimal(rows[i]["previously_invoiced"] or 0),
                po_price=Decimal(rows[i]["po_price"] or 0),
                invoiced_qty=Decimal(rows[i]["invoiced_qty"]),
                invoice_price=Decimal(rows[i]["invoice_price"]),
            )
            for i in idxs
        ]
        outcome = match_invoice(lines, tolerances[key], currency)
        for i, res in zip(idxs, outcome.results, strict=True):
            results[i] = res
    return [r for r in results if r is not None]


def match(session: Session, req: MatchRequest) -> MatchOutcome:
    """Three-way match; within tolerance post GRNI/variance/AP and approve for payment."""
    po = po_store.head(session, req.number, lock=True)
    inv = _invoice(session, req.invoice_id)
    rows = _match_lines(session, req.invoice_id)
    results = _run_match(session, po, rows, inv["currency"])
    for r, res in zip(rows, results, strict=True):
        session.connection().execute(
            text(
                """
                INSERT INTO invoice_match (invoice_id, invoice_line_id, attempt, status, reasons, grni_value,
                                           invoice_value, price_variance)
                VALUES (:inv, :il, :a, :s, CAST(:r AS jsonb), :g, :iv, :pv)
                ON CONFLICT (invoice_line_id, attempt) DO NOTHING
                """
            ),
            {
                "inv": req.invoice_id,
                "il": r["invoice_line_id"],
                "a": req.attempt,
                "s": res.status,
                "r": json.dumps(list(res.reasons)),
                "g": res.grni_value,
                "iv": res.invoice_value,
                "pv": res.price_variance,
            },
        )
    # The verdict as first stored: a retry after a committed match would otherwise re-match against
    # quantities that attempt already counted as invoiced, and report a false exception.
    results = _latest(session, req.invoice_id)
    reasons = sorted({reason for res in results for reason in res.reasons})
    due = due_date(inv["invoice_date"], po.payment_terms)
    if reasons:
        if inv["status"] in ("received", "waiting"):
            _set_status(session, req.invoice_id, "exception", None)
        _emit_exception(session, po, inv, reasons)
        return MatchOutcome(
            invoice_id=req.invoice_id,
            status="exception",
            reasons=reasons,
            invoiced=_invoiced(rows),
            net=Decimal(inv["net"]),
            due_date=due,
        )
    entry = _approve(session, po, inv, rows, results, req.posting_date, "matched")
    _emit_matched(session, po, inv)
    return MatchOutcome(
        invoice_id=req.invoice_id,
        status="matched",
        reasons=[],
        invoiced=_invoiced(rows),
        net=Decimal(inv["net"]),
        due_date=due,
        journal_entry_id=entry,
    )


def _emit_matched(session: Session, po: po_store.PoHead, inv: dict[str, Any]) -> None:
    """Report the invoice approved for payment with its liability posted (once per invoice)."""
    emit(
        session,
        event_type="supplier_invoice.matched",
        key=f"invoice:{inv['id']}:matched",
        entity_id=po.entity_id,
        document_type="supplier_invoice",
        # The row id: invoice numbers are only unique per supplier.
        document_id=str(inv["id"]),
        data={
            "invoice_number": str(inv["invoice_number"]),
            "po_number": po.number,
            "supplier_id": po.supplier_id,
            "currency": str(inv["currency"]),
            "net": str(inv["net"]),
            "tax": str(inv["tax"]),
        },
    )


def _emit_exception(session: Session, po: po_store.PoHead, inv: dict[str, Any], reasons: list[str]) -> None:
    """Report a failed match (once per invoice: a re-match after waiting for goods is the same case)."""
    emit(
        session,
        event_type="supplier_invoice.exception",
        key=f"invoice:{inv['id']}:exception",
        entity_id=po.entity_id,
        document_type="supplier_invoice",
        document_id=str(inv["id"]),
        data={
            "invoice_number": str(inv["invoice_number"]),
            "po_number": po.number,
            "supplier_id": po.supplier_id,
            "reasons": reasons,
        },
    )


def _invoiced(rows: list[dict[str, Any]]) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for r in rows:
        if r["line_no"] is not None:
            out[int(r["line_no"])] = out.get(int(r["line_no"]), Decimal(0)) + Decimal(r["invoiced_qty"])
    return out


def _set_status(session: Session, invoice_id: int, status: str, due: date | None) -> None:
    session.connection().execute(
        text("UPDATE supplier_invoice SET status = :s, due_date = COALESCE(:d, due_date) WHERE id = :i"),
        {"s": status, "d": due, "i": invoice_id},
    )


def _approve(
    session: Session,
    po: po_store.PoHead,
    inv: dict[str, Any],
    rows: list[dict[str, Any]],
    results: list[MatchResult],
    on: date,
    status: str,
) -> int:
    """Post the matched (or accepted) invoice once and count its quantities as invoiced."""
    currency = inv["currency"]
    grni = sum((res.grni_value for res in results), Decimal(0))
    net = Decimal(inv["net"])
    draft = invoice_matched(grni, net, Decimal(inv["tax"]), currency)
    entry = _post(
        session,
        po,
        draft,
        f"po:{po.number}:invoice:{inv['id']}:gl",
        on,
        currency,
        f"supplier invoice {inv['invoice_number']}",
    )
    due = due_date(inv["invoice_date"], po.payment_terms)
    open_items.record(session, entry, "invoice", str(inv["invoice_number"]), due_date=due)
    if inv["status"] not in ("matched", "accepted", "paid"):
        for r in rows:
            if r["po_line_id"] is not None:
                session.connection().execute(
                    text("UPDATE purchase_order_line SET invoiced_qty = invoiced_qty + :q WHERE id = :id"),
                    {"q": r["invoiced_qty"], "id": r["po_line_id"]},
                )
        _set_status(session, int(inv["id"]), status, due)
    return entry


def _latest(session: Session, invoice_id: int) -> list[MatchResult]:
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT invoice_line_id, status, reasons, grni_value, invoice_value, price_variance FROM invoice_match
             WHERE invoice_id = :i AND attempt = (SELECT max(attempt) FROM invoice_match WHERE invoice_id = :i)
             ORDER BY invoice_line_id
            """
            ),
            {"i": invoice_id},
        )
        .all()
    )
    return [
        MatchResult(str(r[0]), r[1], tuple(r[2]), Decimal(r[3]), Decimal(r[4]), Decimal(r[5])) for r in rows
    ]


def resolve(session: Session, req: ResolveMatch) -> MatchOutcome:
    """Accept (post and pay), reject (debit note to the supplier) or wait for the missing receipt."""
    po = po_store.head(session, req.number, lock=True)
    inv = _invoice(session, req.invoice_id)
    rows = _match_lines(session, req.invoice_id)
    session.connection().execute(
        text("UPDATE invoice_match SET resolution = :r WHERE invoice_id = :i AND resolution IS NULL"),
        {"r": req.resolution, "i": req.invoice_id},
    )
    due = due_date(inv["invoice_date"], po.payment_terms)
    entry: int | None = None
    if req.resolution == "accept":
        entry = _approve(
            session, po, inv, rows, _latest(session, req.invoice_id), req.posting_date, "accepted"
        )
        # Accepted despite the mismatch: for AP it is now payable like a matched one.
        _emit_matched(session, po, inv)
    elif req.resolution == "reject":
        _set_status(session, req.invoice_id, "rejected", None)
        # Nothing was posted for an unmatched invoice, so the debit note is a document, not a reversal.
        po_store.outbox(session, _debit_note(po, inv))
    else:
        _set_status(session, req.invoice_id, "waiting", None)
    po_store.audit(
        session,
        po,
        f"po:{po.number}:invoice:{req.invoice_id}:{req.resolution}",
        f"invoice.{req.resolution}",
        req.actor,
        {"invoice_number": inv["invoice_number"]},
    )
    status = "matched" if req.resolution == "accept" else "exception"
    return MatchOutcome(
        invoice_id=req.invoice_id,
        status=status,
        reasons=[],
        invoiced=_invoiced(rows),
        net=Decimal(inv["net"]),
        due_date=due,
        journal_entry_id=entry,
    )


def _debit_note(po: po_store.PoHead, inv: dict[str, Any]) -> OutboxRecord:
    """The debit note sent to the supplier for a rejected invoice."""
    return OutboxRecord(
        number=po.number,
        key=f"po:{po.number}:invoice:{inv['id']}:debit_note",
        kind="supplier_invoice.debit_note",
        payload={
            "invoice_number": str(inv["invoice_number"]),
            "net": str(inv["net"]),
            "currency": str(inv["currency"]),
        },
    )


def landed_cost(session: Session, req: LandedCostRecord) -> MatchOutcome:
    """Allocate a freight/duty invoice to receipt lines; true up the accrual to inventory or COGS."""
    po = po_store.head(session, req.number, lock=True)
    inv = _invoice(session, req.invoice_id)
    currency = inv["currency"]
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
            {"po": po.id},
        )
        .mappings()
        .all()
    )
    if not rows:
        raise Conflict("invoice", "a landed-cost invoice needs at least one goods receipt on the PO")
    basis = inv["allocation_basis"] or "value"
    weights = [
        Decimal(r["qty"])
        if basis == "qty"
        else Decimal(r["po_value"])
        if basis == "value"
        else Decimal(r["qty"]) * Decimal(r["weight_kg"])
        for r in rows
    ]
    shares = allocate(Decimal(inv["net"]), weights, currency)
    totals: dict[AccountRole, Decimal] = {}
    for r, actual in zip(rows, shares, strict=True):
        # A second freight invoice for the same goods has no accrual left to clear.
        accrued = Decimal(r["landed_estimate"]) if r["landed_actual"] is None else Decimal(0)
        on_hand_share = min(Decimal(1), Decimal(r["on_hand"]) / Decimal(r["qty"]))
        for d in landed_cost_invoice(accrued, actual, on_hand_share, currency).lines:
            role = d.role
            if role == AccountRole.INVENTORY:
                # The stock still held is revalued through the stock ledger (Dr inventory, Cr accrual),
                # so stock value and the inventory account move together; here the accrual takes its place.
                revalue(
                    session,
                    RevalueIn(
                        item_id=int(r["item_id"]),
                        location_id=int(r["location_id"]),
                        value=d.amount,
                        reason="landed cost true-up",
                        source_type="purchase_order",
                        source_id=po.number,
                        idempotency_key=f"po:{po.number}:invoice:{inv['id']}:line:{r['id']}:revalue",
                        posting_date=req.posting_date,
                    ),
                )
                role = AccountRole.LANDED_COST_ACCRUAL
            totals[role] = totals.get(role, Decimal(0)) + d.amount
        session.connection().execute(
            text(
                "UPDATE goods_receipt_line SET landed_actual = COALESCE(landed_actual, 0) + :a WHERE id = :id"
            ),
            {"a": actual, "id": r["id"]},
        )
    if Decimal(inv["tax"]):
        totals[AccountRole.INPUT_TAX] = Decimal(inv["tax"])
        totals[AccountRole.AP] = totals.get(AccountRole.AP, Decimal(0)) - Decimal(inv["tax"])
    draft = balanced(
        DraftLine(role, amount, f"landed cost ({basis})") for role, amount in sorted(totals.items())
    )
    entry = _post(
        session,
        po,
        draft,
        f"po:{po.number}:invoice:{inv['id']}:gl",
        req.posting_date,
        currency,
        f"landed cost invoice {inv['invoice_number']}",
    )
    due = due_date(inv["invoice_date"], po.payment_terms)
    open_items.record(session, entry, "landed_cost", str(inv["invoice_number"]), due_date=due)
    if inv["status"] == "received":
        _set_status(session, req.invoice_id, "matched", due)
    return MatchOutcome(
        invoice_id=req.invoice_id,
        status="matched",
        reasons=[],
        invoiced={},
        net=Decimal(inv["net"]),
        due_date=due,
        journal_entry_id=entry,
    )


def pay(session: Session, req: PaymentRequest) -> int:
    """Pay an approved invoice in full: AP -> bank, once per invoice."""
    po = po_store.head(session, req.number, lock=True)
    inv = _invoice(session, req.invoice_id)
    by_run = (
        session.connection()
        .execute(
            text(
                "SELECT payment_entry_id FROM payment_run_item WHERE invoice_id = :i AND status <> 'proposed'"
            ),
            {"i": req.invoice_id},
        )
        .scalar()
    )
    if by_run is not None:
        return int(by_run)  # a payment run paid it first: the PO's own payment stands down
    amount = Decimal(inv["net"]) + Decimal(inv["tax"])
    entry = _post(
        session,
        po,
        supplier_payment(amount, inv["currency"]),
        f"po:{po.number}:invoice:{inv['id']}:payment",
        req.paid_on,
        inv["currency"],
        f"payment of supplier invoice {inv['invoice_number']}",
    )
    open_items.record(
        session, entry, "payment", f"payment:{inv['invoice_number']}", against=str(inv["invoice_number"])
    )
    session.connection().execute(
        text("UPDATE supplier_invoice SET status = 'paid', paid_on = :d WHERE id = :i"),
        {"d": req.paid_on, "i": req.invoice_id},
    )
    po_store.audit(
        session,
        po,
        f"po:{po.number}:invoice:{inv['id']}:paid",
        "invoice.paid",
        "system",
        {"amount": str(amount), "journal_entry_id": entry},
    )
    return entry
