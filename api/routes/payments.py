"""Supplier payments: the house bank setting, payment runs (approved in the inbox) and their bank files."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity, require
from api.errors import responses
from api.schemas.base import PathId
from api.schemas.payments import (
    BankFileOut,
    PaymentRunBody,
    PaymentRunOut,
    PaymentRunStarted,
    PaymentSettingBody,
    PaymentSettingOut,
)
from api.workflow_starts import StartOnce, start_once
from models.contracts.payments import PartPayment, PaymentRunInput
from models.master import Entity
from models.payments import PaymentRunRow, PaymentSetting
from rules.errors import RuleViolation
from services.core.auth import Principal
from services.payments import runs as payment_runs
from workflows.payments.payment_run import PaymentRunWorkflow

router = APIRouter(tags=["payments"], responses=responses(401))
CurrencyPath = Annotated[str, Path(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")]
treasury = Depends(require("controller"))
payables = Depends(require("ap_clerk", "controller"))


def entity_code(session: SessionDep, who: Principal, entity_id: int) -> str:
    entity = session.get(Entity, entity_id)
    if entity is None or not who.sees(entity_id):
        raise RuleViolation("entity_id", f"unknown entity {entity_id}")
    return entity.code


@router.put(
    "/payment-settings/{entity_id}",
    response_model=PaymentSettingOut,
    responses=responses(403, 422),
    summary="Set the entity's house bank and whether payment runs pay its suppliers",
)
def put_setting(
    entity_id: PathId, body: PaymentSettingBody, session: SessionDep, who: Annotated[Principal, treasury]
) -> PaymentSetting:
    """Set the entity's house bank and whether payment runs pay its suppliers."""
    entity_code(session, who, entity_id)
    session.connection().execute(
        text(
            "INSERT INTO payment_setting (entity_id, uses_payment_runs, account_name, iban, bic, updated_by)"
            " VALUES (:e, :u, :n, :i, :b, :by) ON CONFLICT (entity_id) DO UPDATE SET"
            " uses_payment_runs = :u, account_name = :n, iban = :i, bic = :b, updated_by = :by"
        ),
        {
            "e": entity_id,
            "u": body.uses_payment_runs,
            "n": body.account_name,
            "i": body.iban,
            "b": body.bic,
            "by": who.username,
        },
    )
    session.commit()
    found = payment_runs.setting(session, entity_id)
    assert found is not None
    return found


@router.post(
    "/payment-runs",
    response_model=PaymentRunStarted,
    responses=responses(403, 409, 422, 503, accepted=True),
    status_code=201,
    summary="Propose a payment run: invoices approved for payment and due by the run date; a controller approves",
)
async def start_run(
    body: PaymentRunBody, session: SessionDep, who: Annotated[Principal, payables], client: TemporalDep
) -> Any:
    """Propose a payment run: invoices approved for payment and due by the run date; a controller approves."""
    code = entity_code(session, who, body.entity_id)
    if payment_runs.setting(session, body.entity_id) is None:
        raise RuleViolation(
            "entity_id", "the entity has no house bank: PUT /payment-settings/{entity_id} first"
        )
    workflow_id = payment_runs.run_workflow_id(code, body.run_date)
    ended = payment_runs.ended(session, body.entity_id, body.run_date)
    if ended is not None:  # one run per entity and date: an ended run answers as it ended
        known = PaymentRunStarted(
            workflow_id=workflow_id, run_id=ended.id, stage=ended.status, proposed=ended.items
        )
        return JSONResponse(known.model_dump(mode="json"), status_code=200)
    parts = [PartPayment(invoice_id=p.invoice_id, amount=p.amount) for p in body.amounts]
    payment_runs.check_parts(session, body.entity_id, body.run_date, parts)  # before anything starts
    session.close()
    run = PaymentRunInput(
        workflow_id=workflow_id,
        entity_id=body.entity_id,
        run_date=body.run_date,
        proposed_by=who.username,
        parts=parts,
    )
    started = await start_once(
        client,
        who,
        PaymentRunWorkflow.run,
        run,
        StartOnce(
            workflow_id,
            body.entity_id,
            "payment run",
            "run_date",
            (("stage", "proposing"), ("proposed", 0)),
            ended=PaymentRunWorkflow.status,
        ),
        PaymentRunWorkflow.proposed,
    )
    if isinstance(started, JSONResponse):
        return started
    proposal = PaymentRunStarted.model_validate({"workflow_id": workflow_id, **started.body})
    return JSONResponse(proposal.model_dump(mode="json"), status_code=201 if started.created else 200)


def _run(session: SessionDep, who: Principal, run_id: int) -> PaymentRunRow:
    head = payment_runs.run(session, run_id)
    if head is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"payment run {run_id} not found")
    check_entity(who, head.entity_id)
    return head


@router.get(
    "/payment-runs/{run_id}",
    response_model=PaymentRunOut,
    responses=responses(404, 422),
    summary="A payment run with its invoices",
)
def get_run(run_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """A payment run with its invoices."""
    head = _run(session, who, run_id)
    items = payment_runs.items_of(session, run_id)
    return {
        **head.model_dump(),
        "items": [{**item.model_dump(), "invoice_number": number} for item, number in items],
    }


@router.get(
    "/payment-runs/{run_id}/files/{currency}",
    response_model=BankFileOut,
    responses=responses(404, 409, 422),
    summary="The run's pain.001 credit-transfer file for one currency",
)
def get_file(
    run_id: PathId, currency: CurrencyPath, session: SessionDep, who: PrincipalDep
) -> dict[str, Any]:
    """The run's pain.001 credit-transfer file for one currency."""
    head = _run(session, who, run_id)
    if head.status != "paid":
        raise HTTPException(status.HTTP_409_CONFLICT, f"payment run {run_id} is {head.status}, not paid")
    files = payment_runs.bank_files(session, run_id)
    wanted = currency.upper()
    if wanted not in files:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"payment run {run_id} pays nothing in {currency}")
    return {"currency": wanted, "message_id": f"PR{run_id}-{wanted}", "xml": files[wanted].decode()}
