"""Resolve account roles and codes to the GL accounts of one entity."""

from sqlalchemy import text
from sqlmodel import Session

from services.core.errors import NotFound


def account_ids_by_role(session: Session, entity_id: int) -> dict[str, int]:
    """Every role of the entity's chart of accounts mapped to its account id."""
    rows = session.connection().execute(
        text("SELECT role, id FROM account WHERE entity_id = :e AND role IS NOT NULL AND NOT archived"),
        {"e": entity_id},
    )
    return {role: account_id for role, account_id in rows}


def resolve_account(session: Session, entity_id: int, role_or_code: str, cache: dict[str, int]) -> int:
    """An account id from a role (preferred) or an account code of the entity."""
    if not cache:
        cache.update(account_ids_by_role(session, entity_id))
    if role_or_code in cache:
        return cache[role_or_code]
    row = (
        session.connection()
        .execute(
            text("SELECT id FROM account WHERE entity_id = :e AND code = :c AND NOT archived"),
            {"e": entity_id, "c": role_or_code},
        )
        .first()
    )
    if row is None:
        raise NotFound("account", f"entity {entity_id} has no account with role or code {role_or_code!r}")
    return int(row[0])
