"""Sales orders: intake from channels, payment, cancellation, warehouse events, and the order view."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from temporalio.client import (
    Client,
    WorkflowHandle,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api import workflow_calls
from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity, require
from api.schemas.base import PathKey
from api.schemas.sales import CancelBody, OrderBody, PaymentBody, WarehouseEventBody
from erp.settings import get_settings
from models.contracts.sales import CancelRequest, OrderStatus, PaymentReceived, WarehouseEvent
from services.auth import Principal
from services.order_intake import Caller, OrderAsk, price_order
from services.order_views import list_orders, order_detail, order_header
from workflows.sales.order import OrderWorkflow

router = APIRouter(prefix="/orders", tags=["orders"])


def _json(value: Any) -> Any:
    """JSON-ready data with Decimals as exact strings (never floats)."""
    return jsonable_encoder(value, custom_encoder={Decimal: str})


INTAKE_ROLES = ("sales_ops",)
sales_ops = Depends(require(*INTAKE_ROLES))
warehouse = Depends(require("warehouse"))
# Selling below an item's price floor is a margin decision: controllers (and admins) only.
FLOOR_OVERRIDE_ROLES = ("controller",)


def _visible(session: SessionDep, who: Principal, number: str) -> dict[str, Any]:
    header = order_header(session, number)
    if header is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"order {number} not found")
    check_entity(who, int(header["entity_id"]))
    return header


async def send_update(
    handle: WorkflowHandle[Any, Any], update: Any, arg: Any | None, update_id: str | None, what: str
) -> JSONResponse:
    """Send an update to the order's workflow (shared mapping of refusals, timeouts and outages)."""
    return await workflow_calls.send_update(
        handle, update, arg, update_id=update_id, subject="order", default_field=what
    )


@router.post(
    "",
    summary="Take an order from a channel (web, marketplace, POS); the same order twice starts once",
    status_code=201,
)
async def create_order(
    body: OrderBody, session: SessionDep, who: Annotated[Principal, sales_ops], client: TemporalDep
) -> JSONResponse:
    ask = OrderAsk(
        channel=body.channel,
        external_id=body.external_id,
        customer=body.customer,
        ship_to_region=body.ship_to_region,
        currency=body.currency,
        payment_method=body.payment_method,
        lines=body.lines,
    )
    caller = Caller(
        username=who.username,
        entity_ids=who.entity_ids,
        may_override_floor=who.has_role(*FLOOR_OVERRIDE_ROLES),
    )
    order = price_order(session, ask, caller, date.today())
    existing = order_header(session, order.order_number)
    session.close()  # do not hold a connection while the workflow runs
    if existing is not None and existing["status"] in ("closed", "cancelled"):
        return JSONResponse(
            _json(
                {
                    "order_number": order.order_number,
                    "workflow_id": existing["workflow_id"],
                    "created": False,
                    "stage": existing["status"],
                }
            ),
            status_code=200,
        )
    return await _start(client, order)


async def _start(client: Client, order: Any) -> JSONResponse:
    workflow_id = f"Order-{order.order_number}"
    created = True
    try:
        handle = await client.start_workflow(
            OrderWorkflow.run,
            order,
            id=workflow_id,
            task_queue=get_settings().task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except WorkflowAlreadyStartedError:
        created = False
        handle = client.get_workflow_handle(workflow_id)
    except RPCError as exc:
        raise workflow_calls.unavailable(exc) from exc
    answer = await send_update(handle, OrderWorkflow.sync, None, None, "order")
    if answer.status_code != 200:
        return answer
    body = {
        "order_number": order.order_number,
        "workflow_id": workflow_id,
        "created": created,
        **OrderStatus.model_validate_json(bytes(answer.body)).model_dump(mode="json"),
    }
    return JSONResponse(body, status_code=201 if created else 200)


@router.get("", summary="Orders of my entities, newest first")
def get_orders(
    session: SessionDep,
    who: PrincipalDep,
    status_: str | None = Query(None, alias="status"),
    channel: str | None = None,
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    rows = list_orders(session, sorted(who.entity_ids), status_, channel, limit, offset)
    return _json(rows)  # type: ignore[no-any-return]


@router.get("/{number}", summary="One order: lines, allocations, shipments, payments, postings, tasks")
def get_order(number: PathKey, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    header = _visible(session, who, number)
    return _json(order_detail(session, header))  # type: ignore[no-any-return]


@router.post("/{number}/cancel", summary="Cancel before shipment (after shipment: use returns)")
async def cancel_order(
    number: PathKey,
    body: CancelBody,
    session: SessionDep,
    who: Annotated[Principal, sales_ops],
    client: TemporalDep,
) -> JSONResponse:
    header = _visible(session, who, number)
    shipped = order_detail(session, header)["shipments"]
    session.close()
    if shipped:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"order {number} has shipped; cancel it through a return: POST /returns"
        )
    handle = client.get_workflow_handle(str(header["workflow_id"]))
    req = CancelRequest(actor=who.username, reason=body.reason)
    return await send_update(handle, OrderWorkflow.cancel, req, f"cancel-{number}", "order")


@router.post("/{number}/payment", summary="Record a payment for an order waiting for one")
async def pay_order(
    number: PathKey,
    body: PaymentBody,
    session: SessionDep,
    who: Annotated[Principal, sales_ops],
    client: TemporalDep,
) -> JSONResponse:
    header = _visible(session, who, number)
    session.close()
    handle = client.get_workflow_handle(str(header["workflow_id"]))
    payment = PaymentReceived(method=body.method, amount=body.amount, reference=body.reference)
    return await send_update(handle, OrderWorkflow.pay, payment, f"pay-{number}", "amount")


@router.post(
    "/{number}/warehouse-events", summary="Picked, packed, shipped (carrier, tracking), short pick, damaged"
)
async def warehouse_event(
    number: PathKey,
    body: WarehouseEventBody,
    session: SessionDep,
    who: Annotated[Principal, warehouse],
    client: TemporalDep,
) -> JSONResponse:
    header = _visible(session, who, number)
    session.close()
    handle = client.get_workflow_handle(str(header["workflow_id"]))
    event = WarehouseEvent(**body.model_dump())
    update_id = f"wh-{number}-{body.event_id}" if body.event_id else None
    return await send_update(handle, OrderWorkflow.warehouse_event, event, update_id, body.kind)
