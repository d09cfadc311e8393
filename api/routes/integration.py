"""Integration endpoints: the event catalogue, webhook subscriptions (admins), deliveries, dead letters
and replays."""

import logging
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Body as BodyParam

from api.deps import PrincipalDep, SessionDep, require
from api.errors import responses
from api.schemas.base import many
from api.schemas.integration import (
    DeadLetterView,
    DeliveryView,
    EventTypeView,
    ReplayAnswer,
    ReplayRequest,
    SecretRotation,
    SubscriptionCreate,
    SubscriptionUpdate,
    SubscriptionView,
    SubscriptionWithSecret,
)
from erp.settings import get_settings
from models.contracts.events import CATALOGUE, EventEnvelope, json_schema
from rules.entity_scope import check_entity_list
from services.core.audit_log import audit_change
from services.core.auth import Principal
from services.integration import webhook_scope, webhook_views, webhooks
from services.integration.webhook_targets import check_webhook_url
from workflows.integration.starter import ensure_dispatcher

log = logging.getLogger("erp.api.integration")
router = APIRouter(prefix="/integration", tags=["integration"], responses=responses(401, 422))
Admin = Annotated[Principal, Depends(require("admin"))]
Limit = Query(100, ge=1, le=1000)
Offset = Query(0, ge=0)


async def _wake_dispatcher(request: Request) -> bool:
    """Best effort: subscriptions are data, so they are saved even while Temporal is down."""
    try:
        client = await request.app.state.temporal.get()
        await ensure_dispatcher(client, get_settings().task_queue)
        return True
    except Exception as exc:  # the worker starts the dispatcher too; nothing is lost meanwhile
        log.warning("could not start the outbox dispatcher: %s", exc)
        return False


def _check_target(who: Principal, entity_ids: list[int] | None, url: str | None) -> None:
    """Entities all the caller's (never empty: that meant every entity) and a URL that is not internal."""
    if entity_ids is not None:
        check_entity_list(who.entity_ids, entity_ids)
    if url is not None:
        check_webhook_url(url)


@router.get(
    "/events/schema",
    summary="The catalogue of outbound event types with a JSON schema each",
    response_model=many(EventTypeView),
)
def event_schemas(_: PrincipalDep) -> list[dict[str, Any]]:
    """Every event type a webhook receiver can get, with the JSON schema of its `data`."""
    return [
        {
            "type": t.name,
            "version": t.version,
            "document_type": t.document_type,
            "description": t.description,
            "schema": json_schema(t),
        }
        for t in CATALOGUE.values()
    ]


@router.get(
    "/events",
    summary="Outbound events in commit order, as receivers get them (after an outbox id)",
    response_model=many(EventEnvelope),
    responses=responses(403),
)
def list_events(
    session: SessionDep, who: Admin, after: int = Query(0, ge=0), limit: int = Limit
) -> list[dict[str, Any]]:
    """Outbound events of your entities after an outbox id, oldest first, as the envelopes receivers get (admins): a
    receiver can catch up by polling."""
    return webhook_views.events_after(session, sorted(who.entity_ids), after, limit)


@router.post(
    "/subscriptions",
    status_code=201,
    summary="Register a webhook receiver (the secret is shown once)",
    response_model=SubscriptionWithSecret,
    responses=responses(403, 409),
)
async def create_subscription(
    body: SubscriptionCreate, request: Request, session: SessionDep, who: Admin
) -> dict[str, Any]:
    """Register a receiver URL for some event types and entities; the answer shows the signing secret once (audited)."""
    values = body.model_dump()
    values["url"] = str(body.url)
    _check_target(who, body.entity_ids, values["url"])
    sub, secret = webhooks.create_subscription(session, values, who.username)
    view = webhooks.public_view(sub)
    audit_change(session, who, "webhook_subscription.create", "webhook_subscription", str(sub.id), None, view)
    session.commit()
    await _wake_dispatcher(request)
    return {**view, "secret": secret}


@router.get(
    "/subscriptions",
    summary="Webhook subscriptions (never their secrets)",
    response_model=many(SubscriptionView),
    responses=responses(403),
)
def list_subscriptions(
    session: SessionDep, who: Admin, limit: int = Limit, offset: int = Offset
) -> list[dict[str, Any]]:
    """Subscriptions that cover your entities, never their secrets."""
    subs = webhook_scope.visible_subscriptions(session, who, limit, offset)
    return [webhooks.public_view(s) for s in subs]


@router.get(
    "/subscriptions/{subscription_id}",
    summary="One webhook subscription",
    response_model=SubscriptionView,
    responses=responses(403, 404),
)
def get_subscription(subscription_id: int, session: SessionDep, who: Admin) -> dict[str, Any]:
    """One subscription that covers your entities, without its secret."""
    return webhooks.public_view(webhook_scope.visible_subscription(session, who, subscription_id))


@router.patch(
    "/subscriptions/{subscription_id}",
    summary="Change a subscription (url, filters, retries, secret)",
    response_model=SubscriptionView,
    responses=responses(403, 404, 409),
)
async def update_subscription(
    subscription_id: int, body: SubscriptionUpdate, request: Request, session: SessionDep, who: Admin
) -> dict[str, Any]:
    """Change the URL, filters, retries or secret of a subscription (audited)."""
    sub = webhook_scope.visible_subscription(session, who, subscription_id)
    before = webhooks.public_view(sub)
    changes = body.model_dump(exclude_unset=True)
    if "event_types" in changes:
        webhooks.check_event_types(changes["event_types"] or [])
    if body.url is not None:
        changes["url"] = str(body.url)
    _check_target(who, changes.get("entity_ids"), changes.get("url"))
    for field, value in changes.items():
        if value is not None:
            setattr(sub, field, value)
    session.add(sub)
    session.flush()
    after = webhooks.public_view(sub)
    audit_change(
        session, who, "webhook_subscription.update", "webhook_subscription", str(sub.id), before, after
    )
    session.commit()
    if sub.active:
        await _wake_dispatcher(request)
    return after


@router.delete(
    "/subscriptions/{subscription_id}",
    summary="Deactivate a subscription (its history stays)",
    response_model=SubscriptionView,
    responses=responses(403, 404),
)
def delete_subscription(subscription_id: int, session: SessionDep, who: Admin) -> dict[str, Any]:
    """Deactivate a subscription; its deliveries and dead letters stay (audited)."""
    sub = webhook_scope.visible_subscription(session, who, subscription_id)
    before = webhooks.public_view(sub)
    sub.active = False
    session.add(sub)
    session.flush()
    after = webhooks.public_view(sub)
    audit_change(
        session, who, "webhook_subscription.deactivate", "webhook_subscription", str(sub.id), before, after
    )
    session.commit()
    return after


@router.post(
    "/subscriptions/{subscription_id}/replay",
    summary="Re-send from an event id onwards",
    response_model=ReplayAnswer,
    responses=responses(403, 404),
)
async def replay(
    subscription_id: int, body: ReplayRequest, request: Request, session: SessionDep, who: Admin
) -> dict[str, Any]:
    """Queue the subscription's events again from an event id onwards (a new run); receivers see the same event ids."""
    webhook_scope.visible_subscription(session, who, subscription_id)
    count = webhook_views.replay(session, subscription_id, body.from_event_id)
    audit_change(
        session, who, "webhook_subscription.replay", "webhook_subscription", str(subscription_id), None,
        {"from_event_id": str(body.from_event_id), "replayed": count},
    )  # fmt: skip
    session.commit()
    await _wake_dispatcher(request)
    return {"subscription_id": subscription_id, "from_event_id": str(body.from_event_id), "replayed": count}


@router.get(
    "/deliveries",
    summary="Deliveries, newest first",
    response_model=many(DeliveryView),
    responses=responses(403, 404),
)
def list_deliveries(
    session: SessionDep,
    who: Admin,
    subscription_id: int | None = None,
    status: Literal["pending", "delivered", "dead", "skipped"] | None = None,
    limit: int = Limit,
    offset: int = Offset,
) -> list[dict[str, Any]]:
    """Deliveries of your subscriptions, newest first, by subscription or status."""
    subs = webhook_scope.scoped_filter(session, who, subscription_id)
    return webhook_views.list_deliveries(
        session, subscription_ids=subs, status=status, limit=limit, offset=offset
    )


@router.get(
    "/dead-letters",
    summary="Deliveries that failed every try (replay them from their event id)",
    response_model=many(DeadLetterView),
    responses=responses(403, 404),
)
def list_dead_letters(
    session: SessionDep,
    who: Admin,
    subscription_id: int | None = None,
    include_replayed: bool = False,
    limit: int = Limit,
    offset: int = Offset,
) -> list[dict[str, Any]]:
    """Deliveries that failed every try, newest first; replay them from their event id."""
    return webhook_views.list_dead_letters(
        session,
        subscription_ids=webhook_scope.scoped_filter(session, who, subscription_id),
        include_replayed=include_replayed,
        limit=limit,
        offset=offset,
    )


@router.post(
    "/subscriptions/{subscription_id}/rotate-secret",
    summary="Generate a new secret (shown once); the old one also signs during the overlap window",
    response_model=SubscriptionWithSecret,
    responses=responses(403, 404),
)
def rotate_secret(
    subscription_id: int,
    session: SessionDep,
    who: Admin,
    body: Annotated[
        SecretRotation | None, BodyParam(openapi_examples={"a day": {"value": {"overlap_hours": 24}}})
    ] = None,
) -> dict[str, Any]:
    """A new signing secret, shown once; the old one also signs (second signature) during the overlap."""
    sub = webhook_scope.visible_subscription(session, who, subscription_id)
    hours = body.overlap_hours if body and body.overlap_hours is not None else None
    overlap = timedelta(hours=get_settings().webhook_secret_overlap_hours if hours is None else hours)
    before = webhooks.public_view(sub)
    secret = webhooks.rotate_secret(session, sub, overlap)
    after = webhooks.public_view(sub)
    audit_change(
        session, who, "webhook_subscription.rotate_secret", "webhook_subscription", str(sub.id), before, after
    )
    session.commit()
    return {**after, "secret": secret}
