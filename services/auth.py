"""Bearer tokens (stored as SHA-256 hashes), users and the entities they may see."""

import hashlib
import secrets
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session, select

from models.auth import ROLES, User, UserEntity
from rules.errors import RuleViolation


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


def principal_for_token(session: Session, token: str) -> Principal | None:
    """The active user holding this token, with their entities."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT u.username, u.roles, u.approval_limit,
                   COALESCE(array_agg(ue.entity_id) FILTER (WHERE ue.entity_id IS NOT NULL), '{}')
              FROM app_user u LEFT JOIN user_entity ue ON ue.user_id = u.id
             WHERE u.token_hash = :h AND u.active
             GROUP BY u.id
            """
            ),
            {"h": hash_token(token)},
        )
        .first()
    )
    if row is None:
        return None
    return Principal(row[0], frozenset(row[1]), frozenset(int(e) for e in row[3]), row[2])


def add_user(
    session: Session,
    *,
    username: str,
    roles: list[str],
    entity_ids: list[int],
    approval_limit: Decimal | None = None,
    display_name: str = "",
    token: str | None = None,
) -> tuple[User, str]:
    """Create a user and return it with its clear-text token (shown once, stored hashed)."""
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise RuleViolation("roles", f"unknown roles {unknown}; known: {list(ROLES)}")
    if session.exec(select(User).where(User.username == username)).first():
        raise RuleViolation("username", f"user {username!r} exists already")
    token = token or new_token()
    user = User(
        username=username,
        display_name=display_name or username,
        roles=roles,
        approval_limit=approval_limit,
        token_hash=hash_token(token),
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    for entity_id in entity_ids:
        session.add(UserEntity(user_id=user.id, entity_id=entity_id))
    session.flush()
    return user, token
