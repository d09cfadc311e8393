"""Operations set up the monthly close: one Temporal Schedule per entity (day 1, 00:05 Berlin time, for
the month before; overlap skip, three days of catch-up, pause on failure). Triggered now it closes last
month; backfilled over January to March 2025 it runs one close per month — each under its own id.
In the Web UI the run the schedule started says what it is (its summary names the close and the
entity), and each close says where it stands and on whom it waits (its current details)."""

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import ScheduleActionExecutionStartWorkflow, ScheduleOverlapPolicy, ScheduleRange
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from erp import schedules
from erp.settings import get_settings
from models.contracts.close import EntityInfo
from rules.periods import period_of, previous_period
from tests.close.closing import at_sign_off, decide
from tests.factories import Factory
from workflows.close.month_end import MonthEndCloseWorkflow, close_workflow_id

ZONE = "Europe/Berlin"


async def _closes(engine: Engine, entity_id: int, expected: int) -> list[str]:
    """The periods with a close run, once `expected` of them exist (schedules start asynchronously)."""
    for _ in range(300):
        with engine.connect() as c:
            periods = list(
                c.execute(
                    text("SELECT period FROM close_run WHERE entity_id = :e ORDER BY period"),
                    {"e": entity_id},
                ).scalars()
            )
        if len(periods) >= expected:
            return periods
        await asyncio.sleep(0.1)
    raise AssertionError(f"only {periods} closes started")


async def test_the_schedule_fires_for_last_month_and_a_backfill_closes_each_month(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    with engine.begin() as c:
        c.execute(text("UPDATE entity SET time_zone = :z WHERE id = :e"), {"z": ZONE, "e": entity.id})
    info = EntityInfo(entity_id=entity.id, entity_code=entity.code, currency="EUR", time_zone=ZONE)
    client = temporal_dev.client
    queue = get_settings().task_queue

    assert await schedules.ensure_schedule(client, info, queue) == "created"
    assert await schedules.ensure_schedule(client, info, queue) == "updated"
    handle = client.get_schedule_handle(schedules.schedule_id(entity.code))
    described = (await handle.describe()).schedule
    # The server stores the cron "5 0 1 * *" as a calendar: day 1, 00:05.
    [calendar] = described.spec.calendars
    assert (calendar.day_of_month, calendar.hour, calendar.minute) == (
        (ScheduleRange(1, 1),),
        (ScheduleRange(0, 0),),
        (ScheduleRange(5, 5),),
    )
    assert described.spec.time_zone_name == ZONE
    assert described.policy.overlap == ScheduleOverlapPolicy.SKIP
    assert described.policy.catchup_window == timedelta(days=3) and described.policy.pause_on_failure

    await handle.trigger()
    last_month = previous_period(period_of(datetime.now(ZoneInfo(ZONE)).date()))
    assert await _closes(engine, entity.id, 1) == [last_month]
    [fired] = (await handle.describe()).info.recent_actions
    assert isinstance(fired.action, ScheduleActionExecutionStartWorkflow)
    launcher = await client.get_workflow_handle(fired.action.workflow_id).describe()
    assert await launcher.static_summary() == f"Month-end close of {entity.code}"

    await schedules.backfill(client, info, "2025-01", "2025-03")
    periods = await _closes(engine, entity.id, 4)
    assert periods == sorted(["2025-01", "2025-02", "2025-03", last_month])

    for period in periods:
        close = client.get_workflow_handle_for(
            MonthEndCloseWorkflow.run, close_workflow_id(entity.code, period)
        )
        view = await at_sign_off(close)
        # Each close the launcher started as a child says which close it is.
        summary = await (await close.describe()).static_summary()
        assert summary is not None and summary.startswith(f"Month-end close {entity.code} {period}"), summary
        metadata = await close.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert metadata.current_details.startswith(
            f"Close {entity.code} {period}: sign_off, waiting on controller;"
        ), metadata.current_details
        await decide(close, view.tasks[0].task_id, "approve")
        assert (await close.result()).status == "closed"
    await handle.delete()
