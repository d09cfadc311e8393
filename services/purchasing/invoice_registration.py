"""Supplier invoices as they arrive: the header and its lines once per supplier invoice number."""

from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.purchasing import InvoiceRecord, InvoiceRegistered
from rules.money import quantize
from services.core.errors import Conflict
from services.purchasing import invoice_store
from services.purchasing import store as po_store


def register(session: Session, rec: InvoiceRecord) -> InvoiceRegistered:
    """Insert the invoice once; the same supplier + number on another PO is a duplicate (409)."""
    po = po_store.head(session, rec.number)
    req = rec.request
    by_no = po_store.lines_by_no(session, po.id)
    net = (
        req.amount
        if req.kind == "landed_cost"
        else sum((quantize(ln.qty * ln.price, req.currency) for ln in req.lines), Decimal(0))
    )
    invoice_id = _insert_invoice(session, po, rec, net)
    if invoice_id is None:
        return InvoiceRegistered(
            invoice_id=_registered_on_this_po(session, po, rec), net=net
        )  # a retried activity
    for i, ln in enumerate(req.lines, start=1):
        po_line = by_no.get(ln.line_no) if ln.line_no is not None else None
        session.connection().execute(
            text(
                "INSERT INTO supplier_invoice_line (invoice_id, line_no, po_line_id, qty, price)"
                " VALUES (:inv, :n, :pl, :q, :p)"
            ),
            {
                "inv": invoice_id,
                "n": i,
                "pl": None if po_line is None else po_line.id,
                "q": ln.qty,
                "p": ln.price,
            },
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


def _insert_invoice(session: Session, po: po_store.PoHead, rec: InvoiceRecord, net: Decimal) -> int | None:
    """The invoice header, or None when the supplier's invoice number is registered already."""
    req = rec.request
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
    return None if row is None else int(row[0])


def _registered_on_this_po(session: Session, po: po_store.PoHead, rec: InvoiceRecord) -> int:
    """The id of the invoice registered before for this PO; the same number on another PO is a Conflict."""
    found = invoice_store.by_number(session, po.supplier_id, rec.request.invoice_number)
    if found is None or found.po_id != po.id:
        raise Conflict(
            "invoice_number", f"supplier invoice {rec.request.invoice_number} is registered already"
        )
    return found.id
