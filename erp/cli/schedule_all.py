"""`erp <stream> schedule`: create or update one schedule per active entity and print what each did."""

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import typer
from temporalio.client import Client

from models.contracts.close import EntityInfo

Ensure = Callable[[Client, Sequence[EntityInfo], str], Awaitable[dict[str, str]]]


def schedule_every_entity(ensure: Ensure, what: str) -> None:
    """Run `ensure` over every active entity on the configured task queue; one line per entity."""
    # Imported here, as in every command: `erp --help` should not load the database and Temporal stacks.
    from erp.db import app_engine
    from erp.schedules import active_entities
    from erp.settings import get_settings
    from erp.temporal import connect

    async def _go() -> dict[str, str]:
        return await ensure(await connect(), active_entities(app_engine()), get_settings().task_queue)

    for code, outcome in asyncio.run(_go()).items():
        typer.echo(f"{what} schedule of {code}: {outcome}")
