"""Idempotency-Key for POSTs: the same key and body replays the first answer; another body is refused."""

import hashlib
import json
from typing import Any

from anyio import to_thread
from sqlalchemy import text
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from erp.db import app_engine
from services.auth import hash_token


def _username(token: str) -> str | None:
    with app_engine().connect() as conn:
        row = conn.execute(
            text("SELECT username FROM app_user WHERE token_hash = :h AND active"), {"h": hash_token(token)}
        ).first()
    return str(row[0]) if row else None


def _claim(key: str, user: str, method: str, path: str, body_hash: str) -> tuple[bool, Any]:
    """Insert a pending record; if the key exists return it instead."""
    with app_engine().begin() as conn:
        row = conn.execute(
            text(
                """
                INSERT INTO api_idempotency (key, username, method, path, body_hash, status_code)
                VALUES (:k, :u, :m, :p, :h, 0) ON CONFLICT DO NOTHING RETURNING key
                """
            ),
            {"k": key, "u": user, "m": method, "p": path, "h": body_hash},
        ).first()
        if row is not None:
            return True, None
        existing = conn.execute(
            text(
                "SELECT path, body_hash, status_code, response FROM api_idempotency WHERE key = :k AND username = :u"
            ),
            {"k": key, "u": user},
        ).one()
        return False, existing


def _finish(key: str, user: str, status: int, body: bytes) -> None:
    with app_engine().begin() as conn:
        if status >= 500:
            # A server failure is not an answer: let the client retry with the same key.
            conn.execute(
                text("DELETE FROM api_idempotency WHERE key = :k AND username = :u"), {"k": key, "u": user}
            )
            return
        try:
            payload = json.loads(body) if body else None
        except ValueError:
            payload = {"raw": body.decode(errors="replace")}
        conn.execute(
            text(
                "UPDATE api_idempotency SET status_code = :s, response = CAST(:r AS jsonb) WHERE key = :k AND username = :u"
            ),
            {"s": status, "r": json.dumps(payload), "k": key, "u": user},
        )


async def _send_json(send: Send, status: int, payload: Any, replayed: bool = False) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    """ASGI middleware applied to POST requests that carry an Idempotency-Key header."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        key = headers.get(b"idempotency-key", b"").decode()
        auth = headers.get(b"authorization", b"").decode()
        if not key or not auth.lower().startswith("bearer "):
            await self.app(scope, receive, send)
            return
        if len(key) > 200:
            await _send_json(
                send,
                422,
                {
                    "detail": [
                        {
                            "loc": ["header", "Idempotency-Key"],
                            "msg": "at most 200 characters",
                            "type": "value_error",
                        }
                    ]
                },
            )
            return
        user = await to_thread.run_sync(_username, auth[7:].strip())
        if user is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        path = scope["path"]
        body_hash = hashlib.sha256(path.encode() + b"\n" + body).hexdigest()
        fresh, existing = await to_thread.run_sync(_claim, key, user, "POST", path, body_hash)
        if not fresh:
            if existing[1] != body_hash:
                await _send_json(
                    send,
                    422,
                    {
                        "detail": [
                            {
                                "loc": ["header", "Idempotency-Key"],
                                "type": "conflict",
                                "msg": "this key was used with another request body",
                            }
                        ]
                    },
                )
            elif existing[2] == 0:
                await _send_json(
                    send, 409, {"detail": "a request with this Idempotency-Key is still in progress"}
                )
            else:
                await _send_json(send, existing[2], existing[3], replayed=True)
            return

        sent = False

        async def replay_body() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 500
        out: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, replay_body, capture)
        finally:
            await to_thread.run_sync(_finish, key, user, status, b"".join(out))
