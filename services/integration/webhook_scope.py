"""Webhook subscriptions as one admin sees them: only those whose entities are all the admin's."""

from sqlalchemy import text
from sqlmodel import Session

from models.webhooks import WebhookSubscription
from rules.entity_scope import covers
from services.core.auth import Principal
from services.core.errors import NotFound

# The SQL twin of rules.entity_scope.covers over a subscription aliased `s` and the caller's ids `:mine`.
IN_SCOPE = """
    CASE WHEN cardinality(s.entity_ids) > 0 THEN s.entity_ids <@ CAST(:mine AS int[])
         ELSE NOT EXISTS (SELECT 1 FROM entity e WHERE e.id <> ALL(CAST(:mine AS int[]))) END
"""


def _every_entity(session: Session) -> list[int]:
    return [int(i) for i in session.connection().execute(text("SELECT id FROM entity")).scalars()]


def visible_subscription(session: Session, who: Principal, subscription_id: int) -> WebhookSubscription:
    """The subscription when all its entities are the caller's; NotFound otherwise (ids cannot be probed)."""
    sub = session.get(WebhookSubscription, subscription_id)
    every = _every_entity(session) if sub is not None and not sub.entity_ids else []
    if sub is None or not covers(who.entity_ids, sub.entity_ids, every):
        raise NotFound("subscription_id", f"webhook subscription {subscription_id} does not exist")
    return sub


def visible_ids(session: Session, who: Principal) -> list[int]:
    """Ids of the subscriptions the caller may see."""
    rows = session.connection().execute(
        text(f"SELECT s.id FROM webhook_subscription s WHERE {IN_SCOPE} ORDER BY s.id"),
        {"mine": sorted(who.entity_ids)},
    )
    return [int(i) for i in rows.scalars()]


def visible_subscriptions(
    session: Session, who: Principal, limit: int, offset: int
) -> list[WebhookSubscription]:
    """The caller's subscriptions in id order, one page."""
    ids = visible_ids(session, who)[offset : offset + limit]
    return [sub for i in ids if (sub := session.get(WebhookSubscription, i)) is not None]


def scoped_filter(session: Session, who: Principal, subscription_id: int | None) -> list[int]:
    """The subscription ids a delivery listing may show: the one asked for (if visible) or all visible."""
    if subscription_id is not None:
        return [visible_subscription(session, who, subscription_id).id or 0]
    return visible_ids(session, who)
