"""Commands the API accepted: follow one to its outcome, and let operators see what still waits."""

from typing import Any

from fastapi import APIRouter, HTTPException, Path, status
from fastapi.encoders import jsonable_encoder

from api.deps import PrincipalDep
from api.errors import responses
from api.schemas.operations import CommandView, PendingCommands
from erp.db import app_engine
from services.core import commands

router = APIRouter(prefix="/commands", tags=["commands"], responses=responses(401))

CommandId = Path(min_length=36, max_length=36, pattern=r"^[0-9a-f-]{36}$")


@router.get(
    "/pending",
    summary="How many accepted commands still wait for their workflow (admins)",
    response_model=PendingCommands,
    responses=responses(403),
)
def pending(who: PrincipalDep) -> dict[str, Any]:
    """The relay's backlog: how many commands are pending and how old the oldest is."""
    if not who.has_role("admin"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this needs one of the roles ['admin']")
    return commands.pending_summary(app_engine())


@router.get(
    "/{command_id}",
    summary="A command answered 202: pending, applied with its result, or rejected with the reason",
    response_model=CommandView,
    responses=responses(404, 422),
)
def get_command(who: PrincipalDep, command_id: str = CommandId) -> dict[str, Any]:
    """Follow a command to its outcome; only its sender (or an admin of its entity) sees it."""
    row = commands.get(app_engine(), command_id)
    # Only the one who sent it (or an admin of its entity) sees it; anyone else gets the same 404.
    mine = row is not None and (
        row.username == who.username
        or (who.has_role("admin") and (row.entity_id is None or who.sees(row.entity_id)))
    )
    if row is None or not mine:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"command {command_id} not found")
    return jsonable_encoder(row)  # type: ignore[no-any-return]
