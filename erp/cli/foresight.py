"""`erp foresight ...`: install the daily data-quality schedules, run a check now, print the cash forecast."""

import asyncio
from datetime import date
from typing import Annotated

import typer
from temporalio.exceptions import WorkflowAlreadyStartedError

from erp.cli.schedule_all import schedule_every_entity
from erp.hard_exit import exits_hard
from models.contracts.summaries import summary_of

foresight_app = typer.Typer(help="Cash forecast and master-data quality.", no_args_is_help=True)

Entity = Annotated[str, typer.Option("--entity", help="Entity code, e.g. EU01")]


@foresight_app.command("schedule")
@exits_hard
def schedule() -> None:
    """Create or update every entity's daily master-data quality schedule (05:30 local time)."""
    from erp.foresight_schedules import ensure_schedules

    schedule_every_entity(ensure_schedules, "data-quality")


@foresight_app.command("check")
@exits_hard
def check(entity: Entity) -> None:
    """Run today's data-quality check of one entity now and print what it found."""
    from erp.settings import get_settings
    from erp.temporal import connect
    from models.contracts.foresight import DataQualityInput
    from workflows.foresight.data_quality import DataQualityCheckWorkflow, data_quality_workflow_id

    today = date.today()

    async def _go() -> str:
        client = await connect()
        workflow_id = data_quality_workflow_id(entity, today.isoformat())
        try:
            handle = await client.start_workflow(
                DataQualityCheckWorkflow.run,
                DataQualityInput(entity_code=entity, day=today, trigger="manual"),
                static_summary=summary_of(DataQualityInput(entity_code=entity, day=today, trigger="manual")),
                id=workflow_id,
                task_queue=get_settings().task_queue,
            )
        except WorkflowAlreadyStartedError:
            handle = client.get_workflow_handle_for(DataQualityCheckWorkflow.run, workflow_id)
        result = await handle.result()
        return (
            f"{workflow_id}: {result.open_problems} open, {result.new_problems} new, "
            f"{result.fixed} fixed, {result.tasks_opened} tasks opened"
        )

    typer.echo(asyncio.run(_go()))


@foresight_app.command("cash")
def cash(
    entity: Entity,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="First day, e.g. 2026-10-05 (default today)")
    ] = None,
    by: Annotated[str, typer.Option("--by", help="day or week")] = "week",
) -> None:
    """Print the 13-week cash forecast of one entity as CSV."""
    import csv
    import sys

    from erp.db import app_engine, session_scope
    from services.foresight.cash import cash_forecast, csv_rows
    from services.foresight.data_quality import entity_of

    if by not in ("day", "week"):
        raise typer.BadParameter("use day or week", param_hint="--by")
    try:
        first = date.fromisoformat(as_of) if as_of else date.today()
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--as-of") from exc
    with session_scope(app_engine()) as s:
        rows = csv_rows(cash_forecast(s, entity_of(s, entity), first, "day" if by == "day" else "week"))
    if rows:
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
