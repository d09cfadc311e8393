"""Audit subjects that span entities (their rows carry no entity): readable only when the subject is."""

from collections.abc import Callable

from sqlmodel import Session

from services.core.auth import Principal
from services.core.errors import NotFound
from services.integration import webhook_scope


def _subscription(session: Session, who: Principal, subject_id: str) -> bool:
    if not (subject_id.isdigit() and len(subject_id) <= 9):  # ids are int4
        return False
    try:
        webhook_scope.visible_subscription(session, who, int(subject_id))
    except NotFound:
        return False
    return True


def _entity(_session: Session, who: Principal, subject_id: str) -> bool:
    return subject_id.isdigit() and len(subject_id) <= 9 and who.sees(int(subject_id))


# subject_type -> may the caller see this subject? (types not listed are gated row by row)
SUBJECT_GATES: dict[str, Callable[[Session, Principal, str], bool]] = {
    "webhook_subscription": _subscription,
    "Entity": _entity,
}


def subject_visible(session: Session, who: Principal, subject_type: str, subject_id: str) -> bool:
    """False when the subject itself is out of the caller's reach (e.g. another entity's subscription)."""
    gate = SUBJECT_GATES.get(subject_type)
    return gate is None or gate(session, who, subject_id)
