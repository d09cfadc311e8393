"""`erp simulate`: days of business for the demo retailer through the real API, with a summary."""

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

DEFAULT_API = "http://127.0.0.1:8000"


def simulate(
    days: Annotated[int, typer.Option(min=1, max=366, help="Business days to simulate (ending today)")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed sends the same requests")] = 1,
    speed: Annotated[float, typer.Option(min=0, help="Seconds to pause after each simulated day")] = 0.0,
    api: Annotated[str | None, typer.Option(help="API base URL (default $ERP_API_URL or :8000)")] = None,
    log: Annotated[
        Path | None, typer.Option(help="Write every request (method, path, user, body) here")
    ] = None,
) -> None:
    """Drive days of orders, purchasing, deliveries, invoices, returns and a close through the API."""
    from erp.demo.simulate import Simulator
    from erp.demo.simulation_state import SimulationError

    err = Console(stderr=True)
    sim = Simulator(api or os.environ.get("ERP_API_URL") or DEFAULT_API, seed, speed)
    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("days"))
    try:
        with Progress(*columns, console=err, transient=True) as bar:
            job = bar.add_task("days", total=days)
            summary = sim.run(days, lambda done: bar.update(job, completed=done))
    except SimulationError as exc:
        err.print(f"[red]simulation stopped:[/red] {exc}")
        raise typer.Exit(1) from exc
    finally:
        if log is not None:
            sim.write_log(log)
    table = Table(title=f"{days} simulated day(s), seed {seed}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for label, count in summary.rows():
        table.add_row(label, str(count))
    Console().print(table)
    typer.echo("Tasks are waiting: try `ERP_TOKEN=demo-ali.approver erp tasks list`.")
