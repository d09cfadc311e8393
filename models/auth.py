"""Users, their roles and entities, bearer tokens (hashed) and delegations."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import ARRAY, DateTime, String, text
from sqlmodel import Field, SQLModel

from models.base import created_at, money

# Rows written without services.core.auth (tests, old scripts) still get an expiry; the API sets its own.
DEFAULT_TOKEN_EXPIRY_SQL = "now() + interval '90 days'"

ROLES = ("admin", "buyer", "approver", "warehouse", "ap_clerk", "sales_ops", "controller")


class User(SQLModel, table=True):
    """A person (or integration) that calls the API; the token is stored only as a SHA-256 hash and expires."""

    __tablename__ = "app_user"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=80)
    display_name: str = ""
    roles: list[str] = Field(default_factory=list, sa_type=ARRAY(String))
    approval_limit: Decimal | None = money(None)
    token_hash: str = Field(unique=True, max_length=64)
    token_expires_at: datetime | None = Field(
        default=None,
        sa_type=DateTime(timezone=True),
        sa_column_kwargs={"server_default": text(DEFAULT_TOKEN_EXPIRY_SQL), "nullable": False},
    )
    token_revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    active: bool = True
    created_at: datetime | None = created_at()


class UserEntity(SQLModel, table=True):
    """Which entities a user may see and act on."""

    __tablename__ = "user_entity"
    user_id: int = Field(foreign_key="app_user.id", primary_key=True)
    entity_id: int = Field(foreign_key="entity.id", primary_key=True)


class Delegation(SQLModel, table=True):
    """While away, `delegator` lets `delegate` act for them between two dates (both inclusive).

    Scope: one entity (None = every entity both share) and some task kinds (None = all); a revoked
    delegation lends nothing from then on."""

    id: int | None = Field(default=None, primary_key=True)
    delegator: str = Field(max_length=80, index=True)
    delegate: str = Field(max_length=80, index=True)
    valid_from: date
    valid_to: date
    entity_id: int | None = Field(default=None, foreign_key="entity.id")
    task_kinds: list[str] | None = Field(default=None, sa_type=ARRAY(String))
    created_by: str | None = Field(default=None, max_length=80)
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    revoked_by: str | None = Field(default=None, max_length=80)
