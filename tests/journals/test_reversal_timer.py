"""An accrual approved today is to reverse on the 10th of next month. Until that date nothing is reversed; the
timer is durable (days pass on the time-skipping server). Meanwhile next month is closed early by the
controller, so the reversal cannot post on its date: it posts on the first day of the month after, and
the audit trail says why."""

from datetime import UTC, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from models.contracts.tasks import DecisionRequest
from rules.journals import KeyedLine, next_period_start
from rules.periods import period_of
from services.journals.manual import JournalAsk, build_input
from tests.factories import Factory
from tests.histories import save, should_record
from tests.journals.desk import close_period, entries, rows
from tests.purchasing.clock import until
from tests.replenishment.shop import open_task
from worker import build_worker
from workflows.journals.manual_journal import ManualJournalWorkflow

D = Decimal
HISTORY = Path(__file__).parent / "histories" / "manual_journal_reversal_moved.json"


async def test_a_reversal_waits_for_its_date_and_moves_past_a_closed_period(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    today = (await time_skipping.get_current_time()).astimezone(UTC).date()
    next_month = next_period_start(today)
    due = next_month + timedelta(days=9)
    with Session(engine) as s:
        inp = build_input(
            s,
            JournalAsk(
                entity_id=entity.id,
                posting_date=today,
                memo="bonus accrual",
                lines=[KeyedLine("6200", debit=D("900.00")), KeyedLine("2150", credit=D("900.00"))],
                line_memos=["", ""],
                maker="alice",
                maker_is_closer=True,
                reversal_date=due,
            ),
            f"MJT{entity.id}",
        )
    async with build_worker(time_skipping.client, engine, task_queue):
        handle = await time_skipping.client.start_workflow(
            ManualJournalWorkflow.run, inp, id=inp.workflow_id, task_queue=task_queue
        )
        task = await until(lambda: open_task(engine, inp.number, "journal_approval"), "the approval task")
        await handle.execute_update(
            ManualJournalWorkflow.decide,
            DecisionRequest(
                task_id=task["id"], decision="approve", actor="carol", actor_roles=["controller"]
            ),
        )
        assert [e["posting_date"] for e in entries(engine, inp.number)] == [today]
        await time_skipping.sleep(timedelta(days=2))
        assert len(entries(engine, inp.number)) == 1  # not before its date
        close_period(engine, entity.id, period_of(due))
        outcome = await handle.result()  # the server skips to the timer
        if should_record(HISTORY):
            save(await handle.fetch_history(), HISTORY)
    moved_to = next_period_start(due)
    assert (outcome.stage, outcome.reversal_posted_on) == ("reversed", moved_to)
    posted, reversal = entries(engine, inp.number)
    assert (reversal["posting_date"], reversal["reverses_entry_id"]) == (moved_to, posted["id"])
    assert {k: D(v) for k, v in reversal["lines"].items()} == {"2150": D(900), "6200": D(-900)}
    [audit] = rows(
        engine,
        "SELECT after FROM audit_event WHERE subject_id = :n AND action = 'manual_journal.reversed'",
        n=inp.number,
    )
    assert audit["after"]["note"] == f"period of {due} is closed: reversed on {moved_to}"
