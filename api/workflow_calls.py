"""Send a Temporal Update from a route and answer as HTTP: refusals 403/409/422 naming the field,
a timeout 202 "pending" (the update is admitted and applies when a worker is back), an ended workflow
409, an unreachable Temporal 503 with Retry-After."""

from datetime import timedelta
from typing import Any

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse
from temporalio.client import (
    WorkflowHandle,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from erp.settings import get_settings
from models.contracts.errors import HTTP_STATUS


def unavailable(exc: Exception) -> HTTPException:
    """503 with Retry-After: the workflow service cannot be reached right now."""
    return HTTPException(
        status.HTTP_503_SERVICE_UNAVAILABLE,
        f"workflow service unavailable: {type(exc).__name__}",
        headers={"Retry-After": "5"},
    )


def refusal(cause: ApplicationError, default_field: str) -> JSONResponse:
    """A workflow's refusal as the API's error shape; "field: reason" messages name their field."""
    field, _, reason = cause.message.partition(": ")
    named = bool(reason) and " " not in field
    loc, msg = (field, reason) if named else (default_field, cause.message)
    return JSONResponse(
        {"detail": [{"loc": ["body", loc], "msg": msg, "type": cause.type or "refused"}]},
        status_code=HTTP_STATUS.get(cause.type or "", 409),
    )


async def send_update(
    handle: WorkflowHandle[Any, Any],
    update: Any,
    arg: Any | None,
    *,
    update_id: str | None,
    subject: str,
    default_field: str = "request",
) -> JSONResponse:
    """Execute the update (retried calls with the same id return the first result) and answer."""
    timeout = timedelta(seconds=get_settings().update_timeout_seconds)
    try:
        if arg is None:
            result = await handle.execute_update(update, id=update_id, rpc_timeout=timeout)
        else:
            result = await handle.execute_update(update, arg, id=update_id, rpc_timeout=timeout)
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        return JSONResponse({"status": "pending", "update_id": update_id}, status_code=202)
    except WorkflowUpdateFailedError as exc:
        if isinstance(exc.cause, ApplicationError):
            return refusal(exc.cause, default_field)
        raise
    except RPCError as exc:
        if exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION):
            raise HTTPException(status.HTTP_409_CONFLICT, f"the {subject}'s workflow has ended") from exc
        if exc.status == RPCStatusCode.UNAVAILABLE:
            raise unavailable(exc) from exc
        raise
    return JSONResponse(result.model_dump(mode="json"), status_code=200)
