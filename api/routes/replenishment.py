"""Replenishment endpoints: run a day by hand, read runs and the figures behind a suggestion, set planning
parameters and category budgets, rebalancing suggestions, and the rolling supplier scorecard."""

from dataclasses import asdict
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import Field
from sqlalchemy import text
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from api import workflow_calls
from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity, require
from api.errors import responses
from api.schemas.base import Body, Id, PathId, QueryId, examples, many
from api.schemas.replenishment import (
    BudgetView,
    ParamView,
    PlanningFigures,
    RollingScorecard,
    RunItem,
    RunStarted,
    RunView,
    TransferSuggestion,
)
from erp.settings import get_settings
from models.contracts.bounds import (
    DATE_CEILING,
    DATE_FLOOR,
    PERIOD_PATTERN,
    Amount,
    EventDate,
    QuantityOrZero,
)
from models.contracts.replenishment import ReplenishmentRunInput
from models.contracts.summaries import summary_of
from models.master import Entity
from models.replenishment import ReplenishmentRun
from services.core.audit_log import audit_change
from services.core.auth import Principal
from services.purchasing import supplier_scorecard
from services.replenishment import rebalance as replenishment_rebalance
from services.replenishment.settings import load_setting
from services.replenishment.stats import statistics
from workflows.replenishment.daily_run import ReplenishmentRunWorkflow, run_workflow_id

router = APIRouter(tags=["replenishment"], responses=responses(401, 422))
buyer = Depends(require("buyer"))
# The budget is a control on buyers: those it limits do not set it.
budget_owner = Depends(require("controller", "admin"))
# Plausible business dates only: the planning SQL does date arithmetic on them.
QueryDate = Annotated[date | None, Query(ge=DATE_FLOOR, le=DATE_CEILING)]
Level = Annotated[Decimal, Field(gt=0, lt=1, max_digits=5, decimal_places=4, allow_inf_nan=False)]


class RunBody(Body):
    """Run one entity's replenishment for a day (today when no date is given)."""

    model_config = examples({"entity_id": 1, "run_date": "2026-11-02"})

    entity_id: Id
    run_date: EventDate | None = None  # a run orders as of its day: never a future day's POs


class ParamBody(Body):
    """Planning parameters of an item at a location (missing fields: the entity's defaults)."""

    model_config = examples(
        {"item_id": 1, "location_id": 2, "service_level": "0.98", "min_order_qty": "24", "review_days": 7}
    )

    item_id: Id
    location_id: Id
    service_level: Level | None = None
    min_order_qty: QuantityOrZero = Decimal(0)
    review_days: int | None = Field(default=None, ge=0, le=365)
    reorder_enabled: bool = True
    supplier_id: Id | None = None


class BudgetBody(Body):
    """A category's monthly purchasing budget in the entity's currency."""

    model_config = examples({"entity_id": 1, "category": "apparel", "period": "2026-11", "amount": "25000"})

    entity_id: Id
    category: str = Field(min_length=1, max_length=60)
    period: str = Field(pattern=PERIOD_PATTERN, examples=["2026-11"])
    amount: Amount


def _entity_code(session: SessionDep, who: Principal, entity_id: int) -> str:
    check_entity(who, entity_id)
    entity = session.get(Entity, entity_id)
    if entity is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found")
    return entity.code


@router.post(
    "/replenishment/runs",
    status_code=201,
    summary="Run an entity's replenishment for a day now",
    response_model=RunStarted,
    responses=responses(403, 404, 409, 503),
)
async def start_run(
    body: RunBody, session: SessionDep, who: Annotated[Principal, buyer], client: TemporalDep
) -> dict[str, Any]:
    """Plan an entity's day now: demand, lead times, safety stock and reorder points per item-location, draft POs per
    supplier (over-budget drafts wait for a buyer). Buyers."""
    code = _entity_code(session, who, body.entity_id)
    session.close()
    day = body.run_date or date.today()
    workflow_id = run_workflow_id(code, day.isoformat())
    try:
        run = ReplenishmentRunInput(entity_code=code, run_date=day, trigger="manual")
        await client.start_workflow(
            ReplenishmentRunWorkflow.run,
            run,
            id=workflow_id,
            task_queue=get_settings().task_queue,
            static_summary=summary_of(run),
        )
    except WorkflowAlreadyStartedError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, f"{workflow_id} is running already") from exc
    except RPCError as exc:
        raise workflow_calls.unavailable(exc) from exc
    return {"workflow_id": workflow_id, "entity_code": code, "run_date": day}


@router.get(
    "/replenishment/runs",
    summary="Replenishment runs of an entity, newest first",
    response_model=many(RunItem),
    responses=responses(404),
)
def list_runs(
    session: SessionDep, who: PrincipalDep, entity_id: QueryId, limit: int = Query(30, ge=1, le=365)
) -> list[dict[str, Any]]:
    """Replenishment runs of one of your entities, newest day first, with how many item-locations and suggestions."""
    check_entity(who, entity_id)
    rows = session.connection().execute(
        text(
            "SELECT id, run_date, workflow_id, item_locations, suggestions, seconds FROM replenishment_run"
            " WHERE entity_id = :e ORDER BY run_date DESC LIMIT :n"
        ),
        {"e": entity_id, "n": limit},
    )
    return [dict(r) for r in rows.mappings()]


@router.get(
    "/replenishment/runs/{run_id}",
    summary="A run: its draft POs (with budget verdicts) and suggestions",
    response_model=RunView,
    responses=responses(404),
)
def get_run(run_id: PathId, session: SessionDep, who: PrincipalDep) -> dict[str, Any]:
    """A run with its draft POs (budget verdicts, tasks) and its order suggestions with their figures."""
    head = session.get(ReplenishmentRun, run_id)
    if head is None or not who.sees(head.entity_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"run {run_id} not found")
    conn = session.connection()
    drafts = conn.execute(
        text(
            "SELECT supplier_id, po_number, total_func, over_budget, status, budget, task_id, decided_by"
            " FROM replenishment_draft WHERE run_id = :r ORDER BY supplier_id"
        ),
        {"r": run_id},
    )
    suggestions = conn.execute(
        text(
            "SELECT item_id, location_id, supplier_id, mean_daily, sigma_daily, lead_time_mean, lead_time_var, z,"
            " safety_stock, reorder_point, projected, order_qty, po_number FROM replenishment_suggestion"
            " WHERE run_id = :r ORDER BY item_id, location_id LIMIT 5000"
        ),
        {"r": run_id},
    )
    return {
        **head.model_dump(),
        "drafts": [dict(r) for r in drafts.mappings()],
        "suggestions": [dict(r) for r in suggestions.mappings()],
    }


@router.get(
    "/replenishment/explain",
    summary="Demand, lead time, safety stock, reorder point of an item",
    response_model=many(PlanningFigures),
    responses=responses(404),
)
def explain(
    session: SessionDep, who: PrincipalDep, entity_id: QueryId, item_id: QueryId, as_of: QueryDate = None
) -> list[dict[str, Any]]:
    """The planning figures of one item at each location: why it is (or is not) suggested."""
    check_entity(who, entity_id)
    found = statistics(session, entity_id, as_of or date.today(), load_setting(session, entity_id), item_id)
    return [asdict(r) for r in found]


@router.get(
    "/replenishment/rebalance",
    summary="Suggested transfers from locations with surplus to short ones",
    response_model=many(TransferSuggestion),
    responses=responses(404),
)
def rebalance(
    session: SessionDep, who: PrincipalDep, entity_id: QueryId, as_of: QueryDate = None
) -> list[dict[str, Any]]:
    """Transfers from locations above their target to locations at or below their reorder point, in whole units."""
    check_entity(who, entity_id)
    return replenishment_rebalance.suggestions(session, entity_id, as_of or date.today())


@router.put(
    "/replenishment/params",
    summary="Set an item-location's planning parameters",
    response_model=ParamView,
    responses=responses(403, 404),
)
def put_param(body: ParamBody, session: SessionDep, who: Principal = buyer) -> dict[str, Any]:
    """Service level, minimum order, review period, reorder switch and fixed supplier of an item at a location.
    Buyers."""
    conn = session.connection()
    loc = conn.execute(text("SELECT entity_id FROM location WHERE id = :l"), {"l": body.location_id}).scalar()
    if loc is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "location not found")
    check_entity(who, int(loc))
    if conn.execute(text("SELECT 1 FROM item WHERE id = :i"), {"i": body.item_id}).first() is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "item not found")
    if body.supplier_id is not None and (
        conn.execute(text("SELECT 1 FROM supplier WHERE id = :s"), {"s": body.supplier_id}).first() is None
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "supplier not found")
    conn.execute(
        text(
            """
            INSERT INTO replenishment_param (item_id, location_id, service_level, min_order_qty, review_days,
                                             reorder_enabled, supplier_id)
            VALUES (:item_id, :location_id, :service_level, :min_order_qty, :review_days, :reorder_enabled,
                    :supplier_id)
            ON CONFLICT (item_id, location_id) DO UPDATE SET service_level = EXCLUDED.service_level,
              min_order_qty = EXCLUDED.min_order_qty, review_days = EXCLUDED.review_days,
              reorder_enabled = EXCLUDED.reorder_enabled, supplier_id = EXCLUDED.supplier_id
            """
        ),
        body.model_dump(),
    )
    session.commit()
    return body.model_dump(mode="json")


@router.put(
    "/replenishment/budgets",
    summary="Set a category's monthly purchasing budget (controller, admin)",
    response_model=BudgetView,
    responses=responses(403, 404),
)
def put_budget(body: BudgetBody, session: SessionDep, who: Principal = budget_owner) -> dict[str, Any]:
    """A category's monthly purchasing budget; POs over it need the review level (audited). Controllers and admins."""
    _entity_code(session, who, body.entity_id)
    key = {"e": body.entity_id, "c": body.category, "p": body.period}
    before = (
        session.connection()
        .execute(
            text("SELECT amount FROM category_budget WHERE entity_id = :e AND category = :c AND period = :p"),
            key,
        )
        .scalar()
    )
    session.connection().execute(
        text(
            "INSERT INTO category_budget (entity_id, category, period, amount) VALUES (:entity_id, :category,"
            " :period, :amount) ON CONFLICT (entity_id, category, period) DO UPDATE SET amount = EXCLUDED.amount"
        ),
        body.model_dump(),
    )
    audit_change(
        session,
        who,
        "category_budget.set",
        "category_budget",
        f"{body.entity_id}:{body.category}:{body.period}",
        None if before is None else {"amount": str(before)},
        {"amount": str(body.amount)},
        body.entity_id,
    )
    session.commit()
    return body.model_dump(mode="json")


@router.get(
    "/replenishment/supplier-scorecard",
    summary="Rolling supplier scores; below threshold = extra approval",
    response_model=RollingScorecard,
    responses=responses(404),
)
def scorecard(
    session: SessionDep, who: PrincipalDep, entity_id: QueryId, as_of: QueryDate = None
) -> dict[str, Any]:
    """Rolling supplier scores (on time, fill rate, lead time, price variance, match rate); below the threshold a PO
    needs an extra approval."""
    check_entity(who, entity_id)
    return supplier_scorecard.rolling_scorecard(session, entity_id, as_of or date.today())
