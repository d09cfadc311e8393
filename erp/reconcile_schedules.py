"""Temporal Schedules of the reconciliation (documents whose workflow ended): one per entity, every 15 minutes."""

from datetime import timedelta

from erp.entity_schedules import EntitySchedule
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

# What the CLI and the tests call: the schedule id of an entity, ensure one entity's schedule, ensure every one's.
schedule_id = SCHEDULE.schedule_id
ensure_schedules = SCHEDULE.ensure_all
