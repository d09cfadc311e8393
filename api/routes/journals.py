"""Manual journals (maker-checker, reversal on a date), recurring journal templates, intercompany charges."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from sqlmodel import Session
from temporalio.client import Client

from api import workflow_calls
from api.deps import SessionDep, TemporalDep, check_entity, require
from api.errors import ErrorBody, responses
from api.schemas.base import PathId, PathKey
from api.schemas.journals import (
    InstantiateBody,
    IntercompanyAccepted,
    IntercompanyBody,
    JournalAccepted,
    JournalBody,
    JournalLineBody,
    JournalView,
    TemplateBody,
    TemplateView,
)
from models.contracts.journals import IntercompanyInput
from models.journals import JournalTemplate
from rules.journals import KeyedLine
from services.core.audit_log import audit_change
from services.core.auth import Principal
from services.journals import intercompany
from services.journals import manual as manual_journals
from services.journals.manual import JournalAsk
from workflows.journals.intercompany import IntercompanyChargeWorkflow, intercompany_workflow_id
from workflows.journals.manual_journal import APPROVER_ROLE, ManualJournalWorkflow

router = APIRouter(tags=["journals"], responses=responses(401))

makers = Depends(require("controller", "ap_clerk"))
controller = Depends(require("controller"))
_REFUSALS: dict[int | str, dict[str, Any]] = {
    **responses(503, accepted=True),
    403: {"model": ErrorBody, "description": "the caller's role may not key journals"},
    404: {"model": ErrorBody, "description": "entity, template or journal not found (or not the caller's)"},
    409: {
        "model": ErrorBody,
        "description": "the posting date's period is closed, or the template code exists",
    },
    422: {
        "model": ErrorBody,
        "description": "unbalanced, unknown account, too many lines, bad dates: names the field",
    },
}


def _keyed(lines: list[JournalLineBody]) -> tuple[list[KeyedLine], list[str]]:
    return [KeyedLine(ln.account, ln.debit, ln.credit) for ln in lines], [ln.memo for ln in lines]


async def _start(session: Session, client: Client, who: Principal, ask: JournalAsk) -> JSONResponse:
    """Check the journal, number it and start its workflow as a stored command: 201 (or 202 while pending)."""
    inp = manual_journals.build_input(session, ask, "")  # refusals answer 409/422 naming the field
    number = manual_journals.next_number(session)
    inp = inp.model_copy(
        update={"number": number, "workflow_id": manual_journals.workflow_id_of(ask.entity_id, number)}
    )
    session.commit()
    session.close()  # do not hold a connection while the workflow starts
    return await workflow_calls.start_document(
        client,
        who,
        ManualJournalWorkflow.run,
        inp,
        workflow_id=inp.workflow_id,
        entity_id=inp.entity_id,
        subject="manual journal",
        named={"number": number, "workflow_id": inp.workflow_id},
        created=JournalAccepted(number=number, workflow_id=inp.workflow_id, status="approval"),
        default_field="journal",
    )


@router.post(
    "/journals",
    status_code=201,
    response_model=JournalAccepted,
    responses=_REFUSALS,
    summary="Key a manual journal; it posts once a controller other than you approves it",
)
async def create_journal(
    body: JournalBody, session: SessionDep, who: Annotated[Principal, makers], client: TemporalDep
) -> JSONResponse:
    """Key a manual journal; it posts once a controller other than you approves it."""
    check_entity(who, body.entity_id)
    lines, memos = _keyed(body.lines)
    ask = JournalAsk(
        entity_id=body.entity_id,
        posting_date=body.posting_date,
        memo=body.memo,
        lines=lines,
        line_memos=memos,
        maker=who.username,
        maker_is_closer=who.has_role(APPROVER_ROLE),
        currency=body.currency,
        reversal_date=body.reversal_date,
    )
    return await _start(session, client, who, ask)


@router.get(
    "/journals/{journal_number}",
    response_model=JournalView,
    responses=responses(404, 422),
    summary="A manual journal: status, maker, approver, posted and reversal entries",
)
def get_journal(
    journal_number: PathKey, session: SessionDep, who: Annotated[Principal, makers]
) -> JournalView:
    """A manual journal: status, maker, approver, posted and reversal entries."""
    found = manual_journals.detail(session, journal_number)
    if found is None or not who.sees(found.entity_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"manual journal {journal_number} not found")
    return JournalView.model_validate(found)


@router.post(
    "/journal-templates",
    status_code=201,
    response_model=TemplateView,
    responses={k: v for k, v in _REFUSALS.items() if k not in (202, 503)},
    summary="Store a recurring journal template (balanced, over open accounts)",
)
def create_template(
    body: TemplateBody, session: SessionDep, who: Annotated[Principal, controller]
) -> TemplateView:
    """Store a recurring journal template (balanced, over open accounts)."""
    check_entity(who, body.entity_id)
    lines, memos = _keyed(body.lines)
    stored = manual_journals.create_template(
        session,
        entity_id=body.entity_id,
        code=body.code,
        memo=body.memo,
        lines=lines,
        line_memos=memos,
        currency=body.currency,
        auto_reverse=body.auto_reverse,
        created_by=who.username,
    )
    view = TemplateView.model_validate(stored)
    audit_change(
        session,
        who,
        "journal_template.created",
        "journal_template",
        str(view.id),
        None,
        view.model_dump(mode="json"),
        entity_id=body.entity_id,
    )
    session.commit()
    return view


def _template(session: Session, who: Principal, template_id: int) -> JournalTemplate:
    found = manual_journals.template(session, template_id)
    if found is None or not who.sees(found.entity_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"journal template {template_id} not found")
    return found


@router.get(
    "/journal-templates/{template_id}",
    response_model=TemplateView,
    responses=responses(404, 422),
    summary="A journal template",
)
def get_template(template_id: PathId, session: SessionDep, who: Annotated[Principal, makers]) -> TemplateView:
    """A journal template."""
    return TemplateView.model_validate(_template(session, who, template_id))


@router.post(
    "/journal-templates/{template_id}/journals",
    status_code=201,
    response_model=JournalAccepted,
    responses=_REFUSALS,
    summary="Make a template's journal for a date (it goes through approval like any manual journal)",
)
async def instantiate_template(
    template_id: PathId,
    body: InstantiateBody,
    session: SessionDep,
    who: Annotated[Principal, makers],
    client: TemporalDep,
) -> JSONResponse:
    """Make a template's journal for a date (it goes through approval like any manual journal)."""
    tpl = _template(session, who, template_id)
    ask = manual_journals.ask_from_template(
        tpl, body.posting_date, body.reversal_date, who.username, who.has_role(APPROVER_ROLE)
    )
    return await _start(session, client, who, ask)


@router.post(
    "/intercompany/charges",
    status_code=201,
    response_model=IntercompanyAccepted,
    responses=_REFUSALS,
    summary="Charge another entity of the group: the seller's receivable and the buyer's payable post together",
)
async def create_intercompany_charge(
    body: IntercompanyBody, session: SessionDep, who: Annotated[Principal, controller], client: TemporalDep
) -> JSONResponse:
    """Charge another entity of the group: the seller's receivable and the buyer's payable post together."""
    # The controller answers for both books: they must see both entities.
    check_entity(who, body.seller_entity_id)
    check_entity(who, body.buyer_entity_id)
    workflow_id = intercompany_workflow_id(body.seller_entity_id, body.reference)
    inp = IntercompanyInput(
        reference=body.reference,
        workflow_id=workflow_id,
        seller_entity_id=body.seller_entity_id,
        buyer_entity_id=body.buyer_entity_id,
        posting_date=body.posting_date,
        currency=body.currency,
        amount=body.amount,
        seller_account=body.seller_account,
        buyer_account=body.buyer_account,
        memo=body.memo or f"intercompany {body.reference}",
        actor=who.username,
    )
    # Refusals answer 409/422 naming the field.
    intercompany.check_charge(session, intercompany.charge_of(inp))
    session.close()
    return await workflow_calls.start_document(
        client,
        who,
        IntercompanyChargeWorkflow.run,
        inp,
        workflow_id=workflow_id,
        entity_id=body.seller_entity_id,
        subject="intercompany charge",
        named={"reference": body.reference, "workflow_id": workflow_id},
        created=IntercompanyAccepted(reference=body.reference, workflow_id=workflow_id, status="posted"),
        default_field="reference",
    )
