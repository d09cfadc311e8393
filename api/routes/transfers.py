"""Transfer orders (ship -> in transit -> receive) and cycle counts (a count task per location and item set)."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlmodel import Session, col, select
from temporalio.client import Client

from api import workflow_calls
from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity, require
from api.errors import responses
from api.schemas.base import Body, Id, PathKey, examples
from api.schemas.transfers import CountView, DocumentStarted, TransferView
from models.contracts.bounds import MAX_LINES, EventDate, Quantity
from models.contracts.replenishment import (
    CountInput,
    TransferInput,
    TransferLineIn,
    TransferState,
    TransferStep,
)
from models.replenishment import CycleCount, CycleCountLine, TransferOrder, TransferOrderLine
from services.core.auth import Principal
from services.replenishment import cycle_counts, transfers
from workflows.replenishment.cycle_count import CycleCountWorkflow
from workflows.replenishment.transfer import TransferOrderWorkflow

router = APIRouter(tags=["transfers and counts"], responses=responses(401))
_TRANSFERS = workflow_calls.DocumentUpdates("transfer")
warehouse = Depends(require("warehouse", "buyer"))
Number = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[0-9]+$")]


class TransferLineBody(Body):
    """An item and quantity to move."""

    item_id: Id
    qty: Quantity


class TransferBody(Body):
    """Move stock between two locations of one entity."""

    model_config = examples(
        {"entity_id": 1, "from_location_id": 1, "to_location_id": 2, "lines": [{"item_id": 1, "qty": "12"}]}
    )

    entity_id: Id
    from_location_id: Id
    to_location_id: Id
    lines: list[TransferLineBody] = Field(min_length=1, max_length=MAX_LINES)


class StepBody(Body):
    """The day goods left or arrived (today when not given)."""

    model_config = examples({"on": "2026-11-02"}, {})

    on: EventDate | None = None


class CountBody(Body):
    """Count these items at a location (the task goes to the warehouse role)."""

    model_config = examples({"entity_id": 1, "location_id": 2, "item_ids": [1, 2, 3]})

    entity_id: Id
    location_id: Id
    item_ids: list[Id] = Field(min_length=1, max_length=1000)


@router.post(
    "/transfers",
    status_code=201,
    summary="Create a transfer order and start its workflow",
    response_model=DocumentStarted,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def create_transfer(
    body: TransferBody, session: SessionDep, who: Annotated[Principal, warehouse], client: TemporalDep
) -> JSONResponse:
    """Check the locations and items, number the transfer and start its workflow (it waits for the goods to leave).
    Warehouse and buyers."""
    check_entity(who, body.entity_id)
    inp = TransferInput(
        number="0",
        workflow_id="",
        entity_id=body.entity_id,
        from_location_id=body.from_location_id,
        to_location_id=body.to_location_id,
        requested_by=who.username,
        lines=[TransferLineIn(item_id=ln.item_id, qty=ln.qty) for ln in body.lines],
    )
    transfers.validate(session, inp)  # a RuleViolation answers 422 naming the field
    number = transfers.next_number(session)
    session.commit()
    session.close()
    inp = inp.model_copy(update={"number": number, "workflow_id": f"TO-{number}"})
    named = {"number": number, "workflow_id": inp.workflow_id, "status": "draft"}
    return await workflow_calls.start_document(
        client,
        who,
        TransferOrderWorkflow.run,
        inp,
        workflow_id=inp.workflow_id,
        entity_id=inp.entity_id,
        subject="transfer",
        named=named,
    )


def _transfer(session: Session, who: Principal, number: str) -> TransferOrder:
    head = session.exec(select(TransferOrder).where(col(TransferOrder.number) == number)).first()
    if head is None or not who.sees(head.entity_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"transfer {number} not found")
    return head


@router.get(
    "/transfers/{number}",
    summary="A transfer order with its lines",
    response_model=TransferView,
    responses=responses(404, 422),
)
def get_transfer(number: PathKey, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """A transfer order of your entities with its lines and the cost they left at."""
    head = _transfer(session, who, number)
    lines = session.exec(
        select(TransferOrderLine)
        .where(col(TransferOrderLine.transfer_id) == head.id)
        .order_by(col(TransferOrderLine.line_no))
    )
    return {**head.model_dump(), "lines": [line.model_dump() for line in lines]}


async def _step(
    session: Session, who: Principal, client: Client, number: str, body: StepBody, update: Any, name: str
) -> JSONResponse:
    """Send a transfer step (ship, receive) dated today unless the body says otherwise; once per transfer."""
    head = _transfer(session, who, number)
    session.close()
    step = TransferStep(number=number, actor=who.username, on=body.on or date.today())
    return await _TRANSFERS.send(client, head, who, update, step, f"{name}-{number}")


@router.post(
    "/transfers/{number}/ship",
    summary="The goods left the source (stock goes in transit)",
    response_model=TransferState,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def ship(
    number: PathKey,
    body: StepBody,
    session: SessionDep,
    who: Annotated[Principal, warehouse],
    client: TemporalDep,
) -> JSONResponse:
    """The goods left the source: stock moves to the in-transit location at its cost."""
    return await _step(session, who, client, number, body, TransferOrderWorkflow.ship, "ship")


@router.post(
    "/transfers/{number}/receive",
    summary="The goods arrived at the destination",
    response_model=TransferState,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def receive(
    number: PathKey,
    body: StepBody,
    session: SessionDep,
    who: Annotated[Principal, warehouse],
    client: TemporalDep,
) -> JSONResponse:
    """The goods arrived: stock moves from in transit to the destination; the transfer is done."""
    return await _step(session, who, client, number, body, TransferOrderWorkflow.receive, "receive")


@router.post(
    "/cycle-counts",
    status_code=201,
    summary="Open a count task for a location and an item set",
    response_model=DocumentStarted,
    responses=responses(403, 404, 409, 422, 503, accepted=True),
)
async def create_count(
    body: CountBody, session: SessionDep, who: Annotated[Principal, warehouse], client: TemporalDep
) -> JSONResponse:
    """Start a cycle count: a count task goes to the warehouse role; the counted quantities post the differences."""
    check_entity(who, body.entity_id)
    inp = CountInput(
        number="0",
        workflow_id="",
        entity_id=body.entity_id,
        location_id=body.location_id,
        item_ids=body.item_ids,
        requested_by=who.username,
    )
    cycle_counts.validate(session, inp)  # a RuleViolation answers 422 naming the field
    number = cycle_counts.next_number(session)
    session.commit()
    session.close()
    inp = inp.model_copy(update={"number": number, "workflow_id": f"CC-{number}"})
    named = {"number": number, "workflow_id": inp.workflow_id, "status": "open"}
    return await workflow_calls.start_document(
        client,
        who,
        CycleCountWorkflow.run,
        inp,
        workflow_id=inp.workflow_id,
        entity_id=inp.entity_id,
        subject="cycle count",
        named=named,
    )


@router.get(
    "/cycle-counts/{number}",
    summary="A cycle count: counted vs book quantity per item",
    response_model=CountView,
    responses=responses(404, 422),
)
def get_count(number: Number, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """A cycle count of your entities: book vs counted quantity, the difference and its value per item."""
    head = session.exec(select(CycleCount).where(col(CycleCount.number) == number)).first()
    if head is None or not who.sees(head.entity_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"cycle count {number} not found")
    lines = session.exec(
        select(CycleCountLine)
        .where(col(CycleCountLine.count_id) == head.id)
        .order_by(col(CycleCountLine.item_id))
    )
    return {**head.model_dump(), "lines": [line.model_dump() for line in lines]}
