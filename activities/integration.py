"""Activities of outbound webhooks: fan out and start deliveries, wait for new events, POST, dead-letter."""

import asyncio
import time
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import Engine, text
from temporalio import activity
from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import ApplicationError

from erp.db import session_scope
from models.contracts.integration import (
    DeadLetterRequest,
    DeliveryAttemptResult,
    DeliveryRequest,
    DispatchRequest,
    DispatchResult,
    WaitRequest,
)
from models.contracts.summaries import summary_of
from rules.errors import RuleViolation
from rules.outbound_target import pin
from rules.webhook_signature import EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, sign_rotating
from services.core import search_codes
from services.integration import webhooks
from services.integration.webhook_targets import check_webhook_url
from services.integration.webhooks import NOTIFY_CHANNEL, DeliveryToStart
from workflows import search_attributes as sa

# A receiver gets 5 s to accept the connection and 10 s to answer; slower counts as a failed try.
HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
_START_CONCURRENCY = 16
# Only this much of a receiver's answer is read and kept (admins see it in the delivery list).
REPLY_BYTES = 200


def _post(url: str, address: str | None, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST to the checked address without following redirects; the status and at most REPLY_BYTES of the
    answer, printable."""
    target = pin(url, address)
    extensions = {"sni_hostname": target.tls_name} if target.tls_name else {}
    if target.host_header:
        headers = {**headers, "Host": target.host_header}
    with (
        httpx.Client(timeout=HTTP_TIMEOUT, follow_redirects=False) as client,
        client.stream("POST", target.url, content=body, headers=headers, extensions=extensions) as response,
    ):
        head = b""
        for chunk in response.iter_bytes():
            head += chunk
            if len(head) >= REPLY_BYTES:
                break
    text = head[:REPLY_BYTES].decode("utf-8", errors="replace")
    return response.status_code, "".join(c if c.isprintable() else " " for c in text)


class IntegrationActivities:
    """Webhook I/O; idempotent through the delivery rows (a re-sent event carries the same event id)."""

    def __init__(self, engine: Engine, client: Client | None) -> None:
        self.engine = engine
        self.client = client

    def _sweep(self, limit: int) -> tuple[int, list[DeliveryToStart]]:
        with session_scope(self.engine) as s:
            fanned = webhooks.fan_out(s, limit)
        with session_scope(self.engine) as s:
            return fanned, webhooks.deliveries_to_start(s, limit)

    def _mark_started(self, runs: list[tuple[int, int]]) -> None:
        with session_scope(self.engine) as s:
            webhooks.mark_started(s, runs)

    async def _start(self, job: DeliveryToStart, task_queue: str) -> None:
        # Imported here: the delivery workflow imports this class for its typed activity calls.
        from workflows.integration.delivery import WebhookDeliveryWorkflow

        assert self.client is not None, "the worker must pass a Temporal client to IntegrationActivities"
        pairs: list[SearchAttributePair[Any]] = [
            SearchAttributePair(sa.DOCUMENT_TYPE, job.document_type),
            SearchAttributePair(sa.DOCUMENT_NUMBER, job.document_id),
            SearchAttributePair(sa.STAGE, "delivering"),
            SearchAttributePair(sa.PENDING_ON, "subscriber"),
        ]
        if job.entity_id is not None:
            code = await asyncio.to_thread(search_codes.entity_code, self.engine, job.entity_id)
            pairs.append(SearchAttributePair(sa.ENTITY, code or str(job.entity_id)))
        delivery = DeliveryRequest(
            delivery_id=job.delivery_id,
            run=job.run,
            max_attempts=job.max_attempts,
            first_retry_seconds=job.first_retry_seconds,
        )
        await self.client.start_workflow(
            WebhookDeliveryWorkflow.run,
            delivery,
            static_summary=summary_of(delivery),
            id=job.workflow_id,
            task_queue=task_queue,
            # A replay re-runs a finished delivery under the same id; a running one simply carries on.
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            search_attributes=TypedSearchAttributes(pairs),
        )

    @activity.defn(name="integration.dispatch")
    async def dispatch(self, req: DispatchRequest) -> DispatchResult:
        """Fan new events out to subscriptions and start one delivery workflow per pending run."""
        fanned, todo = await asyncio.to_thread(self._sweep, req.limit)
        gate = asyncio.Semaphore(_START_CONCURRENCY)
        task_queue = activity.info().task_queue

        async def start(job: DeliveryToStart) -> None:
            async with gate:
                await self._start(job, task_queue)

        await asyncio.gather(*(start(job) for job in todo))
        await asyncio.to_thread(self._mark_started, [(j.delivery_id, j.run) for j in todo])
        return DispatchResult(
            fanned_out=fanned, started=len(todo), more=fanned >= req.limit or len(todo) >= req.limit
        )

    @activity.defn(name="integration.wait_for_events")
    def wait_for_events(self, req: WaitRequest) -> bool:
        """Block until an outbox row (or a replay) commits, or the time is up; True when there is work."""
        with self.engine.connect() as conn:
            auto = conn.execution_options(isolation_level="AUTOCOMMIT")
            # LISTEN before looking, so a commit between the look and the wait is not missed.
            auto.execute(text(f"LISTEN {NOTIFY_CHANNEL}"))
            try:
                with session_scope(self.engine) as s:
                    if webhooks.has_work(s):
                        return True
                pg = auto.connection.driver_connection
                assert pg is not None
                deadline = time.monotonic() + req.seconds
                while time.monotonic() < deadline:
                    for _ in pg.notifies(timeout=1.0, stop_after=1):
                        return True
                    activity.heartbeat()
                    if activity.is_cancelled() or activity.is_worker_shutdown():
                        return False
                return False
            finally:
                auto.execute(text("UNLISTEN *"))

    @activity.defn(name="integration.deliver")
    def deliver(self, req: DeliveryRequest) -> DeliveryAttemptResult:
        """POST the signed event once; a non-2xx answer or a transport error raises so Temporal retries."""
        with session_scope(self.engine) as s:
            job = webhooks.send_job(s, req.delivery_id)
            if job is None:
                raise ApplicationError(f"delivery {req.delivery_id} does not exist", non_retryable=True)
            if job.status in ("delivered", "skipped", "dead"):
                return DeliveryAttemptResult(status=job.status)
            if not job.active:
                webhooks.mark_skipped(s, job.delivery_id)
                return DeliveryAttemptResult(status="skipped")
        attempt = activity.info().attempt
        try:
            # Again at each try: DNS may point elsewhere now, and older rows were never checked.
            addresses = check_webhook_url(job.url)
        except RuleViolation as refused:
            with session_scope(self.engine) as s:
                webhooks.record_attempt(
                    s, job, attempt=attempt, status_code=None, error=f"refused target: {refused.reason}"[:500],
                    duration_ms=0, delivered=False,
                )  # fmt: skip
            # Not retried: the workflow parks it as a dead letter; fixing the URL and replaying sends it.
            raise ApplicationError(
                f"refused target: {refused.reason}", type="WebhookTargetRefused", non_retryable=True
            ) from refused
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "retail-erp-webhooks/1",
            EVENT_ID_HEADER: str(job.event_id),
            EVENT_TYPE_HEADER: job.event_type,
            SIGNATURE_HEADER: sign_rotating(job.secret, job.previous_secret, int(time.time()), job.body),
        }
        began = time.monotonic()
        code: int | None = None
        error: str | None = None
        try:
            code, reply = _post(job.url, addresses[0] if addresses else None, job.body, headers)
            if not 200 <= code < 300:
                error = f"receiver answered {code}: {reply}"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        with session_scope(self.engine) as s:
            webhooks.record_attempt(
                s,
                job,
                attempt=attempt,
                status_code=code,
                error=error,
                duration_ms=int((time.monotonic() - began) * 1000),
                delivered=error is None,
            )
        if error is not None:
            raise ApplicationError(f"try {attempt}: {error}", type="WebhookNotAccepted")
        return DeliveryAttemptResult(status="delivered", status_code=code)

    @activity.defn(name="integration.dead_letter")
    def dead_letter(self, req: DeadLetterRequest) -> None:
        """Park a delivery run that failed every try."""
        with session_scope(self.engine) as s:
            webhooks.dead_letter(s, req.delivery_id, req.run, req.reason)

    def all(self) -> list[Callable[..., Any]]:
        """Every activity method, for the registry."""
        return [self.dispatch, self.wait_for_events, self.deliver, self.dead_letter]
