"""Idempotency-Key for POSTs: the same key and body replays the first answer; another body is refused.

A stored 202 (a command still pending) is not replayed for ever: once the command has an outcome, the
replay answers the outcome. A claim left "in progress" by an API process that died is taken over after
STALE_AFTER: the command it stored, if any, answers; otherwise the request runs again.

Answers that carry a secret (POST /users, token and webhook secret rotations, subscription creation) are
stored without it: a replay answers the same status and fields with the secret null and a
`replay_notice` saying how to get a new one (rules/replay_secrets.py)."""

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from anyio import to_thread
from sqlalchemy import text
from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import database_unavailable
from api.request_context import idempotency_key
from api.workflow_calls import command_answer
from erp.db import app_engine
from erp.settings import get_settings
from rules.replay_secrets import withhold_secrets
from services.core import commands
from services.core.auth import usable_username

log = logging.getLogger(__name__)


def stale_after() -> timedelta:
    """A request in progress for longer than its longest wait plus a margin belongs to a dead process."""
    return timedelta(seconds=2 * get_settings().update_timeout_seconds + 30)


def _username(token: str) -> str | None:
    with app_engine().connect() as conn:
        return usable_username(conn, token)


@dataclass(frozen=True, slots=True)
class _Stored:
    """The record a key already has: its body hash, the stored answer (status 0 while in progress), and
    whether it is older than stale_after()."""

    path: str
    body_hash: str
    status_code: int
    response: Any
    stale: bool


def _claim(key: str, user: str, method: str, path: str, body_hash: str) -> tuple[bool, _Stored | None]:
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
                "SELECT path, body_hash, status_code, response,"
                " created_at < now() - make_interval(secs => :stale) AS stale"
                " FROM api_idempotency WHERE key = :k AND username = :u"
            ),
            {"k": key, "u": user, "stale": stale_after().total_seconds()},
        ).one()
        return False, _Stored(
            str(existing.path),
            str(existing.body_hash),
            int(existing.status_code),
            existing.response,
            bool(existing.stale),
        )


def _take_over(key: str, user: str) -> bool:
    """Claim a stale in-progress record for this request (one taker wins)."""
    with app_engine().begin() as conn:
        row = conn.execute(
            text(
                "UPDATE api_idempotency SET created_at = now() WHERE key = :k AND username = :u"
                " AND status_code = 0 AND created_at < now() - make_interval(secs => :stale) RETURNING key"
            ),
            {"k": key, "u": user, "stale": stale_after().total_seconds()},
        ).first()
    return row is not None


def _command_state(key: str, user: str, stored: Any) -> tuple[int, Any] | None:
    """The answer a stored command gives now: found by the 202 that named it, or by the request's key."""
    command_id = stored.get("command_id") if isinstance(stored, dict) else None
    row = (
        commands.get(app_engine(), command_id)
        if command_id
        else commands.by_idempotency_key(app_engine(), user, key)
    )
    if row is None:
        return None
    status, body = command_answer(row, stored if isinstance(stored, dict) else None)
    if status != 202:
        _finish(key, user, status, json.dumps(body).encode())
    return status, body


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
        # Secrets (a new token, a webhook secret) stay in their own tables: the replay gets a notice instead.
        payload, _ = withhold_secrets(payload)
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
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._keyed(scope, receive, watch)
        except (OperationalError, InterfaceError):
            # The key's own bookkeeping needs the database: while it is down the answer is 503, not 500.
            if started:
                raise
            await database_unavailable()(scope, receive, send)

    async def _keyed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The request with its key: claimed, replayed, or run and stored."""
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
        body = await _read_body(receive)
        if body is None:
            # A client that timed out mid-upload: claiming its key for the part that arrived would refuse
            # its retry with the whole body as "another request body" (the soak found it). Nothing ran.
            return
        path = scope["path"]
        body_hash = hashlib.sha256(path.encode() + b"\n" + body).hexdigest()
        fresh, existing = await to_thread.run_sync(_claim, key, user, "POST", path, body_hash)
        if fresh or existing is None:
            await self._run(scope, receive, send, key, user, body)
            return
        await self._answer_again(scope, receive, send, key, user, body, body_hash, existing)

    async def _answer_again(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        key: str,
        user: str,
        body: bytes,
        body_hash: str,
        existing: _Stored,
    ) -> None:
        """A key seen before: refuse another body, wait for one in progress, replay a stored answer (a 202 as
        its command's outcome by now), or run again when the process that took it died."""
        if existing.body_hash != body_hash:
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
        elif existing.status_code == 0 and not existing.stale:
            await _send_json(
                send, 409, {"detail": "a request with this Idempotency-Key is still in progress"}
            )
        elif existing.status_code == 0:
            # The process that took this request died: its stored command answers, or the request runs again.
            state = await to_thread.run_sync(_command_state, key, user, None)
            if state is not None:
                await _send_json(send, state[0], state[1], replayed=True)
                return
            if not await to_thread.run_sync(_take_over, key, user):
                await _send_json(
                    send, 409, {"detail": "a request with this Idempotency-Key is still in progress"}
                )
                return
            await self._run(scope, receive, send, key, user, body)
        elif existing.status_code == 202:
            state = await to_thread.run_sync(_command_state, key, user, existing.response)
            status, payload = state if state is not None else (existing.status_code, existing.response)
            await _send_json(send, status, payload, replayed=True)
        else:
            await _send_json(send, existing.status_code, existing.response, replayed=True)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, key: str, user: str, body: bytes
    ) -> None:
        """Run the request with its key known to the route, and store the answer under the key."""

        sent = False

        async def replay_body() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 500
        held: list[Message] = []
        out: list[bytes] = []
        stored = False

        async def store() -> None:
            nonlocal stored
            stored = True
            try:
                await to_thread.run_sync(_finish, key, user, status, b"".join(out))
            except (OperationalError, InterfaceError):
                # The answer is still sent; the claim stays "in progress" and a retry takes it over once stale.
                log.warning(
                    "idempotency key %s: answer %s not stored, the database is unavailable", key, status
                )

        async def capture(message: Message) -> None:
            # The answer is held until it is stored under the key: a client that retries the moment it has the
            # answer (or lost it on the way) gets it replayed, never "still in progress".
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            held.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                await store()
                for m in held:
                    await send(m)
                held.clear()

        token = idempotency_key.set(key)
        try:
            await self.app(scope, replay_body, capture)
        finally:
            idempotency_key.reset(token)
            if not stored:
                await store()  # the route failed before its whole answer: what it had is stored as it was


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body (the route reads it again from the replay in _run); None when the client
    went away before sending all of it."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)
