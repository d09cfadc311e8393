"""`erp replenish ...`: install the daily replenishment schedules, or run one entity's day now."""

import asyncio
from datetime import date
from typing import Annotated

import typer
from temporalio.exceptions import WorkflowAlreadyStartedError

from erp.cli.schedule_all import schedule_every_entity
from erp.hard_exit import exits_hard
from models.contracts.replenishment import ReplenishmentRunInput
from models.contracts.summaries import summary_of

replenish_app = typer.Typer(help="Replenishment: schedule, run.", no_args_is_help=True)


@replenish_app.command("schedule")
@exits_hard
def schedule() -> None:
    """Create or update every entity's daily replenishment schedule (03:30 local)."""
    from erp.replenishment_schedules import ensure_schedules

    schedule_every_entity(ensure_schedules, "replenishment")


@replenish_app.command("run")
@exits_hard
def run(
    entity: Annotated[str, typer.Option("--entity", help="Entity code, e.g. EU01")],
    day: Annotated[str | None, typer.Option("--date", help="Run date YYYY-MM-DD (default today)")] = None,
) -> None:
    """Start one entity's replenishment for a day (id Replenish-{entity}-{date}, so re-running is safe)."""
    from erp.settings import get_settings
    from erp.temporal import connect
    from workflows.replenishment.daily_run import ReplenishmentRunWorkflow, run_workflow_id

    run_date = date.fromisoformat(day) if day else date.today()
    workflow_id = run_workflow_id(entity, run_date.isoformat())

    async def _go() -> str:
        client = await connect()
        try:
            await client.start_workflow(
                ReplenishmentRunWorkflow.run,
                ReplenishmentRunInput(entity_code=entity, run_date=run_date, trigger="manual"),
                static_summary=summary_of(
                    ReplenishmentRunInput(entity_code=entity, run_date=run_date, trigger="manual")
                ),
                id=workflow_id,
                task_queue=get_settings().task_queue,
            )
        except WorkflowAlreadyStartedError:
            return f"{workflow_id}: already running"
        return f"{workflow_id}: started"

    typer.echo(asyncio.run(_go()))
