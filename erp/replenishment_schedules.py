"""Temporal Schedules of the daily replenishment: one per entity, created or updated idempotently."""

from datetime import timedelta

from erp.entity_schedules import EntitySchedule
from models.contracts.replenishment import ReplenishmentRunInput
from workflows.replenishment.daily_run import ReplenishmentRunWorkflow

# 03:30 local: after the night's sales are shipped and before buyers start their day.
CRON = "30 3 * * *"
# A missed day is still worth running the same day; older ones are superseded by the next run.
CATCHUP = timedelta(hours=12)


SCHEDULE = EntitySchedule(
    prefix="replenishment",
    cron=CRON,
    catchup=CATCHUP,
    note="daily replenishment",
    workflow_run=ReplenishmentRunWorkflow.run,
    make_input=lambda e: ReplenishmentRunInput(entity_code=e.entity_code, run_date=None, trigger="schedule"),
    launcher_id=lambda e: f"ReplenishLauncher-{e.entity_code}",
)

# What the CLI and the tests call: the schedule id of an entity, ensure one entity's schedule, ensure every one's.
schedule_id = SCHEDULE.schedule_id
ensure_schedule = SCHEDULE.ensure
ensure_schedules = SCHEDULE.ensure_all
