"""FastAPI dependencies: database session, the authenticated principal, role checks, Temporal client."""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session
from temporalio.client import Client

from api.request_context import note
from erp.db import app_engine
from services.core.auth import Principal, TokenRefused, authenticate

bearer = HTTPBearer(
    auto_error=False, description="A user's bearer token (printed by `erp seed` / `erp users add`)"
)


def get_session() -> Iterator[Session]:
    """One session per request; committed by the route when it writes."""
    with Session(app_engine(), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(
    session: SessionDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Principal:
    """The caller behind the bearer token, or 401."""
    if creds is None or not creds.credentials:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "missing bearer token", headers={"WWW-Authenticate": "Bearer"}
        )
    try:
        principal = authenticate(session, creds.credentials)
        note(actor=principal.username)  # the access log line names who asked
        return principal
    except TokenRefused as refused:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            refused.reason,
            headers={
                "WWW-Authenticate": f'Bearer error="invalid_token", error_description="{refused.reason}"'
            },
        ) from None
    finally:
        # Give the connection back while the request waits for the event loop: under a burst (a flash sale)
        # authenticated requests queued behind each other must not hold the pool; the route checks one out again.
        session.close()


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A dependency that lets through only callers holding one of the roles (admin always)."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.has_role(*roles):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs one of the roles {list(roles)}")
        return principal

    return check


def check_entity(principal: Principal, entity_id: int) -> None:
    """404 (not 403) for another entity's documents, so ids cannot be probed."""
    if not principal.sees(entity_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "not found")


async def get_temporal(request: Request, _caller: PrincipalDep) -> Client:
    """The shared Temporal client, connected lazily; 503 with Retry-After when the server is unreachable.

    It depends on the principal so that authentication always comes first: an anonymous caller gets
    401, never a hint about the workflow service."""
    holder = request.app.state.temporal
    try:
        client: Client = await holder.get()
        return client
    except Exception as exc:  # any connection failure means: try again later
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"workflow service unavailable: {type(exc).__name__}",
            headers={"Retry-After": "5"},
        ) from exc


TemporalDep = Annotated[Client, Depends(get_temporal)]
