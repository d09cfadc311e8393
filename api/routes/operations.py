"""What an operator looks at first: work that does not move, and why."""

import asyncio
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.encoders import jsonable_encoder
from temporalio.service import RPCError

from api import workflow_calls
from api.deps import TemporalDep, check_entity, require
from api.errors import responses
from api.schemas.base import QueryId
from api.schemas.operations import StuckWork
from erp.db import app_engine
from services.core import search_codes
from services.core.auth import Principal
from services.operations import stuck_work

router = APIRouter(prefix="/operations", tags=["operations"], responses=responses(401))
supervisor = Depends(require("admin", "controller"))


@router.get(
    "/stuck",
    summary="Stuck work: parked documents, and activities failing again and again, with the error",
    response_model=StuckWork,
    responses=responses(403, 404, 422, 503),
)
async def stuck(
    entity_id: QueryId,
    client: TemporalDep,
    min_attempts: Annotated[
        int, Query(ge=2, le=1000, description="list activities at this attempt or later")
    ] = 3,
    limit: Annotated[int, Query(ge=1, le=1000, description="running workflows looked at")] = 200,
    who: Principal = supervisor,
) -> dict[str, Any]:
    """An entity's documents parked in needs-attention, and running workflows whose activity keeps failing."""
    check_entity(who, entity_id)
    parked = await asyncio.to_thread(stuck_work.parked, app_engine(), entity_id)
    try:
        code = await asyncio.to_thread(search_codes.entity_code, app_engine(), entity_id)
        retrying = await stuck_work.retrying(client, entity_id, min_attempts, limit, code)
    except RPCError as exc:
        raise workflow_calls.unavailable(exc) from exc
    return jsonable_encoder({"parked": parked, "retrying": [asdict(r) for r in retrying]})  # type: ignore[no-any-return]
