"""Month-end close: start a close by hand, request accruals, read runs with their checklist."""

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi.responses import JSONResponse
from pydantic import Field
from sqlalchemy import text
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import SessionDep, TemporalDep, check_entity, require
from api.errors import responses
from api.schemas.base import Body, Id, QueryId, examples, many
from api.schemas.close import AccrualRequested, CloseRunItem, CloseRunView, CloseStarted
from erp.settings import get_settings
from models.contracts.bounds import MAX_AMOUNT, PERIOD_PATTERN
from models.contracts.close import CloseInput
from models.contracts.summaries import summary_of
from models.master import Entity
from rules.accounts import ACCOUNT_TYPE, AccountRole
from rules.periods import period_bounds
from services.close import runs as close_runs
from services.core.auth import Principal
from workflows.close.month_end import MonthEndCloseWorkflow, close_workflow_id

router = APIRouter(prefix="/close", tags=["close"], responses=responses(401, 403, 422))
controller = Depends(require("controller"))
finance = Depends(require("controller", "ap_clerk"))
PERIOD = PERIOD_PATTERN
_ACCRUABLE = [
    *sorted(str(r) for r, kind in ACCOUNT_TYPE.items() if kind == "expense"),
    str(AccountRole.INVENTORY),
]


class CloseBody(Body):
    """Close an entity's period now (the schedule does it on day 1 for the previous month)."""

    model_config = examples({"entity_id": 1, "period": "2026-06"})

    entity_id: Id
    period: str = Field(pattern=PERIOD, examples=["2026-10"])


class AccrualBody(Body):
    """A bill to receive: accrued at period end and reversed on day 1 of the next period."""

    model_config = examples(
        {
            "entity_id": 1,
            "period": "2026-06",
            "description": "June electricity, stores",
            "expense_role": "accrued_expense",
            "amount": "1840.00",
        }
    )

    entity_id: Id
    period: str = Field(pattern=PERIOD, examples=["2026-10"])
    description: str = Field(min_length=1, max_length=200, examples=["October electricity"])
    expense_role: str = Field(
        default="accrued_expense", max_length=40, examples=["accrued_expense", "freight_expense"]
    )
    amount: Decimal = Field(
        gt=0, le=MAX_AMOUNT, max_digits=16, decimal_places=2, allow_inf_nan=False, examples=["250.00"]
    )


def _entity_code(session: SessionDep, entity_id: int) -> str:
    entity = session.get(Entity, entity_id)
    if entity is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found")
    return entity.code


@router.post(
    "/runs",
    status_code=202,
    summary="Start (or re-run) the close of an entity's period",
    response_model=CloseStarted,
    responses={
        **responses(404, 503),
        200: {"model": CloseStarted, "description": "The period's close exists already: nothing new started"},
    },
)
async def start_close(
    body: CloseBody, session: SessionDep, who: Annotated[Principal, controller], client: TemporalDep
) -> JSONResponse:
    """Start the close workflow of an entity's period: its checklist runs, differences open tasks, and the controller
    signs off in the inbox. Controllers."""
    check_entity(who, body.entity_id)
    period_bounds(body.period)
    code = _entity_code(session, body.entity_id)
    session.close()
    workflow_id = close_workflow_id(code, body.period)
    started = True
    try:
        close = CloseInput(entity_code=code, period=body.period, trigger="manual", requested_by=who.username)
        await client.start_workflow(
            MonthEndCloseWorkflow.run,
            close,
            id=workflow_id,
            task_queue=get_settings().task_queue,
            static_summary=summary_of(close),
        )
    except WorkflowAlreadyStartedError:
        started = False
    return JSONResponse(
        {"workflow_id": workflow_id, "entity_code": code, "period": body.period, "started": started},
        status_code=202 if started else 200,
    )


@router.post(
    "/accruals",
    status_code=201,
    summary="Request a month-end accrual (bill to receive)",
    response_model=AccrualRequested,
    responses=responses(404),
)
def request_accrual(body: AccrualBody, session: SessionDep, who: Principal = controller) -> dict[str, Any]:
    """A bill to receive for the period: accrued at period end by the close, reversed on day 1 of the next period.
    Controllers."""
    check_entity(who, body.entity_id)
    if body.expense_role not in _ACCRUABLE:
        raise HTTPException(
            422,
            [
                {
                    "loc": ["body", "expense_role"],
                    "msg": f"must be one of {_ACCRUABLE}",
                    "type": "rule_violation",
                }
            ],
        )
    _entity_code(session, body.entity_id)
    n = close_runs.request_accrual(
        session,
        entity_id=body.entity_id,
        period=body.period,
        description=body.description,
        expense_role=body.expense_role,
        amount=body.amount,
        requested_by=who.username,
    )
    session.commit()
    return {"entity_id": body.entity_id, "period": body.period, "n": n, "status": "requested"}


@router.get(
    "/runs",
    summary="Close runs of an entity, newest period first, with their cycle time",
    response_model=many(CloseRunItem),
    responses=responses(404),
)
def list_runs(
    session: SessionDep,
    entity_id: QueryId,
    who: Principal = finance,
    limit: int = Query(24, ge=1, le=240),
) -> list[dict[str, Any]]:
    """Close runs of one of your entities, newest period first, with their status and cycle time."""
    check_entity(who, entity_id)
    rows = session.connection().execute(
        text(
            """
            SELECT period, workflow_id, trigger, status, round, started_at, finished_at, duration_seconds,
                   signed_off_by
              FROM close_run WHERE entity_id = :e ORDER BY period DESC LIMIT :lim
            """
        ),
        {"e": entity_id, "lim": limit},
    )
    return [dict(r._mapping) for r in rows]


@router.get(
    "/runs/{entity_id}/{period}",
    summary="One close: checklist, differences and statements",
    response_model=CloseRunView,
    responses=responses(404),
)
def get_run(entity_id: int, period: str, session: SessionDep, who: Principal = finance) -> dict[str, Any]:
    """One close: its checklist per round, the differences found and the statements at sign-off."""
    check_entity(who, entity_id)
    conn = session.connection()
    run = conn.execute(
        text(
            "SELECT id, period, workflow_id, trigger, status, round, started_at, finished_at, duration_seconds,"
            " signed_off_by, statements FROM close_run WHERE entity_id = :e AND period = :p"
        ),
        {"e": entity_id, "p": period},
    ).first()
    if run is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no close of period {period}")
    steps = conn.execute(
        text(
            "SELECT round, seq, step, started_at, finished_at, outcome, details FROM close_step"
            " WHERE run_id = :r ORDER BY round, seq"
        ),
        {"r": run.id},
    )
    diffs = conn.execute(
        text(
            "SELECT round, check_name, subledger, control, difference, documents, task_id FROM close_difference"
            " WHERE run_id = :r ORDER BY round, id"
        ),
        {"r": run.id},
    )
    return {
        **{k: v for k, v in run._mapping.items() if k != "id"},
        "checklist": [dict(s._mapping) for s in steps],
        "differences": [dict(d._mapping) for d in diffs],
    }
