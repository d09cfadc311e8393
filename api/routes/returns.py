"""Returns: RMA intake against shipped orders, receipt and inspection, the RMA view, rates, alerts, policies."""

import hashlib
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlmodel import Session
from temporalio.client import (
    Client,
)

from api import workflow_calls
from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity, require
from api.errors import responses
from api.schemas.base import PathKey, exact_json, many
from api.schemas.returns import (
    ChannelPolicyBody,
    ChannelPolicyView,
    CustomerPolicyBody,
    CustomerPolicyView,
    ReturnAlertView,
    ReturnAnswer,
    ReturnBody,
    ReturnCancelBody,
    ReturnDetail,
    ReturnListItem,
    ReturnRate,
    ReturnReceiptBody,
    SerialsRecorded,
    SoldSerialsBody,
)
from models.contracts.returns import CancelReturn, ExchangeLine, ReceiptRequest, ReturnInput, ReturnStatus
from rules.errors import RuleViolation
from services.core import channels
from services.core.audit_log import audit_change
from services.core.auth import Principal
from services.returns.intake import ReturnAsk, build_return, next_rma_number
from services.returns.policy import set_channel_policy, set_customer_policy
from services.returns.rates import RateBy, alerts, rates
from services.returns.receipt import PartAsk, resolve_parts
from services.returns.store import header, record_serials
from services.returns.views import ReturnSummary, list_returns, return_detail, return_header
from services.sales.intake import Caller
from workflows.returns.rma import ReturnWorkflow

router = APIRouter(prefix="/returns", tags=["returns"], responses=responses(401, 422))
_RETURNS = workflow_calls.DocumentUpdates("return")

sales_ops = Depends(require("sales_ops"))
warehouse = Depends(require("warehouse"))
controller = Depends(require("controller"))


@router.post(
    "",
    summary="Raise a return (RMA) against shipped order lines",
    status_code=201,
    response_model=ReturnAnswer,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def create_return(
    body: ReturnBody, session: SessionDep, who: Annotated[Principal, sales_ops], client: TemporalDep
) -> JSONResponse:
    """Check the order lines (shipped, within the channel's window, serials), value the return and start its workflow:
    approval above the channel's limit, then the goods are expected. Sales ops."""
    caller = Caller(username=who.username, entity_ids=who.entity_ids, may_override_floor=False)
    ask = ReturnAsk(
        order_number=body.order_number,
        refund_method=body.refund_method,
        lines=body.lines,
        exchange=[ExchangeLine(sku=x.sku, qty=x.qty) for x in body.exchange],
    )
    rma = build_return(session, ask, caller, date.today(), next_rma_number(session))
    session.close()  # do not hold a connection while the workflow runs
    return await start_return(client, rma, who.username)


async def start_return(client: Client, rma: ReturnInput, username: str) -> JSONResponse:
    """Start the RMA's workflow as a stored command; answer with its status once intake and routing are done."""
    workflow_id = f"Return-{rma.rma_number}"
    row, _ = await workflow_calls.submit(
        "start",
        client,
        ReturnWorkflow.run,
        rma,
        workflow_id=workflow_id,
        update_id=None,
        subject="return",
        username=username,
        entity_id=rma.entity_id,
        default_field="return",
    )
    named = {"rma_number": rma.rma_number, "workflow_id": workflow_id}
    if row.status == "pending":
        return workflow_calls.pending_answer(row, named)
    if row.status == "rejected":
        return workflow_calls.outcome_answer(row)
    handle = client.get_workflow_handle(workflow_id)
    answer = await workflow_calls.read_update(
        handle, ReturnWorkflow.sync, subject="return", default_field="return", ended=ReturnWorkflow.status
    )
    if answer is None:
        url = f"/returns/{rma.rma_number}"
        return JSONResponse(
            {**named, "status": "pending", "return_url": url}, status_code=202, headers={"Location": url}
        )
    if answer.status_code != 200:
        return answer
    state = ReturnStatus.model_validate_json(bytes(answer.body))
    if state.stage == "rejected":
        raise RuleViolation("lines", f"return refused: {state.pending_on}")
    return JSONResponse({"workflow_id": workflow_id, **state.model_dump(mode="json")}, status_code=201)


@router.get("", summary="Returns of my entities, newest first", response_model=many(ReturnListItem))
def get_returns(
    session: SessionDep,
    who: PrincipalDep,
    stage: str | None = Query(None, max_length=20),
    order_number: str | None = Query(None, max_length=80),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """Return headers of your entities, newest first, by stage or order, paged."""
    return exact_json(list_returns(session, sorted(who.entity_ids), stage, order_number, limit, offset))  # type: ignore[no-any-return]


@router.get(
    "/rates",
    summary="Return rate (returned / sold units) per SKU, channel or promotion over a window",
    response_model=many(ReturnRate),
    response_model_exclude_unset=True,
)
def get_rates(
    session: SessionDep,
    who: PrincipalDep,
    by: RateBy = "sku",
    days: int = Query(30, ge=1, le=3650),
) -> list[dict[str, Any]]:
    """Returned vs sold units over the last days per SKU, channel or promotion; each line carries only the chosen key."""
    return exact_json(rates(session, sorted(who.entity_ids), by, days, date.today()))  # type: ignore[no-any-return]


@router.get(
    "/alerts",
    summary="Return-rate spikes (rate over the channel's threshold in its window)",
    response_model=many(ReturnAlertView),
)
def get_alerts(
    session: SessionDep, who: PrincipalDep, limit: int = Query(100, ge=1, le=500)
) -> list[dict[str, Any]]:
    """Return-rate spikes raised when a SKU's rate on a channel passed the channel's threshold in its window, newest
    first."""
    return exact_json(alerts(session, sorted(who.entity_ids), limit))  # type: ignore[no-any-return]


def _policy_row(session: Session, table: str, key: str, key_id: int) -> dict[str, Any] | None:
    """A stored policy as JSON for the audit trail (None before the first change)."""
    row = (
        session.connection()
        .execute(text(f"SELECT * FROM {table} WHERE {key} = :k"), {"k": key_id})  # table/key are constants
        .mappings()
        .first()
    )
    return None if row is None else dict(jsonable_encoder({k: v for k, v in row.items() if k != "id"}))


@router.put(
    "/policies/channels/{code}",
    summary="Set a channel's return policy",
    response_model=ChannelPolicyView,
    responses=responses(403, 404),
)
def put_channel_policy(
    code: PathKey, body: ChannelPolicyBody, session: SessionDep, who: Principal = controller
) -> Any:
    """Set the given fields of a channel's return policy (window, auto-approval limit, early refunds, goods deadline,
    spike alert); audited. Controllers."""
    channel = channels.by_code(session, code, archived_too=True)
    if channel is None or channel.id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"channel {code} not found")
    channel_id, entity_id = channel.id, channel.entity_id
    check_entity(who, entity_id)
    before = _policy_row(session, "channel_return_policy", "channel_id", channel_id)
    stored = set_channel_policy(session, channel_id, body.model_dump(exclude_none=True), who.username)
    # Return policies are channel master data: changes are audited like the CRUD routes' (before/after).
    after = jsonable_encoder(stored)
    audit_change(
        session, who, "ChannelReturnPolicy.update", "Channel", str(channel_id), before, after, entity_id
    )
    session.commit()
    return exact_json(stored)


@router.put(
    "/policies/customers/{code}",
    summary="Trust a customer with refunds before the goods arrive",
    response_model=CustomerPolicyView,
    responses=responses(403, 404),
)
def put_customer_policy(
    code: PathKey, body: CustomerPolicyBody, session: SessionDep, who: Principal = controller
) -> dict[str, Any]:
    """Trust (or stop trusting) a customer with refunds before the goods arrive; audited. Controllers."""
    row = session.connection().execute(text("SELECT id FROM customer WHERE code = :c"), {"c": code}).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"customer {code} not found")
    before = _policy_row(session, "customer_return_policy", "customer_id", int(row[0]))
    set_customer_policy(session, int(row[0]), body.refund_before_arrival, who.username)
    after = {"refund_before_arrival": body.refund_before_arrival, "updated_by": who.username}
    audit_change(session, who, "CustomerReturnPolicy.update", "Customer", str(row[0]), before, after)
    session.commit()
    return {"customer": code, "refund_before_arrival": body.refund_before_arrival}


@router.post(
    "/serials",
    summary="Record the serial numbers that shipped with an order line",
    response_model=SerialsRecorded,
    responses=responses(403),
)
def post_serials(body: SoldSerialsBody, session: SessionDep, who: Principal = warehouse) -> dict[str, Any]:
    """Record the serial numbers that shipped with an order line (never more than shipped), so returns can name them.
    Warehouse."""
    row = (
        session.connection()
        .execute(text("SELECT id, entity_id FROM sales_order WHERE number = :n"), {"n": body.order_number})
        .first()
    )
    if row is None or not who.sees(int(row[1])):
        raise RuleViolation("order_number", f"unknown order {body.order_number!r}")
    known = record_serials(session, int(row[0]), body.line_no, body.serials, who.username)
    session.commit()
    return {"order_number": body.order_number, "line_no": body.line_no, "serials_recorded": known}


def _visible(session: SessionDep, who: Principal, rma_number: str) -> ReturnSummary:
    head = return_header(session, rma_number)
    if head is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"return {rma_number} not found")
    check_entity(who, head.entity_id)
    return head


@router.get(
    "/{rma_number}",
    summary="One return: lines, dispositions, credit note, postings, moves, documents, tasks",
    response_model=ReturnDetail,
    responses=responses(404),
)
def get_return(rma_number: PathKey, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """One return: lines, dispositions, credit note, postings, stock moves, documents sent and tasks."""
    head = _visible(session, who, rma_number)
    return exact_json(return_detail(session, head))  # type: ignore[no-any-return]


@router.post(
    "/{rma_number}/receipt",
    summary="Receive and inspect the returned goods: a disposition per part",
    response_model=ReturnStatus,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def post_receipt(
    rma_number: PathKey,
    body: ReturnReceiptBody,
    session: SessionDep,
    who: Annotated[Principal, warehouse],
    client: TemporalDep,
) -> JSONResponse:
    """The goods arrived: a disposition per part (restock, refurbish, scrap, back to the supplier) moves stock and
    books its value; the refund follows. Warehouse."""
    head = _visible(session, who, rma_number)
    asks = [
        PartAsk(p.line_no, p.qty, p.disposition, list(p.serials), p.location_id, p.supplier)
        for p in body.parts
    ]
    parts = resolve_parts(session, header(session, rma_number), asks)
    session.close()
    req = ReceiptRequest(received_by=who.username, parts=parts, note=body.note)
    return await _RETURNS.send(
        client, head, who, ReturnWorkflow.receive, req, f"receipt-{rma_number}", "return"
    )


@router.post(
    "/{rma_number}/cancel",
    summary="Cancel a return before its goods arrive (and before any refund)",
    response_model=ReturnStatus,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def cancel_return(
    rma_number: str,
    body: ReturnCancelBody,
    session: SessionDep,
    who: Annotated[Principal, sales_ops],
    client: TemporalDep,
) -> JSONResponse:
    """Cancel a return before its goods arrive and before any refund; 409 after. Sales ops."""
    head = _visible(session, who, rma_number)
    session.close()
    req = CancelReturn(actor=who.username, reason=body.reason)
    # The same request retried replays its answer; a different one reaches the workflow (409 when it is over).
    digest = hashlib.sha256(f"{who.username}\n{body.reason}".encode()).hexdigest()[:16]
    return await _RETURNS.send(
        client, head, who, ReturnWorkflow.cancel, req, f"cancel-{rma_number}-{digest}", "return"
    )
