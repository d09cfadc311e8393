"""Marketplace payout reports: matched to shipped orders, fees posted, receivables cleared."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from sqlmodel import Session, col, select
from temporalio.client import Client

from api import workflow_calls
from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity, require
from api.errors import responses
from api.schemas.base import exact_json
from api.schemas.sales import PayoutReportBody, SettlementView
from models.contracts.sales import SettlementInput, SettlementLineIn, SettlementResult
from models.sales import MarketplaceSettlement, SettlementLine
from rules.errors import RuleViolation
from services.core import channels
from services.core.auth import Principal
from services.core.errors import Conflict
from services.sales import settlements
from workflows.sales.settlement import SettlementWorkflow

router = APIRouter(prefix="/settlements", tags=["settlements"], responses=responses(401))


finance = Depends(require("sales_ops", "controller"))


def _refuse_duplicate(reference: str | None) -> None:
    """409: this payout was reported already; nothing is posted twice."""
    if reference is not None:
        raise Conflict("reference", f"duplicate report: this payout was already posted as {reference!r}")


@router.post(
    "",
    summary="Post a marketplace payout report; unmatched lines open a task for the controller",
    status_code=201,
    response_model=SettlementResult,
    responses={
        **responses(403, 409, 422, 503, accepted=True),
        200: {"model": SettlementResult, "description": "The same report came before: its matching"},
    },
)
async def create_settlement(
    body: PayoutReportBody, session: SessionDep, who: Annotated[Principal, finance], client: TemporalDep
) -> JSONResponse:
    """Start the report's workflow: each line is matched to a shipped order by external id, fees post and the
    receivable clears; unmatched lines open a task for the controller. The same channel + reference twice
    starts once."""
    report = _report(session, who, body)
    workflow_id = report.workflow_id
    _refuse_duplicate(
        settlements.duplicate_of(session, report.channel_id, body.reference, settlements.fingerprint(report))
    )
    session.close()
    command, fresh = await workflow_calls.submit(
        "start",
        client,
        SettlementWorkflow.run,
        report,
        workflow_id=workflow_id,
        update_id=None,
        subject="settlement",
        username=who.username,
        entity_id=report.entity_id,
        default_field="settlement",
    )
    named = {"workflow_id": workflow_id, "reference": body.reference}
    if command.status == "pending":
        return workflow_calls.pending_answer(command, named)
    if command.status == "rejected":
        return workflow_calls.outcome_answer(command)
    started = command.result.get("started") if isinstance(command.result, dict) else None
    if fresh and started is False:
        # The report's workflow exists already (a concurrent or earlier send of the same reference).
        _refuse_duplicate(body.reference)
    return await _matching(client, workflow_id, named, created=fresh and bool(started))


def _report(session: Session, who: Principal, body: PayoutReportBody) -> SettlementInput:
    """The report as the workflow takes it; a channel that is not a marketplace of the caller's is refused."""
    channel = channels.by_code(session, body.channel)
    if (
        channel is None
        or channel.id is None
        or not who.sees(channel.entity_id)
        or channel.kind != "marketplace"
    ):
        raise RuleViolation("channel", f"unknown marketplace channel {body.channel!r}")
    return SettlementInput(
        workflow_id=f"Settlement-{body.channel}-{body.reference}",
        channel_id=channel.id,
        channel_code=body.channel,
        entity_id=channel.entity_id,
        reference=body.reference,
        payout_date=body.payout_date,
        currency=channel.currency,
        created_by=who.username,
        lines=[
            SettlementLineIn(line_no=i + 1, external_id=ln.external_id, gross=ln.gross, fees=ln.fees)
            for i, ln in enumerate(body.lines)
        ],
    )


async def _matching(
    client: Client, workflow_id: str, named: dict[str, str], *, created: bool
) -> JSONResponse:
    """The workflow's matching of the report (201 when this request started it), 202 while it works, 409 when
    the report repeats another one."""
    handle = client.get_workflow_handle(workflow_id)
    answer = await workflow_calls.read_update(
        handle,
        SettlementWorkflow.matched,
        subject="settlement",
        default_field="settlement",
        ended=SettlementWorkflow.status,
    )
    if answer is None:
        return JSONResponse({**named, "status": "pending"}, status_code=202)
    duplicate = json.loads(bytes(answer.body)).get("duplicate_of") if answer.status_code == 200 else None
    _refuse_duplicate(duplicate)
    if answer.status_code == 200 and created:
        answer.status_code = 201
    return answer


@router.get(
    "/{settlement_id}",
    summary="A payout report with its lines",
    response_model=SettlementView,
    responses=responses(404, 422),
)
def get_settlement(settlement_id: int, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """A payout report of your entities with its lines and what each matched."""
    head = session.get(MarketplaceSettlement, settlement_id)
    if head is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"settlement {settlement_id} not found")
    check_entity(who, head.entity_id)
    lines = session.exec(
        select(SettlementLine)
        .where(col(SettlementLine.settlement_id) == settlement_id)
        .order_by(col(SettlementLine.line_no))
    )
    return exact_json({**head.model_dump(), "lines": [line.model_dump() for line in lines]})  # type: ignore[no-any-return]
