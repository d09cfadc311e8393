"""Supplier payments: the house bank setting, payment runs (approved in the inbox), bank files, statements."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, status
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlmodel import Session

from api import workflow_calls
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
    StatementBody,
    StatementOut,
)
from erp.db import app_engine
from models.contracts.payments import PaymentRunInput
from rules.errors import RuleViolation
from services import bank_statements, payment_runs
from services.auth import Principal
from workflows.payments.bank_statement import BankStatementWorkflow
from workflows.payments.payment_run import PaymentRunWorkflow

router = APIRouter(tags=["payments"], responses=responses(401))
CurrencyPath = Annotated[str, Path(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")]
treasury = Depends(require("controller"))
payables = Depends(require("ap_clerk", "controller"))


def _entity_code(session: SessionDep, who: Principal, entity_id: int) -> str:
    code = (
        session.connection().execute(text("SELECT code FROM entity WHERE id = :e"), {"e": entity_id}).scalar()
    )
    if code is None or not who.sees(entity_id):
        raise RuleViolation("entity_id", f"unknown entity {entity_id}")
    return str(code)


@router.put(
    "/payment-settings/{entity_id}",
    response_model=PaymentSettingOut,
    responses=responses(403, 422),
    summary="Set the entity's house bank and whether payment runs pay its suppliers",
)
def put_setting(
    entity_id: PathId, body: PaymentSettingBody, session: SessionDep, who: Annotated[Principal, treasury]
) -> dict[str, Any]:
    """Set the entity's house bank and whether payment runs pay its suppliers."""
    _entity_code(session, who, entity_id)
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
    code = _entity_code(session, who, body.entity_id)
    if payment_runs.setting(session, body.entity_id) is None:
        raise RuleViolation(
            "entity_id", "the entity has no house bank: PUT /payment-settings/{entity_id} first"
        )
    workflow_id = payment_runs.run_workflow_id(code, body.run_date)
    ended = (
        session.connection()
        .execute(
            text(
                "SELECT r.id, r.status, count(x.id) FROM payment_run r LEFT JOIN payment_run_item x ON x.run_id = r.id"
                " WHERE r.entity_id = :e AND r.run_date = :d AND r.status <> 'proposed' GROUP BY r.id"
            ),
            {"e": body.entity_id, "d": body.run_date},
        )
        .first()
    )
    if ended is not None:  # one run per entity and date: an ended run answers as it ended
        stage = str(ended[1])
        known = PaymentRunStarted(workflow_id=workflow_id, run_id=ended[0], stage=stage, proposed=ended[2])
        return JSONResponse(known.model_dump(mode="json"), status_code=200)
    session.close()
    run = PaymentRunInput(
        workflow_id=workflow_id, entity_id=body.entity_id, run_date=body.run_date, proposed_by=who.username
    )
    command, fresh = await workflow_calls.submit(
        "start",
        client,
        PaymentRunWorkflow.run,
        run,
        workflow_id=workflow_id,
        update_id=None,
        subject="payment run",
        username=who.username,
        entity_id=body.entity_id,
        default_field="run_date",
    )
    named = {"workflow_id": workflow_id}
    if command.status == "pending":
        return workflow_calls.pending_answer(command, named)
    if command.status == "rejected":
        return workflow_calls.outcome_answer(command)
    answer = await workflow_calls.read_update(
        client.get_workflow_handle(workflow_id), PaymentRunWorkflow.proposed, subject="payment run"
    )
    if answer is None:
        return JSONResponse({**named, "stage": "proposing", "proposed": 0}, status_code=202)
    if answer.status_code != 200:
        return answer
    created = fresh and isinstance(command.result, dict) and bool(command.result.get("started"))
    proposal = PaymentRunStarted.model_validate({**named, **_json_body(answer)})
    return JSONResponse(proposal.model_dump(mode="json"), status_code=201 if created else 200)


def _json_body(answer: JSONResponse) -> dict[str, Any]:
    return dict(json.loads(bytes(answer.body)))


def _run(session: SessionDep, who: Principal, run_id: int) -> dict[str, Any]:
    head = (
        session.connection()
        .execute(text("SELECT * FROM payment_run WHERE id = :i"), {"i": run_id})
        .mappings()
        .first()
    )
    if head is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"payment run {run_id} not found")
    check_entity(who, int(head["entity_id"]))
    return dict(head)


@router.get(
    "/payment-runs/{run_id}",
    response_model=PaymentRunOut,
    responses=responses(404, 422),
    summary="A payment run with its invoices",
)
def get_run(run_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """A payment run with its invoices."""
    head = _run(session, who, run_id)
    items = (
        session.connection()
        .execute(
            text(
                "SELECT x.*, i.invoice_number FROM payment_run_item x JOIN supplier_invoice i ON i.id = x.invoice_id"
                " WHERE x.run_id = :r ORDER BY x.id"
            ),
            {"r": run_id},
        )
        .mappings()
        .all()
    )
    return {**head, "items": [dict(r) for r in items]}


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
    if head["status"] != "paid":
        raise HTTPException(status.HTTP_409_CONFLICT, f"payment run {run_id} is {head['status']}, not paid")
    files = payment_runs.bank_files(session, run_id)
    wanted = currency.upper()
    if wanted not in files:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"payment run {run_id} pays nothing in {currency}")
    return {"currency": wanted, "message_id": f"PR{run_id}-{wanted}", "xml": files[wanted].decode()}


@router.post(
    "/bank-statements",
    response_model=StatementOut,
    status_code=201,
    responses=responses(403, 409, 422, 503, accepted=True),
    summary="Import a camt.053 or MT940 statement: run payments clear, charges and interest post by rule,"
    " other lines open a task",
)
async def import_statement(
    body: StatementBody, session: SessionDep, who: Annotated[Principal, treasury], client: TemporalDep
) -> Any:
    """Import a camt.053 or MT940 statement: run payments clear, charges and interest post by rule, other lines open a task."""
    code = _entity_code(session, who, body.entity_id)
    parse = bank_statements.parse_camt053 if body.format == "camt053" else bank_statements.parse_mt940
    statement = bank_statements.as_input(parse(body.content), body.entity_id, code, body.format, who.username)
    known = bank_statements.existing(session, body.entity_id, statement.statement_ref)
    if known is not None:  # imported before (its workflow may have ended): the same answer, nothing changes
        return _statement_answer(known, duplicate=True)
    session.close()
    command, fresh = await workflow_calls.submit(
        "start",
        client,
        BankStatementWorkflow.run,
        statement,
        workflow_id=statement.workflow_id,
        update_id=None,
        subject="bank statement",
        username=who.username,
        entity_id=body.entity_id,
        default_field="content",
    )
    named = {"workflow_id": statement.workflow_id}
    if command.status == "pending":
        return workflow_calls.pending_answer(command, named)
    if command.status == "rejected":
        return workflow_calls.outcome_answer(command)
    answer = await workflow_calls.read_update(
        client.get_workflow_handle(statement.workflow_id),
        BankStatementWorkflow.imported,
        subject="bank statement",
    )
    if answer is None or answer.status_code != 200:
        return answer or JSONResponse({**named, "status": "pending"}, status_code=202)
    created = fresh and isinstance(command.result, dict) and bool(command.result.get("started"))
    return _statement_answer(int(_json_body(answer)["statement_id"]), duplicate=not created)


def _statement_answer(statement_id: int, *, duplicate: bool) -> JSONResponse:
    """201 with the imported statement, or 200 when it had been imported before."""
    with Session(app_engine()) as reader:
        found = bank_statements.statement(reader, statement_id)
    assert found is not None
    out = StatementOut.model_validate({**found, "duplicate": duplicate})
    return JSONResponse(out.model_dump(mode="json"), status_code=200 if duplicate else 201)


@router.get(
    "/bank-statements/{statement_id}",
    response_model=StatementOut,
    responses=responses(404, 422),
    summary="An imported statement",
)
def get_statement(statement_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """An imported statement."""
    found = bank_statements.statement(session, statement_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"statement {statement_id} not found")
    check_entity(who, int(found["entity_id"]))
    return {**found, "duplicate": False}
