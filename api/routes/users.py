"""Who am I, and user administration (admins): roles, entities, approval limit, deactivation, tokens.

An admin sees and changes only users who share one of the admin's entities, and grants or removes only
the admin's own entities. A token is shown once (creation, rotation), stored as a hash, and expires.
Every change is audited (never with the token or its hash)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi import Body as BodyParam
from pydantic import Field
from sqlmodel import Session

from api.deps import PrincipalDep, SessionDep, check_entity, require
from api.errors import responses
from api.schemas.base import Body, Id, PathId, examples, many
from api.schemas.users import MeView, UserView, UserWithToken
from models.auth import ROLES, User
from models.contracts.bounds import Amount
from rules.user_admin import check_not_self_lockout, entities_after_change
from services.core import auth
from services.core.audit_log import audit_change
from services.core.auth import Principal, add_user

router = APIRouter(tags=["users"], responses=responses(401))
Admin = Annotated[Principal, Depends(require("admin"))]
Role = Annotated[str, Field(max_length=40)]
TokenDays = Field(
    default=None, ge=1, le=3650, description="token lifetime in days (default ERP_TOKEN_TTL_DAYS, 90)"
)


class UserCreate(Body):
    """A new user; the token is returned once and stored only as a hash."""

    model_config = examples(
        {"username": "ana.buyer", "display_name": "Ana Weber", "roles": ["buyer"], "entity_ids": [1]},
        {"username": "tom.approver", "roles": ["approver"], "entity_ids": [1, 2], "approval_limit": "5000"},
    )

    username: str = Field(min_length=2, max_length=80, pattern=r"^[a-z0-9_.-]+$", examples=["ana.buyer"])
    display_name: str = Field(default="", max_length=200)
    roles: list[Role] = Field(
        min_length=1, max_length=20, examples=[["buyer"]], description=f"any of {list(ROLES)}"
    )
    entity_ids: list[Id] = Field(min_length=1, max_length=1000)
    approval_limit: Amount | None = None
    token_days: int | None = TokenDays


class UserUpdate(Body):
    """Fields to change; `entity_ids` sets the user's entities among yours (others stay), null limit clears it."""

    model_config = examples({"roles": ["buyer", "approver"], "approval_limit": "2500"}, {"entity_ids": [1]})

    display_name: str | None = Field(default=None, max_length=200)
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=20)
    entity_ids: list[Id] | None = Field(default=None, min_length=1, max_length=1000)
    approval_limit: Amount | None = None


class TokenRequest(Body):
    """How long the new token lives."""

    model_config = examples({"days": 30})

    days: int | None = TokenDays


# The body is optional (the default lifetime applies), so its example goes on the parameter.
OptionalTokenRequest = Annotated[
    TokenRequest | None, BodyParam(openapi_examples={"a month": {"value": {"days": 30}}})
]


@router.get("/me", summary="The caller: roles, entities, approval limit", response_model=MeView)
def me(who: PrincipalDep) -> dict[str, Any]:
    """Who the bearer token belongs to: a client's first call, to check the token and see its scope."""
    return {
        "username": who.username,
        "roles": sorted(who.roles),
        "entity_ids": sorted(who.entity_ids),
        "approval_limit": who.approval_limit,
    }


def _audit(
    session: Session, who: Principal, action: str, user: User, before: dict[str, Any] | None
) -> dict[str, Any]:
    after = auth.user_view(session, user, who.entity_ids)
    # Filed under an entity the admin and the user share, so the trail is not shown to every entity.
    shared = after["entity_ids"] or (before or {}).get("entity_ids") or [None]
    audit_change(session, who, f"user.{action}", "user", str(user.id), before, after, entity_id=shared[0])
    return after


@router.post(
    "/users",
    status_code=201,
    summary="Create a user (admin); the answer shows its token once",
    response_model=UserWithToken,
    responses=responses(403, 404, 409, 422),
)
def create_user(body: UserCreate, session: SessionDep, who: Admin) -> dict[str, Any]:
    """Create a user in some of your entities with roles and an optional approval limit (audited)."""
    for entity_id in body.entity_ids:
        check_entity(who, entity_id)
    user, token = add_user(
        session,
        username=body.username,
        roles=body.roles,
        entity_ids=body.entity_ids,
        approval_limit=body.approval_limit,
        display_name=body.display_name,
        token_days=body.token_days,
    )
    view = _audit(session, who, "create", user, None)
    session.commit()
    return {**view, "token": token}


@router.get(
    "/users",
    summary="Users who share one of your entities (admin)",
    response_model=many(UserView),
    responses=responses(403, 422),
)
def list_users(
    session: SessionDep, who: Admin, limit: int = Query(100, ge=1, le=1000), offset: int = Query(0, ge=0)
) -> list[dict[str, Any]]:
    """Users by id, paged; each shows only the entities you share with them."""
    return [
        auth.user_view(session, u, who.entity_ids)
        for u in auth.list_users(session, who.entity_ids, limit, offset)
    ]


@router.get(
    "/users/{user_id}",
    summary="One user (admin)",
    response_model=UserView,
    responses=responses(403, 404, 422),
)
def get_user(user_id: PathId, session: SessionDep, who: Admin) -> dict[str, Any]:
    """One user who shares one of your entities (others answer 404)."""
    return auth.user_view(session, auth.visible_user(session, user_id, who.entity_ids), who.entity_ids)


@router.patch(
    "/users/{user_id}",
    summary="Change roles, entities (among yours), approval limit, name (admin)",
    response_model=UserView,
    responses=responses(403, 404, 422),
)
def update_user(user_id: PathId, body: UserUpdate, session: SessionDep, who: Admin) -> dict[str, Any]:
    """Change the given fields (audited); you cannot take away your own admin role."""
    user = auth.visible_user(session, user_id, who.entity_ids)
    assert user.id is not None
    before = auth.user_view(session, user, who.entity_ids)
    if body.roles is not None:
        auth.check_roles(body.roles)
        check_not_self_lockout(who.username, user.username, roles=body.roles)
        user.roles = sorted(set(body.roles))
    if body.entity_ids is not None:
        for entity_id in body.entity_ids:
            check_entity(who, entity_id)
        current = auth.entities_of(session, user.id)
        auth.set_entities(session, user.id, entities_after_change(current, body.entity_ids, who.entity_ids))
    if body.display_name is not None:
        user.display_name = body.display_name or user.username
    if "approval_limit" in body.model_fields_set:
        user.approval_limit = body.approval_limit
    session.add(user)
    session.flush()
    after = _audit(session, who, "update", user, before)
    session.commit()
    return after


@router.post(
    "/users/{user_id}/deactivate",
    summary="Deactivate a user: their token answers 401 at once (admin)",
    response_model=UserView,
    responses=responses(403, 404, 422),
)
def deactivate_user(user_id: PathId, session: SessionDep, who: Admin) -> dict[str, Any]:
    """Deactivate a user (audited); not yourself."""
    return _set_active(session, who, user_id, active=False)


@router.post(
    "/users/{user_id}/activate",
    summary="Activate a deactivated user again (admin)",
    response_model=UserView,
    responses=responses(403, 404, 422),
)
def activate_user(user_id: PathId, session: SessionDep, who: Admin) -> dict[str, Any]:
    """Activate a user again (audited); their token works again unless it expired or was revoked."""
    return _set_active(session, who, user_id, active=True)


def _set_active(session: Session, who: Principal, user_id: int, *, active: bool) -> dict[str, Any]:
    user = auth.visible_user(session, user_id, who.entity_ids)
    if not active:
        check_not_self_lockout(who.username, user.username, deactivating=True)
    before = auth.user_view(session, user, who.entity_ids)
    user.active = active
    session.add(user)
    session.flush()
    after = _audit(session, who, "activate" if active else "deactivate", user, before)
    session.commit()
    return after


@router.post(
    "/users/{user_id}/token",
    summary="Issue a new token; the old one stops working (admin)",
    response_model=UserWithToken,
    responses=responses(403, 404, 422),
)
def rotate_token(
    user_id: PathId, session: SessionDep, who: Admin, body: OptionalTokenRequest = None
) -> dict[str, Any]:
    """Rotate a user's token (audited): the answer shows the new one once."""
    user = auth.visible_user(session, user_id, who.entity_ids)
    before = auth.user_view(session, user, who.entity_ids)
    token = auth.rotate_token(session, user, body.days if body else None)
    after = _audit(session, who, "token_rotate", user, before)
    session.commit()
    return {**after, "token": token}


@router.delete(
    "/users/{user_id}/token",
    summary="Revoke the user's token: it answers 401 at once (admin)",
    response_model=UserView,
    responses=responses(403, 404, 422),
)
def revoke_token(user_id: PathId, session: SessionDep, who: Admin) -> dict[str, Any]:
    """Revoke a user's token (audited); not your own. Issue a new one with POST .../token."""
    user = auth.visible_user(session, user_id, who.entity_ids)
    check_not_self_lockout(who.username, user.username, deactivating=True)
    before = auth.user_view(session, user, who.entity_ids)
    auth.revoke_token(session, user)
    after = _audit(session, who, "token_revoke", user, before)
    session.commit()
    return after


@router.post(
    "/me/token",
    summary="Replace your own token before it expires; the old one stops working",
    response_model=UserWithToken,
    responses=responses(422),
)
def rotate_own_token(
    session: SessionDep, who: PrincipalDep, body: OptionalTokenRequest = None
) -> dict[str, Any]:
    """Rotate your own token (audited): the answer shows the new one once."""
    user = auth.user_by_name(session, who.username)
    before = auth.user_view(session, user, who.entity_ids)
    token = auth.rotate_token(session, user, body.days if body else None)
    after = _audit(session, who, "token_rotate", user, before)
    session.commit()
    return {**after, "token": token}
