"""Who am I, and user administration (admins)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import Field

from api.deps import PrincipalDep, SessionDep, check_entity, require
from api.schemas.base import Body, Id, examples
from models.auth import ROLES
from models.contracts.bounds import Amount
from services.auth import Principal, add_user

router = APIRouter(tags=["users"])


class UserCreate(Body):
    """A new user; the token is returned once and stored only as a hash."""

    model_config = examples(
        {"username": "ana.buyer", "display_name": "Ana Weber", "roles": ["buyer"], "entity_ids": [1]},
        {"username": "tom.approver", "roles": ["approver"], "entity_ids": [1, 2], "approval_limit": "5000"},
    )

    username: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9_.-]+$", examples=["ana.buyer"])
    display_name: str = Field(default="", max_length=200)
    roles: list[Annotated[str, Field(max_length=40)]] = Field(
        min_length=1, max_length=20, examples=[["buyer"]], description=f"any of {list(ROLES)}"
    )
    entity_ids: list[Id] = Field(min_length=1, max_length=1000)
    approval_limit: Amount | None = None


@router.get("/me", summary="The caller: roles, entities, approval limit")
def me(who: PrincipalDep) -> dict[str, Any]:
    return {
        "username": who.username,
        "roles": sorted(who.roles),
        "entity_ids": sorted(who.entity_ids),
        "approval_limit": who.approval_limit,
    }


@router.post("/users", status_code=201, summary="Create a user (admin)")
def create_user(
    body: UserCreate, session: SessionDep, who: Principal = Depends(require("admin"))
) -> dict[str, Any]:
    for entity_id in body.entity_ids:
        check_entity(who, entity_id)
    user, token = add_user(
        session,
        username=body.username,
        roles=body.roles,
        entity_ids=body.entity_ids,
        approval_limit=body.approval_limit,
        display_name=body.display_name,
    )
    session.commit()
    return {"id": user.id, "username": user.username, "roles": user.roles, "token": token}
