"""The `erp` command: start the whole system, or one piece of it."""

import asyncio
import logging
from decimal import Decimal
from typing import Annotated

import httpx
import typer

from erp.cli.close import close_app
from erp.cli.foresight import foresight_app
from erp.cli.imports import import_file
from erp.cli.policy import policy_app
from erp.cli.reconcile import reconcile_app
from erp.cli.replay import replay
from erp.cli.replenish import replenish_app
from erp.cli.simulate import simulate
from erp.cli.stuck import stuck
from erp.cli.tasks import tasks_app
from erp.hard_exit import exits_hard
from erp.logs import configure
from erp.settings import get_settings

app = typer.Typer(
    help="Retail ERP: procure-to-pay, order-to-fulfill, returns and close on Temporal + PostgreSQL.",
    no_args_is_help=True,
)
users_app = typer.Typer(help="Manage users and their tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(tasks_app, name="tasks")
app.add_typer(close_app, name="close")
app.add_typer(foresight_app, name="foresight")
app.add_typer(replenish_app, name="replenish")
app.add_typer(reconcile_app, name="reconcile")
app.add_typer(policy_app, name="policy")
app.command("simulate")(simulate)
app.command("import")(import_file)
app.command("stuck")(stuck)
app.command("replay")(replay)


SERVICES = {"up", "worker", "api", "seed", "migrate"}


@app.callback()
def _setup(
    ctx: typer.Context,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log INFO lines (libraries too)")] = False,
) -> None:
    # Services narrate at INFO (access, activity and decision lines); a command a person types stays quiet
    # unless asked, so its output is what it prints.
    service = ctx.invoked_subcommand in SERVICES
    configure(get_settings().log_json, logging.INFO if service or verbose else logging.WARNING)


@app.command()
def up(
    seed: Annotated[bool, typer.Option(help="Seed the demo retailer when the database is empty")] = True,
) -> None:
    """Start everything: PostgreSQL, Temporal with its UI, migrations, demo data, worker and API."""
    from erp.cli.up import run_stack

    raise typer.Exit(run_stack(seed=seed))


@app.command()
def migrate() -> None:
    """Bring the database schema up to date (idempotent)."""
    from erp.db import database_url
    from erp.migrate import upgrade

    upgrade(database_url())
    print("database schema is up to date")


@app.command("temporal-setup")
@exits_hard
def temporal_setup() -> None:
    """Register the project's search attributes on the namespace (idempotent)."""
    from erp.temporal import connect, register_search_attributes

    async def _run() -> list[str]:
        return await register_search_attributes(await connect())

    added = asyncio.run(_run())
    print(f"search attributes added: {', '.join(added) or 'none (all present)'}")


@app.command()
def seed() -> None:
    """Seed the demo retailer if the database is empty; prints the demo users and tokens."""
    from erp.db import app_engine, session_scope
    from erp.demo.seed import seed_demo

    with session_scope(app_engine()) as session:
        users = seed_demo(session)
    if not users:
        print("database already has data: nothing seeded")
        return
    print("demo users (role: username token):")
    for username, roles, token in users:
        print(f"  {','.join(roles):<22} {username:<12} {token}")


@app.command()
def worker() -> None:
    """Run a Temporal worker (scale out by running more of them)."""
    from worker import run_worker

    settings = get_settings()
    asyncio.run(run_worker(settings.worker_metrics_port or None))


@app.command()
def api(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port to bind")] = None,
) -> None:
    """Run the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    from erp.embedded import require_free_port

    settings = get_settings()
    host = host or settings.api_host
    port = port or settings.api_port
    require_free_port("127.0.0.1" if host in ("0.0.0.0", "") else host, port, "the API")
    uvicorn.run("api.main:app", host=host, port=port, log_level="info", access_log=False)


@users_app.command("add")
def users_add(
    username: str,
    roles: Annotated[str, typer.Option(help="Comma-separated roles, e.g. buyer,approver")],
    entities: Annotated[str, typer.Option(help="Comma-separated entity codes")],
    approval_limit: Annotated[str | None, typer.Option(help="Approval limit in the entity currency")] = None,
) -> None:
    """Create a user and print its token (shown once; stored hashed)."""
    from sqlmodel import col, select

    from erp.db import app_engine, session_scope
    from models.master import Entity
    from services.core.auth import add_user

    with session_scope(app_engine()) as session:
        codes = [c.strip() for c in entities.split(",") if c.strip()]
        found = session.exec(select(Entity).where(col(Entity.code).in_(codes))).all()
        missing = sorted(set(codes) - {e.code for e in found})
        if missing:
            raise typer.BadParameter(f"unknown entities {missing}", param_hint="--entities")
        _, token = add_user(
            session,
            username=username,
            roles=[r.strip() for r in roles.split(",") if r.strip()],
            entity_ids=[e.id for e in found if e.id is not None],
            approval_limit=Decimal(approval_limit) if approval_limit else None,
        )
    print(token)


@users_app.command("rotate-token")
def users_rotate_token(
    username: str,
    days: Annotated[
        int | None, typer.Option(min=1, max=3650, help="Token lifetime (default ERP_TOKEN_TTL_DAYS)")
    ] = None,
) -> None:
    """Issue a new token for a user and print it (the old one stops working; e.g. an admin locked out)."""
    from erp.db import app_engine, session_scope
    from services.core.audit_log import audit_change
    from services.core.auth import Principal, rotate_token, user_by_name
    from services.core.errors import NotFound

    with session_scope(app_engine()) as session:
        try:
            user = user_by_name(session, username)
        except NotFound as missing:
            raise typer.BadParameter(missing.reason, param_hint="USERNAME") from None
        token = rotate_token(session, user, days)
        # Audited like the API's rotation; the actor is the operator's shell, not a user.
        operator = Principal("erp-cli", frozenset({"admin"}), frozenset(), None)
        after = {"username": user.username, "token_expires_at": str(user.token_expires_at)}
        audit_change(session, operator, "user.token_rotate", "user", str(user.id), None, after)
    print(token)


def main() -> None:
    """Console entry point."""
    logging.captureWarnings(True)
    try:
        app()
    except httpx.TransportError as exc:
        # A command talking to the API (tasks, policy, stuck, ...) that cannot reach it: one line, not a traceback.
        try:
            where = f" at {exc.request.url}"
        except RuntimeError:  # raised before a request was made
            where = ""
        typer.echo(f"Cannot reach the ERP API{where}: {exc}. Is it running (`erp up`)?", err=True)
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
