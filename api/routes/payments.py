"""Supplier payments: the house bank setting, payment runs (approved in the inbox), bank files, statements."""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NamedTuple, Protocol

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlmodel import Session
from temporalio.client import Client, WorkflowFailureError

from api import workflow_calls
from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity, require
from api.errors import responses
from api.schemas.base import PathId, many
from api.schemas.payments import (
    BankFileOut,
    ChargebackBody,
    ChargebackOut,
    PaymentRunBody,
    PaymentRunOut,
    PaymentRunStarted,
    PaymentSettingBody,
    PaymentSettingOut,
    PayoutBody,
    PayoutOut,
    StatementBody,
    StatementOut,
)
from erp.db import app_engine
from models.contracts.payments import ChargebackInput, PartPayment, PaymentRunInput, PayoutInput, PayoutLineIn
from models.master import Entity
from models.payments import PaymentRunRow, PaymentSetting
from rules.errors import RuleViolation
from services.core import channels
from services.core.auth import Principal
from services.payments import bank_statements, chargebacks, psp_payouts, statement_files
from services.payments import runs as payment_runs
from workflows.payments.bank_statement import BankStatementWorkflow
from workflows.payments.chargeback import ChargebackWorkflow
from workflows.payments.payment_run import PaymentRunWorkflow
from workflows.payments.psp_payout import PspPayoutWorkflow

router = APIRouter(tags=["payments"], responses=responses(401))
CurrencyPath = Annotated[str, Path(min_length=3, max_length=3, pattern=r"^[A-Za-z]{3}$")]
treasury = Depends(require("controller"))
payables = Depends(require("ap_clerk", "controller"))
ChargebackStatus = Literal["disputed", "contested", "accepted", "won", "lost"]


def _entity_code(session: SessionDep, who: Principal, entity_id: int) -> str:
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
    started = await _start_once(
        client,
        who,
        PaymentRunWorkflow.run,
        run,
        _Start(
            workflow_id, body.entity_id, "payment run", "run_date", (("stage", "proposing"), ("proposed", 0))
        ),
        PaymentRunWorkflow.proposed,
    )
    if isinstance(started, JSONResponse):
        return started
    proposal = PaymentRunStarted.model_validate({"workflow_id": workflow_id, **started.body})
    return JSONResponse(proposal.model_dump(mode="json"), status_code=201 if started.created else 200)


def _json_body(answer: JSONResponse) -> dict[str, Any]:
    return dict(json.loads(bytes(answer.body)))


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


@dataclass(frozen=True)
class _Start:
    """A workflow started once by a POST (an import, a payment run): its id, entity, how answers name it, and
    what the 202 says while it works."""

    workflow_id: str
    entity_id: int
    subject: str
    default_field: str
    waiting: tuple[tuple[str, Any], ...] = (("status", "pending"),)


class _Started(NamedTuple):
    """The first answer of a workflow a POST started: its JSON body, and whether this request started it."""

    body: dict[str, Any]
    created: bool


async def _start_once(
    client: Client,
    who: Principal,
    run: Any,
    inp: Any,
    what: _Start,
    imported: Any,
) -> JSONResponse | _Started:
    """Start the workflow once and read its first answer (its body, created now), or the answer to
    give while the start is pending or was refused."""
    command, fresh = await workflow_calls.submit(
        "start",
        client,
        run,
        inp,
        workflow_id=what.workflow_id,
        update_id=None,
        subject=what.subject,
        username=who.username,
        entity_id=what.entity_id,
        default_field=what.default_field,
    )
    named = {"workflow_id": what.workflow_id}
    if command.status == "pending":
        return workflow_calls.pending_answer(command, named)
    if command.status == "rejected":
        return workflow_calls.outcome_answer(command)
    handle = client.get_workflow_handle_for(run, what.workflow_id)
    try:
        answer = await workflow_calls.read_update(handle, imported, subject=what.subject)
    except HTTPException as ended:
        # An import with nothing for a person to decide ends as soon as it has posted, possibly before its
        # first answer is read: its result is that answer.
        if ended.status_code != status.HTTP_409_CONFLICT:
            raise
        try:
            result = await handle.result()
        except WorkflowFailureError:
            raise ended from None
        if not isinstance(result, BaseModel):
            raise
        answer = JSONResponse(result.model_dump(mode="json"), status_code=200)
    if answer is None or answer.status_code != 200:
        return answer or JSONResponse({**named, **dict(what.waiting)}, status_code=202)
    created = fresh and isinstance(command.result, dict) and bool(command.result.get("started"))
    return _Started(_json_body(answer), created)


class _Stored(Protocol):
    """A document an import stored, as its reader gives it: whose it is and the fields the API shows."""

    @property
    def entity_id(self) -> int: ...

    def fields(self) -> dict[str, Any]: ...


def _stored_answer(
    read: Callable[[Session, int], _Stored | None],
    out: type[BaseModel],
    stored_id: int,
    *,
    duplicate: bool,
) -> JSONResponse:
    """201 with what an import stored, or 200 when it had been imported before (`duplicate`)."""
    with Session(app_engine()) as reader:
        found = read(reader, stored_id)
    assert found is not None
    answer = out.model_validate({**found.fields(), "duplicate": duplicate})
    return JSONResponse(answer.model_dump(mode="json"), status_code=200 if duplicate else 201)


def _one_stored(
    read: Callable[[Session, int], _Stored | None],
    session: Session,
    who: Any,
    stored_id: int,
    what: str,
) -> dict[str, Any]:
    """One imported document by id: 404 when unknown or another entity's, never a duplicate."""
    found = read(session, stored_id)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{what} {stored_id} not found")
    check_entity(who, found.entity_id)
    return {**found.fields(), "duplicate": False}


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
    parse = statement_files.parse_camt053 if body.format == "camt053" else statement_files.parse_mt940
    statement = statement_files.as_input(parse(body.content), body.entity_id, code, body.format, who.username)
    known = bank_statements.existing(session, body.entity_id, statement.statement_ref)
    if known is not None:  # imported before (its workflow may have ended): the same answer, nothing changes
        return _stored_answer(bank_statements.statement, StatementOut, known, duplicate=True)
    session.close()
    started = await _start_once(
        client,
        who,
        BankStatementWorkflow.run,
        statement,
        _Start(statement.workflow_id, body.entity_id, "bank statement", "content"),
        BankStatementWorkflow.imported,
    )
    if isinstance(started, JSONResponse):
        return started
    return _stored_answer(
        bank_statements.statement,
        StatementOut,
        int(started.body["statement_id"]),
        duplicate=not started.created,
    )


@router.get(
    "/bank-statements/{statement_id}",
    response_model=StatementOut,
    responses=responses(404, 422),
    summary="An imported statement",
)
def get_statement(statement_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """An imported statement."""
    return _one_stored(bank_statements.statement, session, who, statement_id, "statement")


def _card_channel(session: SessionDep, who: Principal, channel: str) -> tuple[int, int, str]:
    """(channel id, entity id, currency) of a card-paying channel the caller sees, or 422 naming `channel`."""
    found = channels.by_code(session, channel)
    if found is None or found.id is None or not who.sees(found.entity_id) or found.kind == "marketplace":
        raise RuleViolation(
            "channel", f"unknown card-paying channel {channel!r} (marketplaces: /settlements)"
        )
    return found.id, found.entity_id, found.currency


@router.post(
    "/psp-payouts",
    response_model=PayoutOut,
    status_code=201,
    responses=responses(403, 409, 422, 503, accepted=True),
    summary="Import a payment provider's payout: card captures move from payment clearing to bank in transit"
    " with the fees; differences open a task",
)
async def import_payout(
    body: PayoutBody, session: SessionDep, who: Annotated[Principal, treasury], client: TemporalDep
) -> Any:
    """Import a payment provider's payout: card captures move from payment clearing to bank in transit with the
    fees, idempotent by channel and payout id; a line for an unknown order or with another gross opens a task."""
    channel_id, entity_id, currency = _card_channel(session, who, body.channel)
    payout = PayoutInput(
        workflow_id=f"PspPayout-{body.channel}-{body.payout_id}",
        entity_id=entity_id,
        channel_id=channel_id,
        payout_ref=body.payout_id,
        payout_date=body.payout_date,
        currency=currency,
        imported_by=who.username,
        lines=[
            PayoutLineIn(line_no=i, order_number=ln.order_number, gross=ln.gross, fees=ln.fees)
            for i, ln in enumerate(body.lines, start=1)
        ],
    )
    known = psp_payouts.existing(session, payout.channel_id, payout.payout_ref)
    if known is not None:  # imported before (its workflow may have ended): the same answer, nothing changes
        return _stored_answer(psp_payouts.payout, PayoutOut, known, duplicate=True)
    session.close()
    started = await _start_once(
        client,
        who,
        PspPayoutWorkflow.run,
        payout,
        _Start(payout.workflow_id, payout.entity_id, "payout", "payout_id"),
        PspPayoutWorkflow.imported,
    )
    if isinstance(started, JSONResponse):
        return started
    return _stored_answer(
        psp_payouts.payout, PayoutOut, int(started.body["payout_id"]), duplicate=not started.created
    )


@router.get(
    "/psp-payouts/{payout_id}",
    response_model=PayoutOut,
    responses=responses(404, 422),
    summary="An imported payment provider payout",
)
def get_payout(payout_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """An imported payment provider payout."""
    return _one_stored(psp_payouts.payout, session, who, payout_id, "payout")


@router.post(
    "/psp-chargebacks",
    response_model=ChargebackOut,
    status_code=201,
    responses=responses(403, 409, 422, 503, accepted=True),
    summary="Record a payment provider's chargeback: the card payment moves from payment clearing to dispute"
    " clearing and a controller accepts or contests it",
)
async def record_chargeback(
    body: ChargebackBody, session: SessionDep, who: Annotated[Principal, treasury], client: TemporalDep
) -> Any:
    """Record a payment provider's chargeback (once per channel and chargeback id): the card payment moves from
    payment clearing to dispute clearing, and a controller accepts it (a loss) or contests it (won or lost)."""
    channel_id, entity_id, currency = _card_channel(session, who, body.channel)
    inp = ChargebackInput(
        workflow_id=f"Chargeback-{body.channel}-{body.chargeback_id}",
        entity_id=entity_id,
        channel_id=channel_id,
        chargeback_ref=body.chargeback_id,
        order_number=body.order_number,
        amount=body.amount,
        currency=currency,
        reason=body.reason,
        received_on=body.received_on,
        imported_by=who.username,
    )
    known = chargebacks.existing(session, channel_id, body.chargeback_id)
    if known is not None:  # recorded before (its workflow may have ended): the same answer, nothing changes
        return _stored_answer(chargebacks.chargeback, ChargebackOut, known, duplicate=True)
    chargebacks.check(session, inp)  # before anything starts
    session.close()
    started = await _start_once(
        client,
        who,
        ChargebackWorkflow.run,
        inp,
        _Start(inp.workflow_id, entity_id, "chargeback", "chargeback_id"),
        ChargebackWorkflow.recorded_chargeback,
    )
    if isinstance(started, JSONResponse):
        return started
    return _stored_answer(
        chargebacks.chargeback,
        ChargebackOut,
        int(started.body["chargeback_id"]),
        duplicate=not started.created,
    )


@router.get(
    "/psp-chargebacks",
    response_model=many(ChargebackOut),
    responses=responses(422),
    summary="Chargebacks of my entities, newest received first, by status, paged",
)
def list_chargebacks(
    session: SessionDep,
    who: PrincipalDep,
    entity_id: int | None = Query(None, ge=1),
    status_: ChargebackStatus | None = Query(None, alias="status"),
    limit: int = Query(100, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> list[dict[str, Any]]:
    """Chargebacks of your entities (or of one of them), newest received first, filtered by status, paged."""
    if entity_id is not None and not who.sees(entity_id):
        raise RuleViolation("entity_id", f"unknown entity {entity_id}")
    entities = [entity_id] if entity_id is not None else sorted(who.entity_ids)
    return [
        {**found.fields(), "duplicate": False}
        for found in chargebacks.chargebacks_of(session, entities, status_, limit, offset)
    ]


@router.get(
    "/psp-chargebacks/{chargeback_id}",
    response_model=ChargebackOut,
    responses=responses(404, 422),
    summary="A recorded chargeback and where its dispute stands",
)
def get_chargeback(chargeback_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """A recorded chargeback and where its dispute stands."""
    return _one_stored(chargebacks.chargeback, session, who, chargeback_id, "chargeback")
