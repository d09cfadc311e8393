"""`erp tasks ...`: an approver's inbox on the command line, through the real API."""

import json
import os
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from erp.cli.task_lines import age_text, confirmation, document_label, is_overdue, parse_time

tasks_app = typer.Typer(help="Your task inbox: list, show, approve, reject.", no_args_is_help=True)
CONFIG = Path(os.environ.get("ERP_CONFIG", Path.home() / ".config" / "erp" / "config.json"))


def _config() -> dict[str, str]:
    if CONFIG.exists():
        data: dict[str, str] = json.loads(CONFIG.read_text())
        return data
    return {}


def _client() -> httpx.Client:
    cfg = _config()
    token = os.environ.get("ERP_TOKEN") or cfg.get("token")
    if not token:
        typer.echo("No token: set ERP_TOKEN or run `erp tasks login --token ...`.", err=True)
        raise typer.Exit(2)
    base = os.environ.get("ERP_API_URL") or cfg.get("api_url") or "http://127.0.0.1:8000"
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def _fail(response: httpx.Response) -> None:
    """Turn an error answer into one clear sentence and a non-zero exit."""
    try:
        detail: Any = response.json().get("detail")
    except ValueError:
        detail = response.text
    if isinstance(detail, list) and detail:
        detail = "; ".join(str(d.get("msg", d)) for d in detail)
    messages = {
        401: "Your token was refused (missing, wrong or revoked).",
        403: f"You may not do this: {detail}",
        404: "No such task in your entities.",
        409: f"Too late or out of date: {detail}",
        422: f"Not accepted: {detail}",
        503: "The workflow service is unavailable; try again in a few seconds.",
    }
    typer.echo(messages.get(response.status_code, f"Error {response.status_code}: {detail}"), err=True)
    raise typer.Exit(1)


@tasks_app.command("login")
def login(
    token: Annotated[str, typer.Option(help="Your API token")],
    api_url: Annotated[str, typer.Option(help="API base URL")] = "http://127.0.0.1:8000",
) -> None:
    """Store your token and the API URL in the config file (readable by you only)."""
    CONFIG.parent.mkdir(parents=True, exist_ok=True)
    CONFIG.write_text(json.dumps({"token": token, "api_url": api_url}))
    CONFIG.chmod(0o600)
    typer.echo(f"saved to {CONFIG}")


def _entities(client: httpx.Client) -> dict[int, str]:
    """Entity id -> code, for the entities the caller sees."""
    r = client.get("/entities", params={"limit": 1000})
    if r.status_code != 200:
        _fail(r)
    return {int(e["id"]): str(e["code"]) for e in r.json()}


def _row(t: dict[str, Any], codes: dict[int, str], now: datetime) -> dict[str, Any]:
    """One task as the list shows it (and as --json prints it)."""
    due = parse_time(t.get("due_at"))
    return {
        "id": t["id"],
        "kind": t["kind"],
        "entity": codes.get(int(t["entity_id"]), str(t["entity_id"])),
        "document": document_label(t["subject_type"], t["subject_id"]),
        "age": age_text(parse_time(t.get("created_at")), now),
        "due_at": t.get("due_at"),
        "overdue": is_overdue(due, now),
        "waits_on": t.get("candidate_user") or t.get("candidate_role") or "",
        "title": t["title"],
        "workflow_id": t.get("workflow_id"),
    }


@tasks_app.command("list")
def list_tasks(
    kind: Annotated[str | None, typer.Option(help="Only this kind, e.g. po_approval")] = None,
    entity: Annotated[str | None, typer.Option(help="Only this entity code, e.g. EU01")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only tasks past their due time")] = False,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Tasks per page")] = 50,
    page: Annotated[int, typer.Option(min=1, help="Page number")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the page as a JSON array")] = False,
) -> None:
    """Your open tasks, oldest due first, with age, entity and an overdue mark."""
    with _client() as client:
        r = client.get("/tasks", params={"limit": 500})
        if r.status_code != 200:
            _fail(r)
        codes = _entities(client)
    now = datetime.now(UTC)
    rows = [_row(t, codes, now) for t in r.json()]
    rows = [
        x
        for x in rows
        if (kind is None or x["kind"] == kind)
        and (entity is None or x["entity"] == entity)
        and (not overdue or x["overdue"])
    ]
    shown = rows[(page - 1) * limit : page * limit]
    if as_json:
        typer.echo(json.dumps(shown, indent=1))
        return
    if not rows:
        typer.echo("No open tasks." if not (kind or entity or overdue) else "No open tasks match.")
        return
    table = Table(box=None, header_style="bold")
    for name, justify in (("ID", "right"), ("KIND", "left"), ("ENTITY", "left"), ("DOCUMENT", "left")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for name in ("AGE", "DUE", "FOR", "TITLE"):
        table.add_column(name, overflow="fold" if name == "TITLE" else "ellipsis")
    for x in shown:
        due = (x["due_at"] or "")[:16].replace("T", " ")
        table.add_row(
            str(x["id"]),
            x["kind"],
            x["entity"],
            x["document"],
            x["age"],
            f"[red]{due} OVERDUE[/red]" if x["overdue"] else due,
            x["waits_on"],
            x["title"],
        )
    console = Console(width=max(Console().width, 140))
    console.print(table)
    pages = (len(rows) + limit - 1) // limit
    if pages > 1:
        typer.echo(f"page {page} of {pages} ({len(rows)} tasks); --page {min(page + 1, pages)} for more")


def _get(client: httpx.Client, path: str) -> dict[str, Any] | None:
    """A record the caller may read, or None (a detail the layout can do without)."""
    r = client.get(path)
    return r.json() if r.status_code == 200 else None


def _plain(value: Any) -> str:
    """A detail value as text: numbers and strings as they are, lists and objects as compact JSON."""
    if isinstance(value, str | int | float) or value is None:
        return "" if value is None else str(value)
    return json.dumps(value, separators=(", ", ": "))


def _po_part(client: httpx.Client, number: str) -> tuple[str | None, Table | None, dict[str, str]]:
    """Supplier label, the lines table and the PO's amounts, read through the API."""
    po = _get(client, f"/purchase-orders/{number}")
    if po is None:
        return None, None, {}
    supplier = _get(client, f"/suppliers/{po['supplier_id']}")
    label = f"{supplier['code']} ({supplier['name']})" if supplier else f"#{po['supplier_id']}"
    lines = Table("line", "item", "qty", "price", "amount", box=None, header_style="bold")
    for ln in po["lines"]:
        item = _get(client, f"/items/{ln['item_id']}")
        name = f"{item['sku']} {item['name']}" if item else f"#{ln['item_id']}"
        amount = Decimal(ln["qty"]) * Decimal(ln["price"])
        lines.add_row(
            str(ln["line_no"]), name, f"{Decimal(ln['qty']).normalize():f}", ln["price"], f"{amount:.2f}"
        )
    facts = {
        "total": f"{Decimal(po['total']):.2f} {po['currency']}",
        "stage": str(po["stage"]),
        "ordered": str(po["order_date"]),
        "expected": str(po["expected_date"]),
    }
    return label, lines, facts


@tasks_app.command("show")
def show(task_id: int) -> None:
    """One task with what the decision needs: document, supplier, lines, amounts, requester, workflow."""
    with _client() as client:
        r = client.get(f"/tasks/{task_id}")
        if r.status_code != 200:
            _fail(r)
        t = r.json()
        codes = _entities(client)
        supplier, lines, facts = (
            _po_part(client, t["subject_id"]) if t["subject_type"] == "purchase_order" else (None, None, {})
        )
    now = datetime.now(UTC)
    due = parse_time(t.get("due_at"))
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    rows: list[tuple[str, str]] = [
        ("document", document_label(t["subject_type"], t["subject_id"])),
        ("entity", codes.get(int(t["entity_id"]), str(t["entity_id"]))),
        ("supplier", supplier or ""),
        *facts.items(),
        ("requested by", t.get("requested_by") or ""),
        ("waits on", t.get("candidate_user") or t.get("candidate_role") or ""),
        ("status", t["status"]),
        ("open for", age_text(parse_time(t.get("created_at")), now)),
        (
            "due",
            (t.get("due_at") or "")[:16].replace("T", " ") + (" OVERDUE" if is_overdue(due, now) else ""),
        ),
        ("workflow", f"{t.get('workflow_id')} ({t.get('workflow_type')})"),
        ("decisions", ", ".join(t.get("options") or [])),
    ]
    rows += [(key.replace("_", " "), _plain(value)) for key, value in (t.get("details") or {}).items()]
    for key, value in rows:
        if value:
            grid.add_row(key, value)
    console = Console()
    console.print(f"[bold]Task {t['id']}[/bold] · {t['kind']} · {t['title']}")
    console.print(grid)
    if lines is not None:
        console.print(lines)


def _decide(task_id: int, decision: str, comment: str | None, payload: dict[str, Any] | None = None) -> None:
    with _client() as client:
        task = _get(client, f"/tasks/{task_id}")
        r = client.post(
            f"/tasks/{task_id}/decision",
            json={"decision": decision, "comment": comment, "payload": payload or {}},
        )
        if r.status_code not in (200, 202):
            _fail(r)
        document = document_label(task["subject_type"], task["subject_id"]) if task else f"Task {task_id}"
        if r.status_code == 202:
            typer.echo(f"{document}: {decision} stored; the workflow applies it when its worker is back.")
            return
        body = r.json()
        stage, supplier = body.get("stage"), None
        if task and task["subject_type"] == "purchase_order":
            po = _after_decision(client, task["subject_id"])
            found = _get(client, f"/suppliers/{po['supplier_id']}") if po else None
            stage, supplier = (po["stage"] if po else stage), (found["code"] if found else None)
    acting = f" (by {body['decided_by']} acting for {body['acting_for']})" if body.get("acting_for") else ""
    kind = task["kind"] if task else ""
    typer.echo(confirmation(kind, decision, document, stage, supplier) + acting)


def _after_decision(client: httpx.Client, number: str, timeout: float = 5.0) -> dict[str, Any] | None:
    """The PO once an approval has moved it: out of `approval`, or on to its next level's task."""
    deadline = time.monotonic() + timeout
    while True:
        po = _get(client, f"/purchase-orders/{number}")
        waiting = po is not None and any(
            t["kind"] == "po_approval" and t["status"] == "open" for t in po.get("tasks", [])
        )
        if po is None or po["stage"] != "approval" or waiting or time.monotonic() > deadline:
            return po
        time.sleep(0.2)


@tasks_app.command("approve")
def approve(task_id: int, comment: Annotated[str | None, typer.Option(help="Why")] = None) -> None:
    """Approve a task."""
    _decide(task_id, "approve", comment)


@tasks_app.command("reject")
def reject(task_id: int, reason: Annotated[str, typer.Option(help="Why (required)")]) -> None:
    """Reject a task with a reason."""
    _decide(task_id, "reject", reason)


@tasks_app.command("decide")
def decide(
    task_id: int,
    decision: str,
    comment: Annotated[str | None, typer.Option()] = None,
    payload: Annotated[
        str | None, typer.Option(help='JSON object, e.g. \'{"new_date": "2026-12-01"}\'')
    ] = None,
) -> None:
    """Any other decision a task offers (e.g. wait, expedite, accept)."""
    _decide(task_id, decision, comment, json.loads(payload) if payload else None)
