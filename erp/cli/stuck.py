"""`erp stuck`: what does not move in an entity, and why (through the API, admin or controller token)."""

from typing import Annotated

import typer

from erp.cli import tasks as cli_tasks
from erp.cli.policy import EntityOpt, _entity_id, _ok


def stuck(
    entity: EntityOpt,
    min_attempts: Annotated[
        int, typer.Option(min=2, max=1000, help="activities at this attempt or later")
    ] = 3,
) -> None:
    """Documents parked in needs_attention, and activities failing again and again, with their errors."""
    with cli_tasks._client() as client:
        found = _ok(
            client.get(
                "/operations/stuck",
                params={"entity_id": _entity_id(client, entity), "min_attempts": min_attempts},
            )
        )
    parked, retrying = found["parked"], found["retrying"]
    if not parked and not retrying:
        typer.echo(f"Nothing stuck in {entity}.")
        return
    for p in parked:
        typer.echo(
            f"PARKED   {p['subject_type']} {p['subject_id']} since {p['since'][:16]}: step {p['step']} failed:"
            f" {p['error']} (task {p['task_id']}: once fixed: `erp tasks decide {p['task_id']} retry`)"
        )
    for r in retrying:
        typer.echo(
            f"RETRYING {r['workflow_id']} ({r['workflow_type']}): {r['activity']} attempt {r['attempt']}:"
            f" {r['error']}"
        )
