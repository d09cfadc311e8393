"""`erp tasks ...`: an approver's inbox on the command line, through the real API."""

import json
import os
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

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


@tasks_app.command("list")
def list_tasks() -> None:
    """Your open tasks, oldest due first."""
    with _client() as client:
        r = client.get("/tasks")
    if r.status_code != 200:
        _fail(r)
    rows = r.json()
    if not rows:
        typer.echo("No open tasks.")
        return
    typer.echo(f"{'ID':>6}  {'KIND':<22} {'DUE':<17} {'FOR':<14} TITLE")
    for t in rows:
        due = (t.get("due_at") or "")[:16].replace("T", " ")
        who = t.get("candidate_user") or t.get("candidate_role") or ""
        typer.echo(f"{t['id']:>6}  {t['kind']:<22} {due:<17} {who:<14} {t['title']}")


@tasks_app.command("show")
def show(task_id: int) -> None:
    """One task with its details and the decisions it accepts."""
    with _client() as client:
        r = client.get(f"/tasks/{task_id}")
    if r.status_code != 200:
        _fail(r)
    t = r.json()
    typer.echo(
        f"Task {t['id']}: {t['title']}\n  kind: {t['kind']}  status: {t['status']}  due: {t.get('due_at')}"
    )
    typer.echo(
        f"  document: {t['subject_type']} {t['subject_id']}  waits on: "
        f"{t.get('candidate_user') or t.get('candidate_role')}"
    )
    typer.echo(f"  decisions: {', '.join(t.get('options') or [])}")
    for key, value in (t.get("details") or {}).items():
        typer.echo(f"  {key}: {value}")


def _decide(task_id: int, decision: str, comment: str | None, payload: dict[str, Any] | None = None) -> None:
    with _client() as client:
        r = client.post(
            f"/tasks/{task_id}/decision",
            json={"decision": decision, "comment": comment, "payload": payload or {}},
        )
    if r.status_code == 202:
        typer.echo(f"Task {task_id}: {decision} sent; the workflow will apply it when its worker is back.")
        return
    if r.status_code != 200:
        _fail(r)
    body = r.json()
    acting = f" (acting for {body['acting_for']})" if body.get("acting_for") else ""
    typer.echo(
        f"Task {task_id}: {decision} recorded by {body['decided_by']}{acting}; document now {body['stage']}."
    )


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
