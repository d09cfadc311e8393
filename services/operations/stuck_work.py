"""Stuck work an operator should look at: documents parked in needs_attention (PostgreSQL) and running
workflows whose activity keeps failing (Temporal), with the error each one gives."""

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text
from temporalio.client import Client

from workflows import search_attributes as sa


@dataclass(frozen=True, slots=True)
class RetryingStep:
    """An activity of a running workflow that has failed `attempt - 1` times so far."""

    workflow_id: str
    workflow_type: str
    activity: str
    attempt: int
    error: str | None
    last_failed_at: datetime | None


def parked(engine: Engine, entity_id: int) -> list[dict[str, Any]]:
    """Documents whose step failed for good: the open needs-attention tasks, oldest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                """
                SELECT id AS task_id, subject_type, subject_id, workflow_id, details->>'step' AS step,
                       details->>'error' AS error, created_at AS since
                  FROM task WHERE entity_id = :e AND status = 'open' AND kind = 'needs_attention'
                 ORDER BY created_at, id
                """
            ),
            {"e": entity_id},
        ).mappings()
        return [dict(r) for r in rows]


def entity_query(entity_id: int, code: str | None) -> str:
    """Running workflows of the entity: by its code, and by its id for workflows started before codes."""
    values = ", ".join(f'"{v}"' for v in (code, str(entity_id)) if v is not None)
    return f'ExecutionStatus = "Running" AND {sa.ENTITY.name} IN ({values})'


async def retrying(
    client: Client, entity_id: int, min_attempts: int, limit: int, code: str | None = None
) -> list[RetryingStep]:
    """Activities at `min_attempts` or more in the entity's running workflows (at most `limit` looked at)."""
    query = entity_query(entity_id, code)
    handles = []
    async for execution in client.list_workflows(query, limit=limit):
        handles.append(client.get_workflow_handle(execution.id, run_id=execution.run_id))
    described = await asyncio.gather(*(h.describe() for h in handles), return_exceptions=True)
    steps = [
        RetryingStep(
            workflow_id=d.id,
            workflow_type=d.workflow_type,
            activity=p.activity_type.name,
            attempt=p.attempt,
            error=p.last_failure.message if p.HasField("last_failure") else None,
            last_failed_at=p.last_attempt_complete_time.ToDatetime()
            if p.HasField("last_attempt_complete_time")
            else None,
        )
        for d in described
        if not isinstance(d, BaseException)
        for p in d.raw_description.pending_activities
        if p.attempt >= min_attempts
    ]
    return sorted(steps, key=lambda s: (-s.attempt, s.workflow_id))
