"""Sales orders: intake from channels, payment, cancellation, warehouse events, and the order view."""

import asyncio
import hashlib
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import JSONResponse
from sqlmodel import Session
from temporalio.client import Client

from api import workflow_calls
from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity, require
from api.errors import responses
from api.intake_gate import gate as intake_gate
from api.schemas.base import PathKey, exact_json, many
from api.schemas.sales import (
    OrderAnswer,
    OrderBody,
    OrderCancelBody,
    OrderDetail,
    OrderListItem,
    PaymentBody,
    WarehouseEventBody,
)
from models.contracts.sales import CancelRequest, OrderInput, OrderStatus, PaymentReceived, WarehouseEvent
from services.core.auth import Principal
from services.sales.intake import Caller, OrderAsk, price_order
from services.sales.views import OrderSummary, list_orders, order_detail, order_header, shipments
from workflows.sales.order import OrderWorkflow

router = APIRouter(prefix="/orders", tags=["orders"], responses=responses(401))
_ORDERS = workflow_calls.DocumentUpdates("order")


INTAKE_ROLES = ("sales_ops",)
sales_ops = Depends(require(*INTAKE_ROLES))
warehouse = Depends(require("warehouse"))
# Selling below an item's price floor is a margin decision: controllers (and admins) only.
FLOOR_OVERRIDE_ROLES = ("controller",)


def _visible(session: SessionDep, who: Principal, number: str) -> OrderSummary:
    header = order_header(session, number)
    if header is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"order {number} not found")
    check_entity(who, header.entity_id)
    return header


@router.post(
    "",
    summary="Take an order from a channel (web, marketplace, POS); the same order twice starts once",
    status_code=201,
    response_model=OrderAnswer,
    responses={
        **responses(403, 404, 409, 422, 503, accepted=True),
        200: {
            "model": OrderAnswer,
            "description": "The same order came before: its state, nothing new started",
        },
    },
)
async def create_order(
    body: OrderBody, session: SessionDep, who: Annotated[Principal, sales_ops], client: TemporalDep
) -> JSONResponse:
    """Price the order from the channel's price list (promotions, tax, floor), start its workflow and wait briefly for
    intake (reservation, payment); the same channel + external id twice starts once. 202 names the order while
    intake is still at work."""
    ask = OrderAsk(
        channel=body.channel,
        external_id=body.external_id,
        customer=body.customer,
        ship_to_region=body.ship_to_region,
        currency=body.currency,
        payment_method=body.payment_method,
        lines=body.lines,
        payment_reference=body.payment_reference,
    )
    caller = Caller(
        username=who.username,
        entity_ids=who.entity_ids,
        may_override_floor=who.has_role(*FLOOR_OVERRIDE_ROLES),
    )
    # Off the event loop: in a flash sale one request's queries must not hold up every other request.
    order, existing = await asyncio.to_thread(_priced, session, ask, caller)
    session.close()  # do not hold a connection while the workflow runs
    if existing is not None and existing.status in ("closed", "cancelled"):
        return JSONResponse(
            exact_json(
                {
                    "order_number": order.order_number,
                    "workflow_id": existing.workflow_id,
                    "created": False,
                    "stage": existing.status,
                }
            ),
            status_code=200,
        )
    return await _start(client, order, who)


def _priced(session: Session, ask: OrderAsk, caller: Caller) -> tuple[OrderInput, OrderSummary | None]:
    """The priced order and, when the same order came before, its header."""
    order = price_order(session, ask, caller, date.today())
    return order, order_header(session, order.order_number)


async def _start(client: Client, order: Any, who: Principal) -> JSONResponse:
    """Start the order's workflow as a command, then wait (bounded) for its intake to answer; when this
    process already has its share of intakes waiting, store the order and answer 202 at once instead."""
    with intake_gate.slot() as may_wait:
        return await _start_and_wait(client, order, who, may_wait)


async def _start_and_wait(client: Client, order: Any, who: Principal, may_wait: bool) -> JSONResponse:
    workflow_id = f"Order-{order.order_number}"
    row, fresh = await workflow_calls.submit(
        "start",
        client,
        OrderWorkflow.run,
        order,
        workflow_id=workflow_id,
        update_id=None,
        subject="order",
        username=who.username,
        entity_id=order.entity_id,
        default_field="order",
        deliver_now=may_wait,
    )
    named = {"order_number": order.order_number, "workflow_id": workflow_id}
    if row.status == "pending":
        # Stored: the relay starts it (queued by a saturated API, or this start's answer was lost). The
        # answer still names the order.
        return workflow_calls.pending_answer(row, {**named, "stage": "received"})
    if row.status == "rejected":
        return workflow_calls.outcome_answer(row)
    created = fresh and isinstance(row.result, dict) and bool(row.result.get("started"))
    answer = await workflow_calls.read_update(
        client.get_workflow_handle(workflow_id),
        OrderWorkflow.sync,
        subject="order",
        default_field="order",
        ended=OrderWorkflow.status,
    )
    if answer is None:
        # Started durably; intake is still at work (a busy system). Follow the order by its number.
        url = f"/orders/{order.order_number}"
        body = {**named, "created": created, "status": "pending", "stage": "received", "order_url": url}
        return JSONResponse(body, status_code=202, headers={"Location": url})
    if answer.status_code != 200:
        return answer
    body = {
        **named,
        "created": created,
        **OrderStatus.model_validate_json(bytes(answer.body)).model_dump(mode="json"),
    }
    return JSONResponse(body, status_code=201 if created else 200)


@router.get(
    "",
    summary="Orders of my entities, newest first",
    response_model=many(OrderListItem),
    responses=responses(422),
)
def get_orders(
    session: SessionDep,
    who: PrincipalDep,
    status_: str | None = Query(None, alias="status"),
    channel: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """Order headers of your entities, newest first, filtered by status or channel, paged."""
    rows = list_orders(session, sorted(who.entity_ids), status_, channel, limit, offset)
    return exact_json(rows)  # type: ignore[no-any-return]


@router.get(
    "/{number}",
    summary="One order: lines, allocations, shipments, payments, postings, tasks",
    response_model=OrderDetail,
    responses=responses(404, 422),
)
def get_order(number: PathKey, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """One order: lines, allocations, shipments, payments, postings and tasks."""
    header = _visible(session, who, number)
    return exact_json(order_detail(session, header))  # type: ignore[no-any-return]


@router.post(
    "/{number}/cancel",
    summary="Cancel before shipment (after shipment: use returns)",
    response_model=OrderStatus,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def cancel_order(
    number: PathKey,
    body: OrderCancelBody,
    session: SessionDep,
    who: Annotated[Principal, sales_ops],
    client: TemporalDep,
) -> JSONResponse:
    """Cancel an order that has not shipped: reservations released, payment voided or refunded by the workflow."""
    header = _visible(session, who, number)
    shipped = shipments(session, header.id)
    session.close()
    if shipped:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"order {number} has shipped; cancel it through a return: POST /returns"
        )
    req = CancelRequest(actor=who.username, reason=body.reason)
    return await _ORDERS.send(client, header, who, OrderWorkflow.cancel, req, f"cancel-{number}", "order")


@router.post(
    "/{number}/payment",
    summary="Record a payment for an order waiting for one",
    response_model=OrderStatus,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def pay_order(
    number: PathKey,
    body: PaymentBody,
    session: SessionDep,
    who: Annotated[Principal, sales_ops],
    client: TemporalDep,
) -> JSONResponse:
    """A payment for an order waiting for one (e.g. transfer); the workflow captures it and goes on."""
    header = _visible(session, who, number)
    session.close()
    payment = PaymentReceived(method=body.method, amount=body.amount, reference=body.reference)
    # A new payment after a declined one is a new update (the body is in the id); a resend is the same one.
    fingerprint = hashlib.sha256(body.model_dump_json().encode()).hexdigest()[:16]
    return await _ORDERS.send(
        client, header, who, OrderWorkflow.pay, payment, f"pay-{number}-{fingerprint}", "amount"
    )


@router.post(
    "/{number}/warehouse-events",
    summary="Picked, packed, shipped (carrier, tracking), short pick, damaged",
    response_model=OrderStatus,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def warehouse_event(
    number: PathKey,
    body: WarehouseEventBody,
    session: SessionDep,
    who: Annotated[Principal, warehouse],
    client: TemporalDep,
) -> JSONResponse:
    """What the warehouse did: picked, packed, shipped (carrier, tracking: revenue and cost post), short pick,
    damaged; the same event twice counts once."""
    header = _visible(session, who, number)
    session.close()
    event = WarehouseEvent(**body.model_dump())
    # Without the warehouse's event id, the event's content is its identity: the same report twice is one.
    identity = body.event_id or hashlib.sha256(body.model_dump_json().encode()).hexdigest()[:24]
    return await _ORDERS.send(
        client, header, who, OrderWorkflow.warehouse_event, event, f"wh-{number}-{identity}", body.kind
    )
