"""A recorded October close (a difference accepted, then sign-off) replays against today's workflow code:
a change that breaks determinism fails here, not in a close that waits days for the controller."""

import json
import os
from pathlib import Path

from sqlalchemy import Engine
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from erp.sandbox_runner import GuardedSandboxRunner
from tests.close import worked_month
from tests.close.closing import at_sign_off, decide, start_close
from tests.close.worked_month import PERIOD
from tests.factories import Factory
from worker import build_worker
from workflows.close.month_end import MonthEndCloseWorkflow

HISTORY = Path(__file__).parent / "histories" / "month_end_close.json"


async def record_close(env: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str) -> str:
    """Close the worked month (accept its difference, approve) and return its history as JSON."""
    month = worked_month.build(engine, factory)
    async with build_worker(env.client, engine, task_queue):
        handle = await start_close(env.client, month.entity.code, PERIOD, task_queue)
        view = await at_sign_off(handle)
        diff_task, signoff_task = (t.task_id for t in view.tasks)
        await decide(handle, diff_task, "accept", "landed cost on stock: revalued in November")
        await decide(handle, signoff_task, "approve")
        assert (await handle.result()).status == "closed"
        history = await handle.fetch_history()
    return json.dumps(json.loads(history.to_json()), indent=1)


async def test_a_recorded_close_replays(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    # Regenerate with: ERP_RECORD_HISTORIES=1 .venv/bin/pytest tests/close/test_replay.py
    if os.environ.get("ERP_RECORD_HISTORIES") or not HISTORY.exists():
        HISTORY.write_text(await record_close(time_skipping, engine, factory, task_queue))
    history = WorkflowHistory.from_json("recorded-close", HISTORY.read_text())
    replayer = Replayer(
        workflows=[MonthEndCloseWorkflow],
        data_converter=pydantic_data_converter,
        workflow_runner=GuardedSandboxRunner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None
