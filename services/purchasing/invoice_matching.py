"""Three-way match of supplier invoices (PO, receipts, invoice) within tolerances, and AP's resolution of
the exceptions."""

import json
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.purchasing import MatchOutcome, MatchRequest, OutboxRecord, ResolveMatch
from rules.matching import DEFAULT_TOLERANCE, MatchLine, MatchResult, MatchTolerance, match_invoice
from rules.payment_terms import due_date
from services.core.events import emit
from services.purchasing import invoice_store, po_progress
from services.purchasing import store as po_store
from services.purchasing.invoice_posting import approve
from services.purchasing.invoice_store import BilledLine, InvoiceHead


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


def _match_line(r: BilledLine) -> MatchLine:
    """The match rule's view of a billed line (a line on no PO line has nothing ordered, received or priced)."""
    return MatchLine(
        po_line_id=None if r.po_line_id is None else str(r.po_line_id),
        ordered_qty=r.ordered_qty or Decimal(0),
        received_qty=r.received_qty or Decimal(0),
        previously_invoiced_qty=r.previously_invoiced or Decimal(0),
        po_price=r.po_price or Decimal(0),
        invoiced_qty=r.invoiced_qty,
        invoice_price=r.invoice_price,
    )


def _run_match(
    session: Session, po: po_store.PoHead, rows: list[BilledLine], currency: str
) -> list[MatchResult]:
    """Match lines grouped by their tolerance, so lines of one PO line share cumulative quantities."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    tolerances: dict[tuple[str, str, str], MatchTolerance] = {}
    for idx, r in enumerate(rows):
        tol = tolerance_for(session, po.entity_id, po.supplier_id, r.category or "")
        key = (str(tol.qty_pct), str(tol.price_pct), str(tol.price_abs))
        tolerances[key] = tol
        groups.setdefault(key, []).append(idx)
    results: list[MatchResult | None] = [None] * len(rows)
    for key, idxs in groups.items():
        lines = [_match_line(rows[i]) for i in idxs]
        outcome = match_invoice(lines, tolerances[key], currency)
        for i, res in zip(idxs, outcome.results, strict=True):
            results[i] = res
    return [r for r in results if r is not None]


# One row per invoice line and attempt; a retried attempt finds its rows and adds none.
_RECORD_VERDICT = """
    INSERT INTO invoice_match (invoice_id, invoice_line_id, attempt, status, reasons, grni_value,
                               invoice_value, price_variance)
    VALUES (:inv, :il, :a, :s, CAST(:r AS jsonb), :g, :iv, :pv)
    ON CONFLICT (invoice_line_id, attempt) DO NOTHING
"""


def _record_verdicts(
    session: Session, req: MatchRequest, rows: list[BilledLine], results: list[MatchResult]
) -> None:
    """Store this attempt's verdict of each invoice line."""
    for r, res in zip(rows, results, strict=True):
        session.connection().execute(
            text(_RECORD_VERDICT),
            {
                "inv": req.invoice_id,
                "il": r.invoice_line_id,
                "a": req.attempt,
                "s": res.status,
                "r": json.dumps(list(res.reasons)),
                "g": res.grni_value,
                "iv": res.invoice_value,
                "pv": res.price_variance,
            },
        )


def match(session: Session, req: MatchRequest) -> MatchOutcome:
    """Three-way match; within tolerance post GRNI/variance/AP and approve for payment."""
    po = po_store.head(session, req.number, lock=True)
    inv = invoice_store.locked(session, req.invoice_id)
    rows = invoice_store.billed_lines(session, req.invoice_id)
    _record_verdicts(session, req, rows, _run_match(session, po, rows, inv.currency))
    # The verdict as first stored: a retry after a committed match would otherwise re-match against
    # quantities that attempt already counted as invoiced, and report a false exception.
    results = invoice_store.latest_verdicts(session, req.invoice_id)
    reasons = sorted({reason for res in results for reason in res.reasons})
    due = due_date(inv.invoice_date, po.payment_terms)
    if reasons:
        if inv.status in ("received", "waiting"):
            invoice_store.set_status(session, req.invoice_id, "exception", None)
        _emit_exception(session, po, inv, reasons)
        return MatchOutcome(
            invoice_id=req.invoice_id,
            status="exception",
            reasons=reasons,
            invoiced=_invoiced(rows),
            net=inv.net,
            due_date=due,
        )
    entry = approve(session, po, inv, rows, results, req.posting_date, "matched")
    _emit_matched(session, po, inv)
    return MatchOutcome(
        invoice_id=req.invoice_id,
        status="matched",
        reasons=[],
        invoiced=_invoiced(rows),
        net=inv.net,
        due_date=due,
        journal_entry_id=entry,
    )


def _emit(
    session: Session, po: po_store.PoHead, inv: InvoiceHead, outcome: str, facts: dict[str, Any]
) -> None:
    """Report the invoice's match outcome once per invoice, keyed by its row id (numbers are unique per
    supplier only)."""
    emit(
        session,
        event_type=f"supplier_invoice.{outcome}",
        key=f"invoice:{inv.id}:{outcome}",
        entity_id=po.entity_id,
        document_type="supplier_invoice",
        document_id=str(inv.id),
        data={
            "invoice_number": inv.invoice_number,
            "po_number": po.number,
            "supplier_id": po.supplier_id,
            **facts,
        },
    )


def _emit_matched(session: Session, po: po_store.PoHead, inv: InvoiceHead) -> None:
    """Report the invoice approved for payment with its liability posted."""
    _emit(session, po, inv, "matched", {"currency": inv.currency, "net": str(inv.net), "tax": str(inv.tax)})


def _emit_exception(session: Session, po: po_store.PoHead, inv: InvoiceHead, reasons: list[str]) -> None:
    """Report a failed match (a re-match after waiting for goods is the same case: no second event)."""
    _emit(session, po, inv, "exception", {"reasons": reasons})


def _invoiced(rows: list[BilledLine]) -> dict[int, Decimal]:
    """The invoiced quantity per PO line number (lines on no PO line are left out)."""
    out: dict[int, Decimal] = {}
    for r in rows:
        if r.line_no is not None:
            out[r.line_no] = out.get(r.line_no, Decimal(0)) + r.invoiced_qty
    return out


def resolve(session: Session, req: ResolveMatch) -> MatchOutcome:
    """Accept (post and pay), reject (debit note to the supplier) or wait for the missing receipt."""
    po = po_store.head(session, req.number, lock=True)
    inv = invoice_store.locked(session, req.invoice_id)
    rows = invoice_store.billed_lines(session, req.invoice_id)
    session.connection().execute(
        text("UPDATE invoice_match SET resolution = :r WHERE invoice_id = :i AND resolution IS NULL"),
        {"r": req.resolution, "i": req.invoice_id},
    )
    due = due_date(inv.invoice_date, po.payment_terms)
    entry: int | None = None
    if req.resolution == "accept":
        verdicts = invoice_store.latest_verdicts(session, req.invoice_id)
        entry = approve(session, po, inv, rows, verdicts, req.posting_date, "accepted")
        # Accepted despite the mismatch: for AP it is now payable like a matched one.
        _emit_matched(session, po, inv)
    elif req.resolution == "reject":
        invoice_store.set_status(session, req.invoice_id, "rejected", None)
        # Nothing was posted for an unmatched invoice, so the debit note is a document, not a reversal.
        po_progress.outbox(session, _debit_note(po, inv))
    else:
        invoice_store.set_status(session, req.invoice_id, "waiting", None)
    po_store.audit(
        session,
        po,
        f"po:{po.number}:invoice:{req.invoice_id}:{req.resolution}",
        f"invoice.{req.resolution}",
        req.actor,
        {"invoice_number": inv.invoice_number},
    )
    status = "matched" if req.resolution == "accept" else "exception"
    return MatchOutcome(
        invoice_id=req.invoice_id,
        status=status,
        reasons=[],
        invoiced=_invoiced(rows),
        net=inv.net,
        due_date=due,
        journal_entry_id=entry,
    )


def _debit_note(po: po_store.PoHead, inv: InvoiceHead) -> OutboxRecord:
    """The debit note sent to the supplier for a rejected invoice."""
    return OutboxRecord(
        number=po.number,
        key=f"po:{po.number}:invoice:{inv.id}:debit_note",
        kind="supplier_invoice.debit_note",
        payload={
            "invoice_number": inv.invoice_number,
            "net": str(inv.net),
            "currency": inv.currency,
        },
    )
