"""Map business errors to HTTP answers that name the field and the reason, and document them per operation."""

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError

from rules.errors import RuleViolation
from rules.periods import PeriodClosed
from services.core.errors import Conflict, InsufficientStock, NotFound


class ErrorItem(BaseModel):
    """One refused field: where it is, why, and the kind of refusal (FastAPI's validation error shape)."""

    # FastAPI's own validation errors add `input` and `ctx`; they are kept, not documented one by one.
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [{"loc": ["body", "qty"], "msg": "must be positive", "type": "rule_violation"}]
        },
    )

    loc: list[str | int] = Field(description='where the problem is: ["body" | "query" | "path", field name]')
    msg: str = Field(description="the reason, meant for people")
    type: str = Field(
        description="the kind: not_found, conflict, insufficient_stock, period_closed, rule_violation, "
        "unknown_reference, check_violation, invalid_value, ledger_rule, forbidden, a workflow's refusal, "
        "or one of pydantic's validation types"
    )


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: `detail` is a sentence (auth, roles, not found, unavailable) or a list of fields."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"detail": "missing bearer token"},
                {
                    "detail": [
                        {"loc": ["body", "supplier_id"], "msg": "supplier 9 not found", "type": "not_found"}
                    ]
                },
            ]
        }
    )

    detail: str | list[ErrorItem]


class CommandAccepted(BaseModel):
    """202: the command is stored and will reach its workflow; GET `command_url` tells its outcome."""

    # A document's creation also names the document (number, workflow id, ...), so more keys may come.
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "status": "pending",
                    "command_id": "7f549ffb-cc55-4c96-b72e-23461e9bd553",
                    "command_url": "/commands/7f549ffb-cc55-4c96-b72e-23461e9bd553",
                    "workflow_id": "PO-100012",
                }
            ]
        },
    )

    status: str = Field(description="pending")
    command_id: str | None = None
    command_url: str | None = Field(default=None, description="GET it to learn the outcome")
    workflow_id: str | None = None


# What each error code means here; the same sentence in every operation that can answer it.
ERROR_MEANING: dict[int, str] = {
    401: "No bearer token, or one that is unknown, expired or revoked",
    403: "The caller's roles (or approval limit) do not allow this",
    404: "Not found, or another entity's (the answer is the same, so ids cannot be probed)",
    409: "Conflicts with the document's state or an existing record, or the workflow refused it",
    422: "Invalid input: `detail` names the field and the reason; nothing was changed",
    503: "The workflow service or the database cannot take it now; nothing was written, retry after Retry-After",
}


def responses(*codes: int, accepted: bool = False) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of an operation: each error code it can answer (one error model), and 202 if it may."""
    documented: dict[int | str, dict[str, Any]] = {
        code: {"model": ErrorBody, "description": ERROR_MEANING[code]} for code in sorted(set(codes))
    }
    if accepted:
        documented[202] = {
            "model": CommandAccepted,
            "description": "Stored, the outcome is not known yet: follow `command_url` (also in Location)",
        }
    return documented


def _detail(field: str, reason: str, kind: str) -> dict[str, object]:
    # Same shape as FastAPI's own validation errors, so clients parse one format.
    return {"detail": [{"loc": ["body", field], "msg": reason, "type": kind}]}


def database_unavailable() -> JSONResponse:
    """503 with Retry-After while PostgreSQL cannot be reached (restarting, failing over): not a 500."""
    reason = (
        "the database cannot be reached right now; send the request again (with the same Idempotency-Key,"
        " which applies it at most once)"
    )
    return JSONResponse(
        _detail("database", reason, "unavailable"), status_code=503, headers={"Retry-After": "2"}
    )


# The refusals services and rules raise (each names its field and says why): the status and type they answer with.
_REFUSALS: tuple[tuple[type[RuleViolation], int, str], ...] = (
    (NotFound, 404, "not_found"),
    (Conflict, 409, "conflict"),
    (InsufficientStock, 409, "insufficient_stock"),
    (PeriodClosed, 409, "period_closed"),
    (RuleViolation, 422, "rule_violation"),
)


def _refusal(code: int, kind: str) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    """The handler of one kind of refusal: `code`, naming the refused field."""

    async def refused(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RuleViolation)
        return JSONResponse(_detail(exc.field, exc.reason, kind), status_code=code)

    return refused


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""
    for refusal, code, kind in _REFUSALS:
        app.add_exception_handler(refusal, _refusal(code, kind))

    @app.exception_handler(IntegrityError)
    async def integrity(_: Request, exc: IntegrityError) -> JSONResponse:
        diag = getattr(exc.orig, "diag", None)
        constraint = getattr(diag, "constraint_name", None) or "constraint"
        message = (
            getattr(diag, "message_detail", None) or getattr(diag, "message_primary", None) or str(exc.orig)
        )
        field = message.split("Key (", 1)[1].split(")", 1)[0] if "Key (" in message else constraint
        if getattr(exc.orig, "sqlstate", None) == "23503":  # a reference to a record that does not exist
            return JSONResponse(_detail(field, message, "unknown_reference"), status_code=422)
        if getattr(exc.orig, "sqlstate", None) == "23514":  # a CHECK constraint: the value is not allowed
            return JSONResponse(_detail(constraint, message, "check_violation"), status_code=422)
        return JSONResponse(_detail(field, message, "conflict"), status_code=409)

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def database_down(_: Request, exc: DBAPIError) -> JSONResponse:
        return database_unavailable()

    @app.exception_handler(DBAPIError)
    async def db_rule(_: Request, exc: DBAPIError) -> JSONResponse:
        # Our triggers raise SQLSTATE ER0xx with a sentence meant for people (closed period, append-only).
        code = getattr(exc.orig, "sqlstate", None) or ""
        if code.startswith("22") or isinstance(exc, DataError):  # a value the column cannot hold (size, NUL)
            primary = getattr(getattr(exc.orig, "diag", None), "message_primary", None) or str(exc.orig)
            return JSONResponse(_detail("request", primary, "invalid_value"), status_code=422)
        if code.startswith("ER"):
            primary = getattr(getattr(exc.orig, "diag", None), "message_primary", None) or str(exc.orig)
            return JSONResponse(
                _detail("posting_date" if code == "ER002" else "ledger", primary, "ledger_rule"),
                status_code=409,
            )
        raise exc
