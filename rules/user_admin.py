"""User administration and token use: which entities an admin may change, self-lockout, why a token is refused."""

from collections.abc import Collection, Iterable
from datetime import datetime

from rules.errors import RuleViolation


def entities_after_change(
    current: Iterable[int], wanted: Iterable[int], admin_scope: Collection[int]
) -> list[int]:
    """The user's entities once an admin sets those within the admin's own entities; the others stay."""
    wanted_set = set(wanted)
    outside = sorted(wanted_set - set(admin_scope))
    if outside:
        raise RuleViolation("entity_ids", f"entities {outside} are not among yours")
    merged = sorted({e for e in current if e not in admin_scope} | wanted_set)
    if not merged:
        raise RuleViolation("entity_ids", "a user needs at least one entity; deactivate the user instead")
    return merged


def check_not_self_lockout(
    actor: str, target: str, *, deactivating: bool = False, roles: Collection[str] | None = None
) -> None:
    """An admin cannot lock themselves out (deactivate, revoke or drop their own admin role): another admin must."""
    if actor != target:
        return
    if deactivating:
        raise RuleViolation(
            "user_id", "you cannot deactivate yourself or revoke your own token; ask another admin"
        )
    if roles is not None and "admin" not in roles:
        raise RuleViolation("roles", "you cannot remove your own admin role; ask another admin")


def token_refusal(
    *, active: bool, revoked_at: datetime | None, expires_at: datetime, now: datetime
) -> str | None:
    """Why a known token may not be used now (said to its holder), or None when it may."""
    if not active:
        return "the account is deactivated"
    if revoked_at is not None:
        return f"the token was revoked at {revoked_at.isoformat(timespec='seconds')}"
    if expires_at <= now:
        return f"the token expired at {expires_at.isoformat(timespec='seconds')}; ask an admin for a new one"
    return None
