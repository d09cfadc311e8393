"""One access log line per API request: method, path, status, duration, actor and command id when known."""

import logging

from starlette.types import ASGIApp, Receive, Scope, Send

from api.request_context import Answer, request_facts

log = logging.getLogger("erp.access")


class AccessLogMiddleware:
    """Logs each HTTP request after its answer (JSON fields with ERP_LOG_JSON=1); never logs bodies or tokens."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        answer = Answer(send)
        facts: dict[str, str] = {}
        token = request_facts.set(facts)
        try:
            await self.app(scope, receive, answer.send)
        finally:
            request_facts.reset(token)
            method, path, status = scope["method"], scope["path"], answer.status
            duration_ms = round(answer.seconds * 1000, 1)
            log.info(
                "%s %s %s %.1f ms",
                method,
                path,
                status,
                duration_ms,
                extra={
                    "event": "http_request",
                    "method": method,
                    "path": path,
                    "route": getattr(scope.get("route"), "path", None),
                    "status": status,
                    "duration_ms": duration_ms,
                    **facts,
                },
            )
