"""`erp policy ...`: an entity's purchasing policy on the command line, through the real API (admin token)."""

from typing import Annotated, Any

import httpx
import typer

from erp.cli import tasks as cli_tasks

policy_app = typer.Typer(
    help="Approval bands, settings, match tolerances and delegations.", no_args_is_help=True
)
band_app = typer.Typer(help="Approval bands: amount x category -> levels.", no_args_is_help=True)
policy_app.add_typer(band_app, name="band")
EntityOpt = Annotated[str, typer.Option("--entity", help="Entity code, e.g. EU01")]


def _ok(response: httpx.Response) -> Any:
    """The JSON answer, or one clear sentence and a non-zero exit."""
    if response.status_code >= 400:
        cli_tasks._fail(response)
    return response.json()


def _entity_id(client: httpx.Client, code: str) -> int:
    for entity in _ok(client.get("/entities", params={"limit": 1000})):
        if entity["code"] == code:
            return int(entity["id"])
    raise typer.BadParameter(f"unknown entity {code}", param_hint="--entity")


def _levels(text: str) -> list[dict[str, str]]:
    """'approver,user:cfo' -> [{"role": "approver"}, {"user": "cfo"}]; '' = auto-approve."""
    levels = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        kind, _, name = part.rpartition(":")
        levels.append({"user" if kind == "user" else "role": name})
    return levels


def _show_levels(levels: list[dict[str, str]]) -> str:
    return " -> ".join(lv.get("role") or f"user:{lv.get('user')}" for lv in levels) or "(auto-approve)"


@policy_app.command("show")
def show(entity: EntityOpt) -> None:
    """Bands, settings, tolerances and delegations of an entity."""
    with cli_tasks._client() as client:
        e = {"entity_id": _entity_id(client, entity)}
        bands = _ok(client.get("/approval-bands", params=e))
        settings = _ok(client.get("/approval-settings", params=e))
        tolerances = _ok(client.get("/match-tolerances", params=e))
        delegations = _ok(client.get("/delegations", params=e))
    typer.echo(f"Approval bands of {entity}:")
    for b in bands:
        dates = f" {b['effective_from'] or '...'} to {b['effective_to'] or '...'}"
        typer.echo(
            f"  #{b['id']:<5} {b['category'] or 'any category':<14} {b['min_amount']:>14} to "
            f"{b['max_amount'] or 'open':>14}{dates}: {_show_levels(b['levels'])}"
        )
    typer.echo("Settings:")
    for s in settings:
        typer.echo(
            f"  from {s['effective_from'] or 'always'}: SLA {s['sla_hours']} h, escalation {s['escalation']},"
            f" cap {s['window_cap'] or 'none'} per {s['window_days']} days, grace {s['grace_days']} days,"
            f" over-receipt {s['over_receipt_pct']} %"
        )
    typer.echo("Match tolerances:")
    for t in tolerances:
        scope = f"supplier {t['supplier_id'] or 'any'}, category {t['category'] or 'any'}"
        typer.echo(
            f"  #{t['id']:<5} {scope}: qty {t['qty_pct']} %, price {t['price_pct']} % or {t['price_abs']}"
        )
    typer.echo("Delegations:")
    for d in delegations:
        kinds = ", ".join(d["task_kinds"] or ["all tasks"])
        typer.echo(
            f"  #{d['id']:<5} {d['delegate']} for {d['delegator']} {d['valid_from']} to {d['valid_to']}: {kinds}"
        )


@band_app.command("add")
def band_add(
    entity: EntityOpt,
    levels: Annotated[str, typer.Option(help="Comma-separated roles, user:NAME for a person; '' = auto")],
    min_amount: Annotated[str, typer.Option("--min", help="From this amount (inclusive)")],
    max_amount: Annotated[
        str | None, typer.Option("--max", help="Below this amount (omit: no upper end)")
    ] = None,
    category: Annotated[str | None, typer.Option(help="Only for this item category")] = None,
    effective_from: Annotated[str | None, typer.Option("--from", help="First day (YYYY-MM-DD)")] = None,
) -> None:
    """Add an approval band; POs created from its first day use it."""
    with cli_tasks._client() as client:
        body = {
            "entity_id": _entity_id(client, entity),
            "min_amount": min_amount,
            "max_amount": max_amount,
            "category": category,
            "levels": _levels(levels),
            "effective_from": effective_from,
        }
        band = _ok(client.post("/approval-bands", json=body))
    typer.echo(f"band #{band['id']} added: {_show_levels(band['levels'])}")


@band_app.command("end")
def band_end(band_id: int, last_day: Annotated[str, typer.Option("--last-day", help="YYYY-MM-DD")]) -> None:
    """End a band after a day (a dated successor may start the day after)."""
    with cli_tasks._client() as client:
        band = _ok(client.patch(f"/approval-bands/{band_id}", json={"effective_to": last_day}))
    typer.echo(f"band #{band['id']} ends after {band['effective_to']}")


@band_app.command("retire")
def band_retire(band_id: int) -> None:
    """Stop using a band for new POs now."""
    with cli_tasks._client() as client:
        _ok(client.post(f"/approval-bands/{band_id}/retire"))
    typer.echo(f"band #{band_id} retired")
