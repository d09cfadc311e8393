"""`erp import KIND FILE`: bulk import of items, suppliers, customers or opening stock through the API."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from erp.cli.tasks import _client, _fail

KINDS = ("items", "suppliers", "customers", "opening-stock")


def import_file(
    kind: Annotated[str, typer.Argument(help="items, suppliers, customers or opening-stock")],
    file: Annotated[Path, typer.Argument(help="a .csv file with a header row, or a .json list of rows")],
    valid_rows: Annotated[
        bool, typer.Option("--valid-rows", help="write the rows that pass even when others are refused")
    ] = False,
) -> None:
    """Import a file; prints one line per refused row and exits 1 when anything was refused."""
    if kind not in KINDS:
        typer.echo(f"KIND is one of {', '.join(KINDS)}", err=True)
        raise typer.Exit(2)
    content = file.read_text(encoding="utf-8")
    body: dict[str, Any] = {"mode": "valid_rows" if valid_rows else "all_or_nothing"}
    if file.suffix.lower() == ".json":
        body["rows"] = json.loads(content)
    else:
        body["csv"] = content
    with _client() as client:
        answer = client.post(f"/imports/{kind}", json=body)
    if answer.status_code != 200:
        _fail(answer)
    report = answer.json()
    for row in report["rows"]:
        if row["status"] == "refused":
            where = f"line {row['line']}" if row.get("line") else f"row {row['row']}"
            typer.echo(f"{where} ({row['key']}): {row['field']}: {row['reason']}")
    written = "written" if report["committed"] else "nothing written"
    typer.echo(
        f"{report['created']} created, {report['unchanged']} unchanged, {report['refused']} refused; {written}"
    )
    if report["refused"]:
        raise typer.Exit(1)
