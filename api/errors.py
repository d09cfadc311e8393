"""Map business errors to HTTP answers that name the field and the reason."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError

from rules.errors import RuleViolation
from rules.periods import PeriodClosed
from services.errors import Conflict, InsufficientStock, NotFound


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


def install(app: FastAPI) -> None:
    """Register the handlers on the app."""

    @app.exception_handler(NotFound)
    async def not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse(_detail(exc.field, exc.reason, "not_found"), status_code=404)

    @app.exception_handler(Conflict)
    async def conflict(_: Request, exc: Conflict) -> JSONResponse:
        return JSONResponse(_detail(exc.field, exc.reason, "conflict"), status_code=409)

    @app.exception_handler(InsufficientStock)
    async def short(_: Request, exc: InsufficientStock) -> JSONResponse:
        return JSONResponse(_detail(exc.field, exc.reason, "insufficient_stock"), status_code=409)

    @app.exception_handler(PeriodClosed)
    async def closed(_: Request, exc: PeriodClosed) -> JSONResponse:
        return JSONResponse(_detail(exc.field, exc.reason, "period_closed"), status_code=409)

    @app.exception_handler(RuleViolation)
    async def rule(_: Request, exc: RuleViolation) -> JSONResponse:
        return JSONResponse(_detail(exc.field, exc.reason, "rule_violation"), status_code=422)

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
