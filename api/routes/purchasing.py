"""Procure-to-pay endpoints: create POs (start their workflow), send them receipts, confirmations,
cancellations and invoices (Temporal updates), and read them from PostgreSQL."""

import hashlib
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import JSONResponse
from sqlmodel import Session

from api import workflow_calls
from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity, require
from api.errors import responses
from api.schemas.base import PathKey, many
from api.schemas.purchasing import (
    ConfirmationBody,
    InvoiceBody,
    PoCancelBody,
    PoCreate,
    PoCreated,
    PoDetail,
    PoListItem,
    PoReceiptBody,
    PoState,
)
from models.contracts.purchasing import (
    CancelRequest,
    ConfirmationRequest,
    InvoiceLineIn,
    InvoiceRequest,
    MatchOutcome,
    ReceiptLineIn,
    ReceiptRequest,
    ReceiptResult,
)
from services.core.auth import Principal
from services.core.document_dates import check_receipt_date
from services.purchasing import invoice_store
from services.purchasing import store as po_store
from services.purchasing.orders import Draft, DraftLine, build_input, next_number
from services.purchasing.reads import po_detail, po_list
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow

router = APIRouter(tags=["procure-to-pay"], responses=responses(401))
_POS = workflow_calls.DocumentUpdates("purchase order")
buyer = Depends(require("buyer"))
warehouse = Depends(require("warehouse"))
ap_clerk = Depends(require("ap_clerk"))


@router.post(
    "/purchase-orders",
    status_code=201,
    summary="Create a PO and start its workflow (approval first)",
    response_model=PoCreated,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def create_po(
    body: PoCreate, session: SessionDep, who: Annotated[Principal, buyer], client: TemporalDep
) -> JSONResponse:
    """Check the draft (supplier, prices, dates, budget), number it and start its workflow, which asks for
    approval by the entity's bands; the same request retried with its Idempotency-Key starts nothing new."""
    check_entity(who, body.entity_id)
    draft = Draft(
        entity_id=body.entity_id,
        supplier_id=body.supplier_id,
        requested_by=who.username,
        order_date=body.order_date or date.today(),
        currency=body.currency,
        expected_date=body.expected_date,
        landed_cost_pct=body.landed_cost_pct,
        lines=[DraftLine(line.item_id, line.location_id, line.qty, line.price) for line in body.lines],
    )
    build_input(session, draft, "0")  # validate first so a refused draft never spends a number
    po = build_input(session, draft, next_number(session))
    session.close()
    # The start is a stored command: once it is stored the PO exists for the client, whatever dies next.
    # The workflow's first activity persists the PO row.
    named = {
        "number": po.number,
        "workflow_id": po.workflow_id,
        "status": "submitted",
        "expected_date": po.expected_date.isoformat(),
        "currency": po.currency,
        # Over a category budget: the PO needs the review level as well (the reason, or null).
        "over_budget": po.policy.budget_over,
    }
    return await workflow_calls.start_document(
        client,
        who,
        PurchaseOrderWorkflow.run,
        po,
        workflow_id=po.workflow_id,
        entity_id=po.entity_id,
        subject="purchase order",
        named=named,
    )


@router.get(
    "/purchase-orders",
    summary="Purchase orders of my entities, newest first",
    response_model=many(PoListItem),
    responses=responses(422),
)
def list_pos(
    session: SessionDep,
    who: PrincipalDep,
    stage: str | None = None,
    supplier_id: int | None = None,
    entity_id: int | None = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """PO headers, filtered by stage, supplier or entity, paged; read from PostgreSQL."""
    return po_list(
        session,
        sorted(who.entity_ids),
        stage=stage,
        supplier_id=supplier_id,
        entity_id=entity_id,
        limit=limit,
        offset=offset,
    )


@router.get(
    "/purchase-orders/{number}",
    summary="A PO with lines, receipts, invoices, matches, postings, decisions",
    response_model=PoDetail,
    responses=responses(404, 422),
)
def get_po(number: PathKey, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """Everything about one PO: header, lines, receipts, invoices with matches, exceptions, postings, tasks,
    history and linked POs."""
    _visible_po(session, who, number, keep_open=True)
    detail = po_detail(session, number)
    if detail is None:  # found a moment ago, and POs are never deleted
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"purchase order {number} not found")
    return detail


def _visible_po(session: Session, who: Principal, number: str, *, keep_open: bool = False) -> po_store.PoHead:
    """The PO's header, or 404 when it does not exist or belongs to another entity."""
    po = po_store.find(session, number)
    if po is None or not who.sees(po.entity_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"purchase order {number} not found")
    if not keep_open:
        session.close()  # do not hold a connection while the workflow works
    return po


@router.post(
    "/purchase-orders/{number}/receipts",
    summary="Record a delivery (partial, lot/serial, rejected)",
    response_model=ReceiptResult,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def receive(
    number: PathKey,
    body: PoReceiptBody,
    session: SessionDep,
    who: Annotated[Principal, warehouse],
    client: TemporalDep,
) -> JSONResponse:
    """Send a delivery to the PO's workflow: stock and GRNI post per accepted line; the delivery note makes
    a retry replay its first answer."""
    received_on = body.received_on or date.today()
    # Visibility first (a 404 tells nothing about the PO), then the date against the PO and the periods.
    po = _visible_po(session, who, number, keep_open=True)
    check_receipt_date(session, number, received_on)
    session.close()
    req = ReceiptRequest(
        delivery_note=body.delivery_note,
        received_by=who.username,
        received_on=received_on,
        lines=[ReceiptLineIn(**line.model_dump()) for line in body.lines],
    )
    return await _POS.send(
        client, po, who, PurchaseOrderWorkflow.receive, req, f"receipt-{body.delivery_note}"
    )


@router.post(
    "/purchase-orders/{number}/confirmations",
    summary="The supplier's confirmed date and quantities",
    response_model=PoState,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def confirm(
    number: PathKey,
    body: ConfirmationBody,
    session: SessionDep,
    who: Annotated[Principal, buyer],
    client: TemporalDep,
) -> JSONResponse:
    """Record the supplier's confirmation; a later date than expected may open a delay task for the buyer."""
    po = _visible_po(session, who, number)
    req = ConfirmationRequest(
        confirmed_date=body.confirmed_date, reference=body.reference, lines=body.lines, actor=who.username
    )
    return await _POS.send(client, po, who, PurchaseOrderWorkflow.confirm, req, f"confirm-{body.reference}")


@router.post(
    "/purchase-orders/{number}/cancel",
    summary="Cancel the PO, or the unreceived remainder",
    response_model=PoState,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def cancel(
    number: PathKey,
    body: PoCancelBody,
    session: SessionDep,
    who: Annotated[Principal, buyer],
    client: TemporalDep,
) -> JSONResponse:
    """Cancel before receipt, or cancel what is not yet received; 409 when the PO is over."""
    po = _visible_po(session, who, number)
    # The same request retried replays its answer; a different one reaches the workflow (409 when it is over).
    digest = hashlib.sha256(f"{who.username}\n{body.reason}".encode()).hexdigest()[:16]
    return await _POS.send(
        client,
        po,
        who,
        PurchaseOrderWorkflow.cancel,
        CancelRequest(actor=who.username, reason=body.reason),
        f"cancel-{number}-{digest}",
    )


@router.post(
    "/supplier-invoices",
    summary="Register a supplier invoice against a PO (matched by its workflow)",
    response_model=MatchOutcome,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def submit_invoice(
    body: InvoiceBody, session: SessionDep, who: Annotated[Principal, ap_clerk], client: TemporalDep
) -> JSONResponse:
    """The PO's workflow matches the invoice three ways (PO, receipts, invoice) within the tolerances: matched
    invoices post and wait for their due date; exceptions open a task for AP."""
    found = po_store.find(session, body.po_number)
    if found is None or not who.sees(found.entity_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"purchase order {body.po_number} not found")
    refused = _invoice_refusal(session, body, found.supplier_id)
    if refused is not None:
        return refused
    po = found
    session.close()
    req = InvoiceRequest(
        invoice_number=body.invoice_number,
        invoice_date=body.invoice_date,
        currency=body.currency,
        kind=body.kind,
        lines=[InvoiceLineIn(**line.model_dump()) for line in body.lines],
        tax=body.tax,
        amount=body.amount,
        basis=body.basis,
        entered_by=who.username,
    )
    return await _POS.send(
        client,
        po,
        who,
        PurchaseOrderWorkflow.submit_invoice,
        req,
        f"invoice-{body.supplier_id}-{body.invoice_number}",
    )


def _invoice_refusal(session: Session, body: InvoiceBody, po_supplier_id: int) -> JSONResponse | None:
    """422 when the invoice's supplier is not the PO's, 409 when the supplier's invoice number is known."""
    if po_supplier_id != body.supplier_id:
        return JSONResponse(
            {
                "detail": [
                    {
                        "loc": ["body", "supplier_id"],
                        "type": "rule_violation",
                        "msg": f"PO {body.po_number} is from supplier {po_supplier_id}",
                    }
                ]
            },
            status_code=422,
        )
    if invoice_store.by_number(session, body.supplier_id, body.invoice_number) is not None:
        return JSONResponse(
            {
                "detail": [
                    {
                        "loc": ["body", "invoice_number"],
                        "type": "conflict",
                        "msg": f"supplier {body.supplier_id} invoice {body.invoice_number}"
                        " is registered already",
                    }
                ]
            },
            status_code=409,
        )
    return None
