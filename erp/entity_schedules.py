"""One mechanism for every per-entity Temporal Schedule (close, replenishment, data quality): built in
the entity's time zone, overlap skip, pause on failure, created or updated idempotently."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from models.contracts.close import EntityInfo


@dataclass(frozen=True)
class EntitySchedule:
    """What differs between per-entity schedules: id prefix, cron, catch-up, note and what to start."""

    prefix: str
    cron: str
    catchup: timedelta
    note: str
    workflow_run: Callable[..., Any]
    make_input: Callable[[EntityInfo], Any]
    launcher_id: Callable[[EntityInfo], str]

    def schedule_id(self, entity_code: str) -> str:
        """The schedule id of one entity."""
        return f"{self.prefix}-{entity_code}"

    def build(self, entity: EntityInfo, task_queue: str, paused: bool = False) -> Schedule:
        """The schedule in the entity's time zone; a failing run pauses it for an operator."""
        return Schedule(
            action=ScheduleActionStartWorkflow(
                self.workflow_run,
                self.make_input(entity),
                # Temporal appends the fire time to this id; the launcher works out the business day/period.
                id=self.launcher_id(entity),
                task_queue=task_queue,
                # What the Web UI shows on each run the schedule starts (their ids hold no business key).
                static_summary=f"{self.note[:1].upper()}{self.note[1:]} of {entity.entity_code}",
            ),
            spec=ScheduleSpec(cron_expressions=[self.cron], time_zone_name=entity.time_zone),
            policy=SchedulePolicy(
                overlap=ScheduleOverlapPolicy.SKIP, catchup_window=self.catchup, pause_on_failure=True
            ),
            state=ScheduleState(paused=paused, note=f"{self.note} of {entity.entity_code}"),
        )

    async def ensure(self, client: Client, entity: EntityInfo, task_queue: str) -> str:
        """Create the entity's schedule, or bring an existing one up to date keeping an operator's pause."""
        sid = self.schedule_id(entity.entity_code)
        try:
            await client.create_schedule(sid, self.build(entity, task_queue))
            return "created"
        except ScheduleAlreadyRunningError:

            def _update(current: ScheduleUpdateInput) -> ScheduleUpdate:
                paused = current.description.schedule.state.paused
                return ScheduleUpdate(schedule=self.build(entity, task_queue, paused=paused))

            await client.get_schedule_handle(sid).update(_update)
            return "updated"

    async def ensure_all(
        self, client: Client, entities: Sequence[EntityInfo], task_queue: str
    ) -> dict[str, str]:
        """Ensure every entity's schedule; returns entity code -> created/updated."""
        return {e.entity_code: await self.ensure(client, e, task_queue) for e in entities}
