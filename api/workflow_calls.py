"""Commands from routes to workflows, answered as HTTP. A command is a row in PostgreSQL before it is an
answer: 200/201 when its workflow applied it, 403/409/422 naming the field when it refused, 202 with the
command's URL when the answer did not come in time (the relay delivers it; GET /commands/{id} tells), and
503 with Retry-After, having written nothing, when the command cannot be stored."""

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import (
    Client,
    WorkflowHandle,
    WorkflowQueryFailedError,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.request_context import idempotency_key, note
from erp.command_delivery import deliver, refusal_body, spec_for
from erp.db import app_engine
from erp.settings import get_settings
from services.core import commands
from services.core.auth import Principal
from services.core.commands import CommandRow, Kind


def unavailable(exc: Exception) -> HTTPException:
    """503 with Retry-After: the workflow service cannot be reached right now."""
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        f"workflow service unavailable: {type(exc).__name__}",
        headers={"Retry-After": "5"},
    )


def refusal(cause: ApplicationError, default_field: str) -> JSONResponse:
    """A workflow's refusal as the API's error shape; "field: reason" messages name their field."""
    code, body = refusal_body(cause, default_field)
    return JSONResponse(body, status_code=code)


def command_url(command_id: str) -> str:
    """Where a client follows a command that was accepted without an outcome yet."""
    return f"/commands/{command_id}"


def pending_answer(row: CommandRow, extra: dict[str, Any] | None = None) -> JSONResponse:
    """202: stored and being delivered; the command's URL will tell its outcome."""
    url = command_url(row.id)
    body = {
        "status": "pending",
        "command_id": row.id,
        "command_url": url,
        "workflow_id": row.workflow_id,
        **(extra or {}),
    }
    return JSONResponse(body, status_code=202, headers={"Location": url})


# The keys by which a workflow input names its document (order, PO, transfer, journal, return, settlement).
_NAMING_KEYS = ("order_number", "number", "rma_number", "reference", "currency")


def names_of(row: CommandRow) -> dict[str, Any]:
    """The document a start command creates, named from its stored input: a retry whose first answer was
    lost with its API process still learns the document's number ("creation answers always name it")."""
    payload = row.payload if isinstance(row.payload, dict) else {}
    return {"workflow_id": row.workflow_id, **{k: payload[k] for k in _NAMING_KEYS if k in payload}}


def command_answer(row: CommandRow, first: dict[str, Any] | None) -> tuple[int, Any]:
    """What a retried request learns about its command now: still 202 (as first answered), or the outcome."""
    if row.kind == "start" and first is None:
        first = names_of(row)
    if row.status == "pending":
        pending = {"status": "pending", "command_id": row.id, "command_url": command_url(row.id)}
        return 202, {**pending, **(first or {})}
    assert row.http_status is not None
    if row.kind == "start" and row.status == "applied" and first is not None:
        # A document's creation answered 202 naming it: now it exists, say so with the same names.
        return row.http_status, {**first, "status": "applied", "result": row.result}
    return row.http_status, row.result


def outcome_answer(row: CommandRow) -> JSONResponse:
    """The stored outcome of a decided command, as its first answer was."""
    assert row.http_status is not None
    return JSONResponse(row.result, status_code=row.http_status)


async def submit(
    kind: Kind,
    client: Client,
    fn: Any,
    arg: BaseModel | None,
    *,
    workflow_id: str,
    update_id: str | None,
    subject: str,
    username: str,
    entity_id: int | None = None,
    default_field: str = "request",
    deliver_now: bool = True,
) -> tuple[CommandRow, bool]:
    """Store the command, deliver it once, keep its outcome; the row is pending when the outcome is unknown.

    With `deliver_now` False it is only stored, due for the relay at once (a saturated API queues it).
    The flag says whether this request stored it (False: the same command came before)."""
    spec = spec_for(
        kind,
        fn,
        arg,
        workflow_id=workflow_id,
        update_id=update_id,
        subject=subject,
        default_field=default_field,
        username=username,
        entity_id=entity_id,
        idempotency_key=idempotency_key.get(),
    )
    settings = get_settings()
    wait = timedelta(seconds=settings.update_timeout_seconds)
    try:
        row, fresh = await asyncio.to_thread(
            commands.record, app_engine(), spec, wait if deliver_now else None
        )
    except SQLAlchemyError as exc:
        # Not stored means not accepted (database down, or no connection free in time): nothing was written.
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"the command could not be stored: {type(getattr(exc, 'orig', None) or exc).__name__}",
            headers={"Retry-After": "5"},
        ) from exc
    note(command_id=str(row.id), workflow_id=workflow_id)  # the access log line names the command
    if row.status != "pending" or not deliver_now:
        return row, fresh
    outcome = await deliver(client, row, settings.task_queue, wait)
    if outcome.status == "unknown":
        return row, fresh
    try:
        decided = await asyncio.to_thread(
            commands.decide, app_engine(), row.id, outcome.status, outcome.http_status, outcome.body
        )
    except SQLAlchemyError:
        # The outcome could not be kept just now: the command is stored, so answer 202 and let the relay
        # deliver it again (same update id: the same outcome) and record it.
        return row, fresh
    return decided, fresh


async def send_update(
    client: Client,
    update: Any,
    arg: BaseModel | None,
    *,
    workflow_id: str,
    update_id: str,
    subject: str,
    username: str,
    entity_id: int | None = None,
    default_field: str = "request",
) -> JSONResponse:
    """An update as a command: its outcome (200 or a refusal), or 202 with the command's URL."""
    row, _ = await submit(
        "update",
        client,
        update,
        arg,
        workflow_id=workflow_id,
        update_id=update_id,
        subject=subject,
        username=username,
        entity_id=entity_id,
        default_field=default_field,
    )
    return pending_answer(row) if row.status == "pending" else outcome_answer(row)


async def start_document(
    client: Client,
    who: Principal,
    run: Any,
    inp: BaseModel,
    *,
    workflow_id: str,
    entity_id: int,
    subject: str,
    named: dict[str, Any],
    created: BaseModel | None = None,
    default_field: str = "request",
) -> JSONResponse:
    """Start a document's workflow as a stored command: 201 with `created` (else `named`), 202 naming the
    document while its start is pending, or the stored refusal."""
    row, _ = await submit(
        "start",
        client,
        run,
        inp,
        workflow_id=workflow_id,
        update_id=None,
        subject=subject,
        username=who.username,
        entity_id=entity_id,
        default_field=default_field,
    )
    if row.status == "pending":
        return pending_answer(row, named)
    if row.status == "rejected":
        return outcome_answer(row)
    return JSONResponse(named if created is None else created.model_dump(mode="json"), status_code=201)


class Document(Protocol):
    """A document a route sends an update to: its workflow and its entity."""

    @property
    def workflow_id(self) -> str: ...

    @property
    def entity_id(self) -> int: ...


@dataclass(frozen=True)
class DocumentUpdates:
    """Updates to one kind of document's workflow (`subject`: how answers name it), sent as commands in the
    caller's name."""

    subject: str

    async def send(
        self,
        client: Client,
        doc: Document,
        who: Principal,
        update: Any,
        arg: BaseModel | None,
        update_id: str,
        default_field: str = "request",
    ) -> JSONResponse:
        """The update as a command: its outcome (200 or a refusal), or 202 with the command's URL."""
        return await send_update(
            client,
            update,
            arg,
            workflow_id=doc.workflow_id,
            update_id=update_id,
            subject=self.subject,
            username=who.username,
            entity_id=doc.entity_id,
            default_field=default_field,
        )


async def read_update(
    handle: WorkflowHandle[Any, Any],
    update: Any,
    *,
    subject: str,
    default_field: str = "request",
    ended: Any = None,
) -> JSONResponse | None:
    """A read-only update (sync: wait until the workflow has done its intake); None when it took too long.

    `ended` is a query giving the same answer: a workflow with nothing left to wait for (an empty payment run,
    a sale at the counter) may end before its first answer is read, and the command it carried was applied."""
    timeout = timedelta(seconds=get_settings().update_timeout_seconds)
    try:
        result = await handle.execute_update(update, rpc_timeout=timeout)
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        return None
    except WorkflowUpdateFailedError as exc:
        if isinstance(exc.cause, ApplicationError):
            return refusal(exc.cause, default_field)
        raise
    except RPCError as exc:
        if exc.status not in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            # Busy, unavailable, cancelled: the document exists either way; the caller answers 202 naming it.
            return None
        result = await _after_the_end(handle, ended)
        if result is None:
            raise HTTPException(status.HTTP_409_CONFLICT, f"the {subject}'s workflow has ended") from exc
    return JSONResponse(result.model_dump(mode="json"), status_code=200)


async def _after_the_end(handle: WorkflowHandle[Any, Any], ended: Any) -> Any:
    """The answer an ended workflow still gives by its query, or None (no query, or it has none to give)."""
    if ended is None:
        return None
    try:
        return await handle.query(ended)
    except (RPCError, WorkflowQueryFailedError):
        return None
