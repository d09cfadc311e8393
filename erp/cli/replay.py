"""`erp replay FILE...`: before a deploy, replay downloaded workflow histories against this code."""

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from erp.sandbox_runner import GuardedSandboxRunner


def replay(
    files: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, help="`temporal workflow show --output json` files"),
    ],
) -> None:
    """Replay each history with today's workflow code; exit 1 if one would break (a nondeterminism)."""
    from temporalio.client import WorkflowHistory
    from temporalio.contrib.pydantic import pydantic_data_converter
    from temporalio.worker import Replayer

    from workflows.registry import WORKFLOWS

    async def _one(path: Path) -> str | None:
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        replayer = Replayer(
            workflows=WORKFLOWS,
            data_converter=pydantic_data_converter,
            workflow_runner=GuardedSandboxRunner(),
        )
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        return None if result.replay_failure is None else str(result.replay_failure)

    failed = 0
    for path in files:
        failure = asyncio.run(_one(path))
        if failure is None:
            typer.echo(f"replays: {path}")
        else:
            failed += 1
            typer.echo(f"BREAKS:  {path}: {failure}", err=True)
    if failed:
        typer.echo(
            f"{failed} of {len(files)} histories would break: guard the change with workflow.patched",
            err=True,
        )
        raise typer.Exit(1)
