"""Deliver a stored command to its workflow and classify what came back: applied, rejected, or unknown.

The API makes the first delivery; the relay (erp.command_relay) repeats it until there is an outcome. Both
send the same update id, so Temporal applies an update at most once and a repeat gets the first result."""

import asyncio
import importlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy.exc import SQLAlchemyError
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from erp.db import app_engine
from models.contracts.errors import HTTP_STATUS
from models.contracts.summaries import summary_of
from services.core import search_codes
from services.core.commands import CommandRow, CommandSpec, Kind
from workflows.registry import WORKFLOWS, by_type_name

# Argument types are re-imported by name from these packages only (never an arbitrary module).
_ARG_PACKAGES = ("models.",)
# The workflow is gone or never existed: the command can never apply.
_ENDED = (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION)


@dataclass(frozen=True)
class Outcome:
    """What one delivery learned: an outcome to keep (applied/rejected) or `unknown` (try again)."""

    status: Literal["applied", "rejected", "unknown"]
    http_status: int
    body: Any
    error: str | None = None


def _type_name(cls: type[Any]) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _workflow_of(fn: Any) -> type[Any]:
    """The registered workflow class that defines this update or run method."""
    for cls in WORKFLOWS:
        if getattr(cls, fn.__name__, None) is fn:
            return cls
    raise KeyError(f"{fn.__qualname__} is not a method of a registered workflow")


def _registered_name(cls: type[Any]) -> str:
    return str(getattr(cls, "__temporal_workflow_definition").name)


def spec_for(
    kind: Kind,
    fn: Any,
    arg: BaseModel | None,
    *,
    workflow_id: str,
    update_id: str | None,
    subject: str,
    default_field: str,
    username: str,
    entity_id: int | None,
    idempotency_key: str | None,
) -> CommandSpec:
    """The command for `fn` (a workflow's run method or one of its updates) with its argument."""
    cls = _workflow_of(fn)
    return CommandSpec(
        kind=kind,
        workflow_id=workflow_id,
        workflow_type=_registered_name(cls),
        update_name=fn.__name__ if kind == "update" else None,
        update_id=update_id,
        arg_type=None if arg is None else _type_name(type(arg)),
        payload=None if arg is None else arg.model_dump(mode="json"),
        subject=subject,
        default_field=default_field,
        username=username,
        entity_id=entity_id,
        idempotency_key=idempotency_key,
    )


def _argument(row: CommandRow) -> BaseModel | None:
    """Rebuild the pydantic argument from its stored JSON."""
    if row.arg_type is None:
        return None
    module, _, name = row.arg_type.partition(":")
    if not module.startswith(_ARG_PACKAGES):
        raise ValueError(f"argument type {row.arg_type!r} is outside {_ARG_PACKAGES}")
    cls = getattr(importlib.import_module(module), name)
    arg: BaseModel = cls.model_validate(row.payload)
    return arg


def refusal_body(cause: ApplicationError, default_field: str) -> tuple[int, Any]:
    """A workflow's refusal as the API's error shape; "field: reason" messages name their field."""
    field, _, reason = cause.message.partition(": ")
    named = bool(reason) and " " not in field
    loc, msg = (field, reason) if named else (default_field, cause.message)
    body = {"detail": [{"loc": ["body", loc], "msg": msg, "type": cause.type or "refused"}]}
    return HTTP_STATUS.get(cause.type or "", 409), body


def _json(result: Any) -> Any:
    if isinstance(result, BaseModel):
        return result.model_dump(mode="json")
    return to_jsonable_python(result)


async def _applied_in_history(handle: WorkflowHandle[Any, Any], update_id: str) -> bool:
    """Whether a (now closed) workflow accepted this update before it ended: its history says so."""
    async for event in handle.fetch_history_events():
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
            if event.workflow_execution_update_accepted_event_attributes.protocol_instance_id == update_id:
                return True
            accepted = event.workflow_execution_update_accepted_event_attributes.accepted_request
            if accepted.meta.update_id == update_id:
                return True
    return False


async def _running(handle: WorkflowHandle[Any, Any]) -> bool:
    """Whether the workflow is still running (False when it is closed or does not exist)."""
    try:
        described = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return False
        raise
    return described.status == WorkflowExecutionStatus.RUNNING


async def deliver(client: Client, row: CommandRow, task_queue: str, rpc_timeout: timedelta) -> Outcome:
    """One delivery attempt; never raises for Temporal's answers (unknown means: ask again later)."""
    cls = by_type_name(row.workflow_type)
    try:
        arg = _argument(row)
    except Exception as exc:  # a stored argument that no longer parses can never apply
        return Outcome("rejected", 422, {"detail": f"the command can no longer be read: {exc}"[:500]})
    try:
        if row.kind == "start":
            return await _start(client, cls, row, arg, task_queue, rpc_timeout)
        return await _update(client, cls, row, arg, rpc_timeout)
    except WorkflowUpdateRPCTimeoutOrCancelledError as exc:
        return Outcome("unknown", 202, None, f"no answer within {rpc_timeout.total_seconds():g} s: {exc}")
    except (TimeoutError, ConnectionError, OSError) as exc:
        return Outcome("unknown", 202, None, f"{type(exc).__name__}: {exc}")
    except RPCError as exc:
        return Outcome("unknown", 202, None, f"{exc.status.name}: {exc.message}")
    except SQLAlchemyError as exc:  # the codes for the search attributes could not be read: try again
        return Outcome("unknown", 202, None, f"{type(exc).__name__}: {exc}"[:500])


async def _start(
    client: Client, cls: type[Any], row: CommandRow, arg: Any, task_queue: str, rpc_timeout: timedelta
) -> Outcome:
    started = True
    # Search attributes hold the codes an operator types (ErpEntity="UK01", ErpSupplier="NORDTEX").
    attributes = await asyncio.to_thread(search_codes.start_attributes, app_engine(), arg)
    try:
        # REJECT_DUPLICATE: a start re-sent after its document finished must not begin it again.
        await client.start_workflow(
            cls.run,
            arg,
            id=row.workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            rpc_timeout=rpc_timeout,
            static_summary=summary_of(arg),
            search_attributes=attributes,
        )
    except WorkflowAlreadyStartedError:
        started = False
    return Outcome("applied", 201, {"workflow_id": row.workflow_id, "started": started})


async def _update(
    client: Client, cls: type[Any], row: CommandRow, arg: Any, rpc_timeout: timedelta
) -> Outcome:
    assert row.update_name is not None and row.update_id is not None
    handle = client.get_workflow_handle(row.workflow_id)
    update = getattr(cls, row.update_name)
    try:
        if arg is None:
            result = await handle.execute_update(update, id=row.update_id, rpc_timeout=rpc_timeout)
        else:
            result = await handle.execute_update(update, arg, id=row.update_id, rpc_timeout=rpc_timeout)
    except WorkflowUpdateFailedError as exc:
        if isinstance(exc.cause, ApplicationError):
            code, body = refusal_body(exc.cause, row.default_field)
            return Outcome("rejected", code, body)
        return Outcome(
            "rejected", 409, {"detail": f"the {row.subject}'s workflow failed the update: {exc.cause}"}
        )
    except RPCError as exc:
        if exc.status not in _ENDED:
            raise
        # NOT_FOUND also means "update not found": an admitted update dropped when the worker died before
        # accepting it. Only a closed workflow is an outcome; a running one gets the command again.
        if await _running(handle):
            return Outcome("unknown", 202, None, f"{exc.status.name}: {exc.message}")
        # The workflow has ended. If it accepted this update first (an earlier delivery whose answer was
        # lost), the command was applied; otherwise it never will be.
        if await _applied_in_history(handle, row.update_id):
            return Outcome(
                "applied", 200, {"detail": f"applied; the {row.subject}'s workflow has ended since"}
            )
        ended = (
            f"the {row.subject}'s workflow has ended; the reconciliation closes its open tasks and reports it"
        )
        return Outcome("rejected", 409, {"detail": ended})
    return Outcome("applied", 200, _json(result))
