"""Liveness and readiness: readiness checks the database and Temporal."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.schemas.operations import Health, Readiness
from erp.db import app_engine

router = APIRouter(tags=["health"])


@router.get("/health", summary="The process is up", response_model=Health)
def health() -> dict[str, str]:
    """Liveness: answers without a token and without touching the database."""
    return {"status": "ok"}


@router.get(
    "/ready",
    summary="Database and Temporal answer",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "The database or Temporal does not answer"}},
)
async def ready(request: Request) -> JSONResponse:
    """Readiness: 200 when the database and Temporal answer, else 503 with Retry-After and which one failed."""
    checks: dict[str, str] = {}
    try:
        with app_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports any failure, it does not raise
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        client = await request.app.state.temporal.get()
        await client.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception as exc:  # readiness reports any failure, it does not raise
        checks["temporal"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ok else "not ready", **checks},
        status_code=200 if ok else 503,
        headers=None if ok else {"Retry-After": "5"},
    )
