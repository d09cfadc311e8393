"""`erp reconcile ...`: install the 15-minute reconciliation schedules, or reconcile one entity now."""

import asyncio
from datetime import UTC, datetime
from typing import Annotated

import typer

from erp.cli.schedule_all import schedule_every_entity
from erp.hard_exit import exits_hard

reconcile_app = typer.Typer(
    help="Documents open in PostgreSQL whose workflow has ended: repair them or hand them to an admin.",
    no_args_is_help=True,
)

Entity = Annotated[str, typer.Option("--entity", help="Entity code, e.g. EU01")]


@reconcile_app.command("schedule")
@exits_hard
def schedule() -> None:
    """Create or update every entity's reconciliation schedule (every 15 minutes)."""
    from erp.reconcile_schedules import ensure_schedules

    schedule_every_entity(ensure_schedules, "reconciliation")


@reconcile_app.command("run")
@exits_hard
def run(entity: Entity) -> None:
    """Reconcile one entity now and print what was found, repaired and handed to an admin."""
    from erp.settings import get_settings
    from erp.temporal import connect
    from models.contracts.reconcile import ReconcileInput
    from workflows.operations.reconcile import ReconciliationWorkflow, reconcile_workflow_id

    async def _go() -> str:
        client = await connect()
        workflow_id = reconcile_workflow_id(entity, datetime.now(UTC).strftime("%Y%m%dT%H%M%S"))
        result = await client.execute_workflow(
            ReconciliationWorkflow.run,
            ReconcileInput(entity_code=entity, trigger="manual"),
            id=workflow_id,
            task_queue=get_settings().task_queue,
        )
        return (
            f"{workflow_id}: {result.open_documents} open documents, {result.ended_workflows} with an ended"
            f" workflow, {result.repaired} repaired, {result.cases_opened} cases for an admin"
        )

    typer.echo(asyncio.run(_go()))
