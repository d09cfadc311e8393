"""Bearer tokens (stored as SHA-256 hashes, with an expiry), users and the entities they may see."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection, text
from sqlmodel import Session, col, select

from erp.settings import get_settings
from models.auth import ROLES, User, UserEntity
from rules.errors import RuleViolation
from rules.user_admin import token_refusal
from services.core.errors import NotFound

# The condition every use of a token checks (the API and the idempotency middleware alike).
USABLE_TOKEN_SQL = "u.active AND u.token_revoked_at IS NULL AND u.token_expires_at > now()"


def hash_token(token: str) -> str:
    """Tokens are random 256-bit strings, so one SHA-256 round is enough (no password stretching)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh random bearer token."""
    return f"erp_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller as the API and workflows see it."""

    username: str
    roles: frozenset[str]
    entity_ids: frozenset[int]
    approval_limit: Decimal | None

    def has_role(self, *roles: str) -> bool:
        """True when the caller holds any of the roles (admin holds every role)."""
        return "admin" in self.roles or bool(self.roles.intersection(roles))

    def sees(self, entity_id: int) -> bool:
        """True when the caller belongs to the entity."""
        return entity_id in self.entity_ids


class _TokenHolder(NamedTuple):
    """The user a token hash finds, with their entities, and the database's clock."""

    username: str
    roles: list[str]
    approval_limit: Decimal | None
    entity_ids: list[int]
    active: bool
    revoked_at: datetime | None
    expires_at: datetime
    now: datetime


class TokenRefused(Exception):
    """The token cannot be used; `reason` may be told to whoever holds it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def authenticate(session: Session, token: str) -> Principal:
    """The user holding this token, with their entities; TokenRefused (unknown, revoked, expired, deactivated)."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT u.username, u.roles, u.approval_limit,
                   COALESCE(array_agg(ue.entity_id) FILTER (WHERE ue.entity_id IS NOT NULL), '{}'),
                   u.active, u.token_revoked_at, u.token_expires_at, now()
              FROM app_user u LEFT JOIN user_entity ue ON ue.user_id = u.id
             WHERE u.token_hash = :h
             GROUP BY u.id
            """
            ),
            {"h": hash_token(token)},
        )
        .first()
    )
    if row is None:
        raise TokenRefused("invalid token")
    holder = _TokenHolder(*row)
    refusal = token_refusal(
        active=holder.active, revoked_at=holder.revoked_at, expires_at=holder.expires_at, now=holder.now
    )
    if refusal is not None:
        raise TokenRefused(refusal)
    return Principal(
        holder.username,
        frozenset(holder.roles),
        frozenset(int(e) for e in holder.entity_ids),
        holder.approval_limit,
    )


def usable_username(conn: Connection, token: str) -> str | None:
    """The username behind a token that may be used now, else None."""
    row = conn.execute(
        text(f"SELECT u.username FROM app_user u WHERE u.token_hash = :h AND {USABLE_TOKEN_SQL}"),
        {"h": hash_token(token)},
    ).first()
    return str(row[0]) if row else None


def token_expiry(days: int | None = None) -> datetime:
    """When a token issued now expires (the configured lifetime unless a shorter or longer one is asked)."""
    return datetime.now(UTC) + timedelta(days=days or get_settings().token_ttl_days)


def add_user(
    session: Session,
    *,
    username: str,
    roles: list[str],
    entity_ids: list[int],
    approval_limit: Decimal | None = None,
    display_name: str = "",
    token: str | None = None,
    token_days: int | None = None,
) -> tuple[User, str]:
    """Create a user and return it with its clear-text token (shown once, stored hashed)."""
    check_roles(roles)
    if session.exec(select(User).where(User.username == username)).first():
        raise RuleViolation("username", f"user {username!r} exists already")
    token = token or new_token()
    user = User(
        username=username,
        display_name=display_name or username,
        roles=roles,
        approval_limit=approval_limit,
        token_hash=hash_token(token),
        token_expires_at=token_expiry(token_days),
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    for entity_id in entity_ids:
        session.add(UserEntity(user_id=user.id, entity_id=entity_id))
    session.flush()
    return user, token


def visible_user(session: Session, user_id: int, scope: frozenset[int]) -> User:
    """A user who shares an entity with the caller, else NotFound (ids of other entities' users stay hidden)."""
    user = session.get(User, user_id)
    if user is None or not scope.intersection(entities_of(session, user_id)):
        raise NotFound("user_id", f"user {user_id} does not exist")
    return user


def entities_of(session: Session, user_id: int) -> list[int]:
    """The entities a user belongs to."""
    query = (
        select(UserEntity.entity_id).where(UserEntity.user_id == user_id).order_by(col(UserEntity.entity_id))
    )
    return list(session.exec(query).all())


def list_users(session: Session, scope: frozenset[int], limit: int, offset: int) -> list[User]:
    """Users who share at least one entity with the caller, by username."""
    shared = select(UserEntity.user_id).where(col(UserEntity.entity_id).in_(sorted(scope)))
    query = (
        select(User).where(col(User.id).in_(shared)).order_by(col(User.username)).limit(limit).offset(offset)
    )
    return list(session.exec(query).all())


def user_view(session: Session, user: User, scope: frozenset[int]) -> dict[str, Any]:
    """A user as an admin sees it: never the token or its hash; only the entities the admin shares."""
    assert user.id is not None
    return {
        "id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "roles": sorted(user.roles),
        "entity_ids": [e for e in entities_of(session, user.id) if e in scope],
        "approval_limit": None if user.approval_limit is None else str(user.approval_limit),
        "active": user.active,
        "token_expires_at": _iso(user.token_expires_at),
        "token_revoked_at": _iso(user.token_revoked_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def set_entities(session: Session, user_id: int, entity_ids: list[int]) -> None:
    """Replace the user's entities."""
    for link in session.exec(select(UserEntity).where(UserEntity.user_id == user_id)).all():
        if link.entity_id not in entity_ids:
            session.delete(link)
    have = set(entities_of(session, user_id))
    for entity_id in entity_ids:
        if entity_id not in have:
            session.add(UserEntity(user_id=user_id, entity_id=entity_id))
    session.flush()


def check_roles(roles: list[str]) -> None:
    """Refuse a role that does not exist."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise RuleViolation("roles", f"unknown roles {unknown}; known: {list(ROLES)}")


def rotate_token(session: Session, user: User, days: int | None = None) -> str:
    """Issue a new token for the user (the old one stops working at once); returns it in clear, once."""
    token = new_token()
    user.token_hash = hash_token(token)
    user.token_expires_at = token_expiry(days)
    user.token_revoked_at = None
    session.add(user)
    session.flush()
    return token


def revoke_token(session: Session, user: User) -> None:
    """The user's token stops working at once (a rotation issues a new one)."""
    if user.token_revoked_at is None:
        user.token_revoked_at = datetime.now(UTC)
        session.add(user)
        session.flush()


def user_by_name(session: Session, username: str) -> User:
    """A user by username, or NotFound."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound("username", f"user {username!r} does not exist")
    return user
