"""The controller of a small entity does not sign off the month. The entity has named its finance director
above the controller for close sign-offs (24 hours): a reminder is recorded after 12 hours, the sign-off
moves to the finance director after 24, the controller can no longer decide it, and the finance director
approves the close. Timers run on the time-skipping server."""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.client import WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from models.contracts.tasks import DecisionRequest
from models.tasks import TaskSlaSetting
from tests.close.closing import at_sign_off, decide, start_close
from tests.factories import Factory
from tests.histories import save, should_record
from tests.inbox import audited
from tests.purchasing.clock import until
from worker import build_worker
from workflows.close.month_end import MonthEndCloseWorkflow

PERIOD = "2031-09"
HISTORY = Path(__file__).parent / "histories" / "month_end_signoff_escalated.json"


def _signoff(engine: Engine, task_id: int) -> tuple[str, int]:
    with engine.connect() as c:
        row = c.execute(
            text("SELECT candidate_role, escalation_level FROM task WHERE id = :t"), {"t": task_id}
        ).one()
    return str(row[0]), int(row[1])


async def test_an_unsigned_close_goes_to_the_finance_director(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    with Session(engine) as s:
        s.add(
            TaskSlaSetting(
                entity_id=entity.id, kind="close_signoff", sla_hours=24, escalate_to="finance_director"
            )
        )
        s.commit()
    async with build_worker(time_skipping.client, engine, task_queue):
        handle = await start_close(time_skipping.client, entity.code, PERIOD, task_queue)
        view = await at_sign_off(handle)
        [task] = [t for t in view.tasks if t.kind == "close_signoff"]
        assert _signoff(engine, task.task_id) == ("controller", 0)

        await time_skipping.sleep(timedelta(hours=13))
        await until(lambda: audited(engine, "task.reminder", task.task_id) == 1, "a reminder")
        await time_skipping.sleep(timedelta(hours=12))
        await until(lambda: _signoff(engine, task.task_id) == ("finance_director", 1), "the escalation")

        try:
            await decide(handle, task.task_id, "approve")
            raise AssertionError("the controller may no longer decide an escalated sign-off")
        except WorkflowUpdateFailedError as exc:
            assert "finance_director" in str(exc.cause)
        await handle.execute_update(
            MonthEndCloseWorkflow.decide,
            DecisionRequest(
                task_id=task.task_id, decision="approve", actor="fiona", actor_roles=["finance_director"]
            ),
        )
        result = await handle.result()
        if should_record(HISTORY):  # the replay gate keeps the escalated sign-off replaying
            save(await handle.fetch_history(), HISTORY)
    assert result.status == "closed"
