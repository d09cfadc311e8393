"""Foresight: the 13-week cash forecast (JSON, CSV, drill-down), the exception radar, master-data quality."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from fastapi.responses import JSONResponse, Response
from pydantic import ConfigDict, Field
from sqlalchemy import text
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import PrincipalDep, SessionDep, TemporalDep, check_entity, require
from api.downloads import csv_download
from api.errors import responses
from api.schemas.base import Body, Id, QueryId
from api.schemas.foresight import (
    CashDrilldown,
    CashForecast,
    ChannelSettlementView,
    CheckStarted,
    DataQualityReport,
    Radar,
    StockMinimumView,
)
from erp.settings import get_settings
from models.contracts.bounds import QuantityOrZero
from models.contracts.foresight import DataQualityInput
from models.contracts.summaries import summary_of
from rules.cash_forecast import Category, Granularity
from rules.data_quality import RULES
from rules.errors import RuleViolation
from services.core import channels
from services.core.audit_log import audit_change
from services.core.auth import Principal
from services.foresight import cash as foresight_cash
from services.foresight import data_quality
from services.foresight import radar as foresight_radar
from workflows.foresight.data_quality import DataQualityCheckWorkflow, data_quality_workflow_id

router = APIRouter(prefix="/foresight", tags=["foresight"], responses=responses(401, 422))
finance = Depends(require("controller", "ap_clerk"))
Controller = Annotated[Principal, Depends(require("controller"))]
# Dates outside this range are typos, and 13 weeks after the last day a date can hold would overflow.
_FIRST, _LAST = date(2000, 1, 1), date(2999, 12, 31)
AsOf = Annotated[date | None, Query(description="First day of the forecast (default today)")]
By = Annotated[Granularity, Query(description="Buckets of one day or of seven days from as_of")]
Currency = Annotated[str, Query(pattern=r"^[A-Z]{3}$", examples=["EUR"])]


def _day(field: str, value: date | None) -> date:
    day = value or date.today()
    if not _FIRST <= day <= _LAST:
        raise RuleViolation(field, f"must be between {_FIRST} and {_LAST}")
    return day


@router.get(
    "/cash",
    summary="13-week cash forecast per currency by day or week, with each bucket's documents",
    response_model=CashForecast,
    responses=responses(403, 404),
)
def cash(
    session: SessionDep, entity_id: QueryId, as_of: AsOf = None, by: By = "week", who: Principal = finance
) -> dict[str, Any]:
    """Per currency, every day or week of the next 13 weeks: supplier payments, committed spend, customer receipts and
    refunds, net, cumulative, and the documents behind each figure. Controllers and AP."""
    check_entity(who, entity_id)
    return foresight_cash.cash_forecast(session, entity_id, _day("as_of", as_of), by)


@router.get(
    "/cash.csv",
    summary="The cash forecast as CSV (one row per currency and bucket)",
    response_class=Response,
    responses={
        **responses(403, 404),
        200: {
            "content": {"text/csv": {"schema": {"type": "string"}}},
            "description": "One row per currency and bucket",
        },
    },
)
def cash_csv(
    session: SessionDep, entity_id: QueryId, as_of: AsOf = None, by: By = "week", who: Principal = finance
) -> Response:
    """The cash forecast as a spreadsheet: one row per currency and bucket, the documents counted."""
    check_entity(who, entity_id)
    day = _day("as_of", as_of)
    rows = foresight_cash.csv_rows(foresight_cash.cash_forecast(session, entity_id, day, by))
    return csv_download(rows, f"cash-forecast-{day}-{by}")


@router.get(
    "/cash/drilldown",
    summary="The documents behind a forecast figure (currency, days, category)",
    response_model=CashDrilldown,
    responses=responses(403, 404),
)
def cash_drilldown(
    session: SessionDep,
    entity_id: QueryId,
    currency: Currency,
    start: date,
    end: date,
    as_of: AsOf = None,
    category: Category | None = None,
    who: Principal = finance,
) -> dict[str, Any]:
    """The documents behind one forecast figure: a currency, a date range and optionally a category."""
    check_entity(who, entity_id)
    day = _day("as_of", as_of)
    return foresight_cash.drilldown(
        session, entity_id, day, currency, _day("start", start), _day("end", end), category
    )


@router.get(
    "/radar",
    summary="What needs attention now: counts, ages and records per exception category",
    response_model=Radar,
    responses=responses(404),
)
def radar(session: SessionDep, who: PrincipalDep, entity_id: QueryId, as_of: AsOf = None) -> dict[str, Any]:
    """Exception categories (late POs, stuck orders, unmatched invoices, return spikes, stock under minimum, ...) with
    counts, ages and the records, oldest first."""
    check_entity(who, entity_id)
    return foresight_radar.radar(session, entity_id, _day("as_of", as_of))


@router.get(
    "/data-quality",
    summary="Master-data problems with the offending records, owners and tasks",
    response_model=DataQualityReport,
    responses=responses(404),
)
def data_quality_problems(
    session: SessionDep,
    who: PrincipalDep,
    entity_id: QueryId,
    problem_status: Annotated[str, Query(alias="status", pattern="^(open|fixed|all)$")] = "open",
    rule: Annotated[str | None, Query(description=f"one of {sorted(RULES)}")] = None,
) -> dict[str, Any]:
    """Master-data problems of an entity (open, fixed or all, one rule or all) with the offending record, its owner
    role and task."""
    check_entity(who, entity_id)
    if rule is not None and rule not in RULES:
        raise RuleViolation("rule", f"unknown rule; use one of {sorted(RULES)}")
    found = data_quality.problems(
        session, entity_id, None if problem_status == "all" else problem_status, rule
    )
    by_rule: dict[str, int] = {}
    for p in found:
        by_rule[p["rule"]] = by_rule.get(p["rule"], 0) + 1
    return {"entity_id": entity_id, "status": problem_status, "counts": by_rule, "problems": found}


class CheckBody(Body):
    """Run the entity's master-data quality check now (the schedule runs it every morning)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"entity_id": 1}]})

    entity_id: Id


@router.post(
    "/data-quality/checks",
    status_code=202,
    summary="Run the master-data quality check now (admin, controller)",
    response_model=CheckStarted,
    responses={
        **responses(403, 404, 503),
        200: {"model": CheckStarted, "description": "Already run today: nothing new started"},
    },
)
async def run_check(
    body: CheckBody, session: SessionDep, who: Controller, client: TemporalDep
) -> JSONResponse:
    """Run the entity's master-data check now; problems open tasks for their owners, fixed ones close them.
    Controllers."""
    check_entity(who, body.entity_id)
    code = foresight_cash.entity_code(session, body.entity_id)
    session.close()
    today = date.today()
    workflow_id = data_quality_workflow_id(code, today.isoformat())
    started = True
    try:
        await client.start_workflow(
            DataQualityCheckWorkflow.run,
            DataQualityInput(entity_code=code, day=today, trigger="manual"),
            static_summary=summary_of(DataQualityInput(entity_code=code, day=today, trigger="manual")),
            id=workflow_id,
            task_queue=get_settings().task_queue,
        )
    except WorkflowAlreadyStartedError:
        started = False
    return JSONResponse(
        {"workflow_id": workflow_id, "entity_code": code, "day": today.isoformat(), "started": started},
        status_code=202 if started else 200,
    )


class ChannelSettlementBody(Body):
    """Days from shipment until the channel pays out (marketplace settlement cycle, or customer terms)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"settlement_days": 14}]})

    settlement_days: int = Field(ge=0, le=365)


@router.put(
    "/channels/{code}/settlement",
    summary="Set a channel's settlement cycle (audited)",
    response_model=ChannelSettlementView,
    responses=responses(403, 404),
)
def put_settlement(
    code: Annotated[str, Path(max_length=30)],
    body: ChannelSettlementBody,
    session: SessionDep,
    who: Principal = Depends(require("controller")),
) -> dict[str, Any]:
    """Days from shipment until the channel pays out, used by the cash forecast (audited). Controllers."""
    conn = session.connection()
    channel = channels.by_code(session, code, archived_too=True)
    if channel is None or channel.id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"channel {code} not found")
    channel_id, entity_id = channel.id, channel.entity_id
    check_entity(who, entity_id)
    before = conn.execute(
        text("SELECT settlement_days FROM foresight_channel_setting WHERE channel_id = :c"), {"c": channel_id}
    ).scalar()
    conn.execute(
        text(
            """
            INSERT INTO foresight_channel_setting (channel_id, settlement_days, updated_by) VALUES (:c, :d, :u)
            ON CONFLICT (channel_id) DO UPDATE SET settlement_days = EXCLUDED.settlement_days,
                   updated_by = EXCLUDED.updated_by
            """
        ),
        {"c": channel_id, "d": body.settlement_days, "u": who.username},
    )
    audit_change(
        session,
        who,
        "ChannelCashSetting.update",
        "Channel",
        str(channel_id),
        None if before is None else {"settlement_days": before},
        {"settlement_days": body.settlement_days},
        entity_id,
    )
    session.commit()
    return {"channel": code, "settlement_days": body.settlement_days}


class MinimumBody(Body):
    """The least an item should hold at a location (on hand less reserved) before the radar shows it."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"item_id": 1, "location_id": 1, "min_qty": "10"}]}
    )

    item_id: Id
    location_id: Id
    min_qty: QuantityOrZero


@router.put(
    "/stock-minimums",
    summary="Set an item's minimum at a location (audited)",
    response_model=StockMinimumView,
    responses=responses(403, 404),
)
def put_minimum(
    body: MinimumBody, session: SessionDep, who: Principal = Depends(require("buyer", "warehouse"))
) -> dict[str, Any]:
    """The least an item should hold at a location before the radar shows it (audited). Buyers and warehouse."""
    conn = session.connection()
    entity = conn.execute(
        text("SELECT entity_id FROM location WHERE id = :l"), {"l": body.location_id}
    ).scalar()
    if entity is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"location {body.location_id} not found")
    check_entity(who, int(entity))
    if conn.execute(text("SELECT 1 FROM item WHERE id = :i"), {"i": body.item_id}).first() is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"item {body.item_id} not found")
    before = conn.execute(
        text("SELECT min_qty FROM foresight_stock_minimum WHERE item_id = :i AND location_id = :l"),
        {"i": body.item_id, "l": body.location_id},
    ).scalar()
    conn.execute(
        text(
            """
            INSERT INTO foresight_stock_minimum (item_id, location_id, min_qty, updated_by) VALUES (:i, :l, :q, :u)
            ON CONFLICT (item_id, location_id) DO UPDATE SET min_qty = EXCLUDED.min_qty, updated_by = EXCLUDED.updated_by
            """
        ),
        {"i": body.item_id, "l": body.location_id, "q": body.min_qty, "u": who.username},
    )
    audit_change(
        session,
        who,
        "StockMinimum.update",
        "Item",
        str(body.item_id),
        None if before is None else {"location_id": body.location_id, "min_qty": str(before)},
        {"location_id": body.location_id, "min_qty": str(body.min_qty)},
        int(entity),
    )
    session.commit()
    return {"item_id": body.item_id, "location_id": body.location_id, "min_qty": str(body.min_qty)}
