"""`erp close ...`: run a month-end close by hand, backfill past months, install the monthly schedules."""

import asyncio
from typing import Annotated

import typer
from temporalio.client import Client
from temporalio.exceptions import WorkflowAlreadyStartedError

from erp.cli.schedule_all import schedule_every_entity
from erp.hard_exit import exits_hard
from models.contracts.close import CloseInput
from models.contracts.summaries import summary_of
from rules.errors import RuleViolation
from rules.periods import next_period, period_bounds

close_app = typer.Typer(help="Month-end close: run, backfill, schedule.", no_args_is_help=True)

Entity = Annotated[str, typer.Option("--entity", help="Entity code, e.g. EU01")]


def _periods(first: str, last: str) -> list[str]:
    """Every period from `first` to `last`, both included."""
    try:
        period_bounds(first)
        period_bounds(last)
    except RuleViolation as exc:
        raise typer.BadParameter(exc.reason) from exc
    if first > last:
        raise typer.BadParameter(f"--from {first} is after --to {last}")
    periods = [first]
    while periods[-1] != last:
        periods.append(next_period(periods[-1]))
    return periods


async def _start(client: Client, entity: str, period: str, trigger: str) -> str:
    """Start one close; an already running close of the period is reported, not duplicated."""
    from erp.settings import get_settings
    from workflows.close.month_end import MonthEndCloseWorkflow, close_workflow_id

    workflow_id = close_workflow_id(entity, period)
    try:
        await client.start_workflow(
            MonthEndCloseWorkflow.run,
            CloseInput(entity_code=entity, period=period, trigger=trigger, requested_by="cli"),
            static_summary=summary_of(
                CloseInput(entity_code=entity, period=period, trigger=trigger, requested_by="cli")
            ),
            id=workflow_id,
            task_queue=get_settings().task_queue,
        )
    except WorkflowAlreadyStartedError:
        return f"{workflow_id}: already running"
    return f"{workflow_id}: started"


async def _run_all(entity: str, periods: list[str], trigger: str) -> list[str]:
    from erp.temporal import connect

    client = await connect()
    # Started in period order; each close then waits for its own sign-off.
    return [await _start(client, entity, p, trigger) for p in periods]


async def _follow(entity: str, period: str, timeout: float) -> int:
    """Print each step of the close as it reaches it, until it is closed; 0 closed, 1 failed, 2 still running."""
    from temporalio.client import WorkflowExecutionStatus

    from erp.temporal import connect
    from workflows.close.month_end import MonthEndCloseWorkflow, close_workflow_id

    client = await connect()
    workflow_id = close_workflow_id(entity, period)
    handle = client.get_workflow_handle_for(MonthEndCloseWorkflow.run, workflow_id)
    seen = ""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        described = await handle.describe()
        if described.status != WorkflowExecutionStatus.RUNNING:
            if described.status == WorkflowExecutionStatus.COMPLETED:
                typer.echo(f"{workflow_id}: closed; {period} is locked and its statements are stored")
                return 0
            status = described.status.name if described.status else "unknown"
            typer.echo(f"{workflow_id}: {status.lower()} (see `erp stuck` and the Web UI)", err=True)
            return 1
        stage = await handle.query(MonthEndCloseWorkflow.stage)
        if stage != seen:
            seen = stage
            hint = (
                ": waiting for the controller's sign-off (`erp tasks list --kind close_signoff`)"
                if stage == "sign_off"
                else ""
            )
            typer.echo(f"{workflow_id}: {stage}{hint}")
        await asyncio.sleep(1.0)
    typer.echo(f"{workflow_id}: still at {seen} after {timeout:.0f} s; it goes on without you", err=True)
    return 2


@close_app.command("run")
@exits_hard
def run(
    entity: Entity,
    period: Annotated[str, typer.Option("--period", help="Period to close, e.g. 2026-10")],
    follow: Annotated[
        bool, typer.Option("--follow", help="Print each step until the close is signed off and closed")
    ] = False,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1, max=7 * 24 * 3600, help="How long --follow waits, seconds")
    ] = 3600,
) -> None:
    """Start the close of one period (it waits for the controller's sign-off in the inbox)."""
    for line in asyncio.run(_run_all(entity, _periods(period, period), "manual")):
        typer.echo(line)
    if follow:
        raise typer.Exit(asyncio.run(_follow(entity, period, timeout)))


@close_app.command("backfill")
@exits_hard
def backfill(
    entity: Entity,
    first: Annotated[str, typer.Option("--from", help="First period, e.g. 2026-01")],
    last: Annotated[str, typer.Option("--to", help="Last period, e.g. 2026-06")],
) -> None:
    """Start one close per period from --from to --to (ids Close-{entity}-{period}, so re-running is safe)."""
    for line in asyncio.run(_run_all(entity, _periods(first, last), "backfill")):
        typer.echo(line)


@close_app.command("schedule")
@exits_hard
def schedule() -> None:
    """Create or update every entity's monthly close schedule (day 1, 00:05 local, previous month)."""
    from erp.schedules import ensure_schedules

    schedule_every_entity(ensure_schedules, "month-end close")
