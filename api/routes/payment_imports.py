"""Money the bank, the card provider and the marketplace report: bank statements (camt.053, MT940), PSP
payouts and chargebacks, each imported once through its workflow."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session
from temporalio.client import Client

from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity, require
from api.errors import responses
from api.routes.payments import entity_code
from api.schemas.base import PathId, many
from api.schemas.payments import (
    ChargebackBody,
    ChargebackOut,
    PayoutBody,
    PayoutOut,
    StatementBody,
    StatementOut,
)
from api.workflow_starts import StartOnce, start_once
from erp.db import app_engine
from models.contracts.payments import ChargebackInput, PayoutInput, PayoutLineIn
from rules.errors import RuleViolation
from services.core import channels
from services.core.auth import Principal
from services.payments import bank_statements, chargebacks, psp_payouts, statement_files
from workflows.payments.bank_statement import BankStatementWorkflow
from workflows.payments.chargeback import ChargebackWorkflow
from workflows.payments.psp_payout import PspPayoutWorkflow

router = APIRouter(tags=["payments"], responses=responses(401))
treasury = Depends(require("controller"))
ChargebackStatus = Literal["disputed", "contested", "accepted", "won", "lost"]


class _Stored(Protocol):
    """A document an import stored, as its reader gives it: whose it is and the fields the API shows."""

    @property
    def entity_id(self) -> int: ...

    def fields(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class _Import:
    """One kind of imported document: its reader, its answer, the field of its id in the workflow's first
    answer, and its name in a 404."""

    read: Callable[[Session, int], _Stored | None]
    out: type[BaseModel]
    id_field: str
    what: str

    def answer(self, stored_id: int, *, duplicate: bool) -> JSONResponse:
        """201 with what an import stored, or 200 when it had been imported before (`duplicate`)."""
        with Session(app_engine()) as reader:
            found = self.read(reader, stored_id)
        assert found is not None
        answer = self.out.model_validate({**found.fields(), "duplicate": duplicate})
        return JSONResponse(answer.model_dump(mode="json"), status_code=200 if duplicate else 201)

    async def start(
        self, client: Client, who: Principal, run: Any, inp: Any, once: StartOnce, first: Any
    ) -> Any:
        """Start the import's workflow once and answer with what it stored, or the answer while it works."""
        started = await start_once(client, who, run, inp, once, first)
        if isinstance(started, JSONResponse):
            return started
        return self.answer(int(started.body[self.id_field]), duplicate=not started.created)

    def one(self, session: Session, who: Principal, stored_id: int) -> dict[str, Any]:
        """One imported document by id: 404 when unknown or another entity's, never a duplicate."""
        found = self.read(session, stored_id)
        if found is None:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"{self.what} {stored_id} not found")
        check_entity(who, found.entity_id)
        return {**found.fields(), "duplicate": False}


_STATEMENT = _Import(bank_statements.statement, StatementOut, "statement_id", "statement")
_PAYOUT = _Import(psp_payouts.payout, PayoutOut, "payout_id", "payout")
_CHARGEBACK = _Import(chargebacks.chargeback, ChargebackOut, "chargeback_id", "chargeback")


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
    code = entity_code(session, who, body.entity_id)
    parse = statement_files.parse_camt053 if body.format == "camt053" else statement_files.parse_mt940
    statement = statement_files.as_input(parse(body.content), body.entity_id, code, body.format, who.username)
    known = bank_statements.existing(session, body.entity_id, statement.statement_ref)
    if known is not None:  # imported before (its workflow may have ended): the same answer, nothing changes
        return _STATEMENT.answer(known, duplicate=True)
    session.close()
    return await _STATEMENT.start(
        client,
        who,
        BankStatementWorkflow.run,
        statement,
        StartOnce(statement.workflow_id, body.entity_id, "bank statement", "content"),
        BankStatementWorkflow.imported,
    )


@router.get(
    "/bank-statements/{statement_id}",
    response_model=StatementOut,
    responses=responses(404, 422),
    summary="An imported statement",
)
def get_statement(statement_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """An imported statement."""
    return _STATEMENT.one(session, who, statement_id)


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
            PayoutLineIn(line_no=i, order_number=ln.order_number, gross=ln.gross, fees=ln.fees, kind=ln.kind)
            for i, ln in enumerate(body.lines, start=1)
        ],
    )
    known = psp_payouts.existing(session, payout.channel_id, payout.payout_ref)
    if known is not None:  # imported before (its workflow may have ended): the same answer, nothing changes
        return _PAYOUT.answer(known, duplicate=True)
    session.close()
    return await _PAYOUT.start(
        client,
        who,
        PspPayoutWorkflow.run,
        payout,
        StartOnce(payout.workflow_id, payout.entity_id, "payout", "payout_id"),
        PspPayoutWorkflow.imported,
    )


@router.get(
    "/psp-payouts/{payout_id}",
    response_model=PayoutOut,
    responses=responses(404, 422),
    summary="An imported payment provider payout",
)
def get_payout(payout_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """An imported payment provider payout."""
    return _PAYOUT.one(session, who, payout_id)


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
        return _CHARGEBACK.answer(known, duplicate=True)
    chargebacks.check(session, inp)  # before anything starts
    session.close()
    return await _CHARGEBACK.start(
        client,
        who,
        ChargebackWorkflow.run,
        inp,
        StartOnce(inp.workflow_id, entity_id, "chargeback", "chargeback_id"),
        ChargebackWorkflow.recorded_chargeback,
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
    return _CHARGEBACK.one(session, who, chargeback_id)
