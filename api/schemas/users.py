"""Response models of the caller's profile and of user administration."""

from decimal import Decimal

from pydantic import Field

from api.schemas.base import Reply, reply_examples


class MeView(Reply):
    """The caller behind the token: roles, entities and approval limit."""

    model_config = reply_examples(
        {"username": "ana.buyer", "roles": ["buyer"], "entity_ids": [1], "approval_limit": "5000.00"}
    )

    username: str
    roles: list[str]
    entity_ids: list[int]
    approval_limit: Decimal | None = Field(description="the most the caller may approve; null: no limit set")


class UserView(Reply):
    """A user as an admin sees it: never the token or its hash; only the entities the admin shares."""

    model_config = reply_examples(
        {
            "id": 7,
            "username": "ana.buyer",
            "display_name": "Ana Weber",
            "roles": ["buyer"],
            "entity_ids": [1],
            "approval_limit": None,
            "active": True,
            "token_expires_at": "2027-02-28T11:30:00+00:00",
            "token_revoked_at": None,
        }
    )

    id: int
    username: str
    display_name: str
    roles: list[str]
    entity_ids: list[int]
    approval_limit: Decimal | None
    active: bool
    token_expires_at: str | None = Field(description="ISO 8601 timestamp with offset")
    token_revoked_at: str | None = Field(description="ISO 8601 timestamp with offset")


class UserWithToken(UserView):
    """A user with the token just issued: shown this once, stored only as a hash."""

    token: str = Field(description="the bearer token; keep it, it is not shown again")
