"""Temporal Schedules of the reconciliation (documents whose workflow ended): one per entity, every 15 minutes."""

from collections.abc import Sequence
from datetime import timedelta

from temporalio.client import Client

from erp.entity_schedules import EntitySchedule
from models.contracts.close import EntityInfo
from models.contracts.reconcile import ReconcileInput
from workflows.operations.reconcile import ReconciliationWorkflow

# Often enough that a terminated PO leaves an approver's inbox within the quarter hour.
CRON = "*/15 * * * *"
# A missed run is not worth catching up: the next run sees the same documents.
CATCHUP = timedelta(minutes=15)


SCHEDULE = EntitySchedule(
    prefix="reconcile",
    cron=CRON,
    catchup=CATCHUP,
    note="Temporal/PostgreSQL reconciliation",
    workflow_run=ReconciliationWorkflow.run,
    make_input=lambda e: ReconcileInput(entity_code=e.entity_code, trigger="schedule"),
    launcher_id=lambda e: f"Reconcile-{e.entity_code}",
)


def schedule_id(entity_code: str) -> str:
    """The schedule of one entity's reconciliation."""
    return SCHEDULE.schedule_id(entity_code)


async def ensure_schedules(client: Client, entities: Sequence[EntityInfo], task_queue: str) -> dict[str, str]:
    """Ensure every entity's reconciliation schedule; returns entity code -> created/updated."""
    return await SCHEDULE.ensure_all(client, entities, task_queue)
