"""A release manager's gate: every recorded history of every workflow type still replays with today's
workflow code. A change that would break running workflows fails here (use `workflow.patched` for
changes that alter history), and every registered workflow type has at least one recorded history."""

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from erp.sandbox_runner import GuardedSandboxRunner
from tests.histories import all_histories
from workflows.registry import WORKFLOWS

# Workflow types without a recorded history yet (each is covered by its own end-to-end tests).
NOT_YET_RECORDED: set[str] = set()


def _type_of(path: Path) -> str:
    events = json.loads(path.read_text())["events"]
    return str(events[0]["workflowExecutionStartedEventAttributes"]["workflowType"]["name"])


@pytest.mark.parametrize("path", all_histories(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
async def test_the_history_replays(path: Path) -> None:
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=GuardedSandboxRunner()
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert result.replay_failure is None, f"{path}: {result.replay_failure}"


def test_every_workflow_type_has_a_recorded_history() -> None:
    recorded = {_type_of(p) for p in all_histories()}
    registered = {wf.__temporal_workflow_definition.name for wf in WORKFLOWS}
    missing = registered - recorded - NOT_YET_RECORDED
    assert missing == set(), f"record a history for {sorted(missing)} (tests/histories.py)"
    assert recorded <= registered
