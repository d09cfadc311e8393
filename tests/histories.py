"""Recorded workflow histories: the committed JSON files that replay tests run through `Replayer`.

Set ERP_RECORD_HISTORIES=1 to re-record them from a test run (after a deliberate, patched change)."""

import json
import os
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from erp.sandbox_runner import GuardedSandboxRunner
from workflows.registry import WORKFLOWS

ROOT = Path(__file__).parent


def should_record(path: Path) -> bool:
    """Record when asked to, or when the file does not exist yet."""
    return bool(os.environ.get("ERP_RECORD_HISTORIES")) or not path.exists()


def save(history: WorkflowHistory, path: Path) -> None:
    """Write a history as indented JSON (reviewable in a diff)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json.loads(history.to_json()), indent=1))


def all_histories() -> list[Path]:
    """Every committed history under tests/*/histories/."""
    return sorted(ROOT.glob("*/histories/*.json"))


async def assert_replays(path: Path) -> None:
    """Replay one committed history against today's workflows, as the worker's sandbox runs them."""
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    replayer = Replayer(
        workflows=WORKFLOWS, data_converter=pydantic_data_converter, workflow_runner=GuardedSandboxRunner()
    )
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"
