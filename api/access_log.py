"""One access log line per API request: method, path, status, duration, actor and command id when known."""

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.request_context import request_facts

log = logging.getLogger("erp.access")


class AccessLogMiddleware:
    """Logs each HTTP request after its answer (JSON fields with ERP_LOG_JSON=1); never logs bodies or tokens."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        status = 500
        facts: dict[str, str] = {}
        token = request_facts.set(facts)

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            request_facts.reset(token)
            method, path = scope["method"], scope["path"]
            duration_ms = round((time.perf_counter() - began) * 1000, 1)
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
