"""The command store: an accepted command is a row before it is an answer, and keeps its outcome."""

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Engine, text

Kind = Literal["start", "update"]
Status = Literal["pending", "applied", "rejected"]


@dataclass(frozen=True)
class CommandSpec:
    """What to deliver: a workflow start or an update, with its argument as JSON and who asked."""

    kind: Kind
    workflow_id: str
    workflow_type: str  # the registered name; the relay finds the class in workflows.registry
    update_name: str | None
    update_id: str | None
    arg_type: str | None  # "module:Class" of the pydantic argument
    payload: Any
    subject: str
    default_field: str
    username: str
    entity_id: int | None
    idempotency_key: str | None

    @property
    def dedup_key(self) -> str:
        """The same command twice is one row: a start per workflow id, an update per update id."""
        return f"{self.workflow_id}|{self.update_id if self.kind == 'update' else 'start'}"


@dataclass(frozen=True)
class CommandRow:
    """A stored command with its state."""

    id: str
    kind: Kind
    workflow_id: str
    workflow_type: str
    update_name: str | None
    update_id: str | None
    arg_type: str | None
    payload: Any
    subject: str
    default_field: str
    username: str
    entity_id: int | None
    status: Status
    http_status: int | None
    result: Any
    attempts: int
    last_error: str | None
    created_at: datetime
    decided_at: datetime | None


_COLUMNS = (
    "id, kind, workflow_id, workflow_type, update_name, update_id, arg_type, payload, subject,"
    " default_field, username, entity_id, status, http_status, result, attempts, last_error, created_at, decided_at"
)


def _row(r: Any) -> CommandRow:
    return CommandRow(
        id=r.id,
        kind=r.kind,
        workflow_id=r.workflow_id,
        workflow_type=r.workflow_type,
        update_name=r.update_name,
        update_id=r.update_id,
        arg_type=r.arg_type,
        payload=r.payload,
        subject=r.subject,
        default_field=r.default_field,
        username=r.username,
        entity_id=r.entity_id,
        status=r.status,
        http_status=r.http_status,
        result=r.result,
        attempts=r.attempts,
        last_error=r.last_error,
        created_at=r.created_at,
        decided_at=r.decided_at,
    )


def record(engine: Engine, spec: CommandSpec, first_try: timedelta | None) -> tuple[CommandRow, bool]:
    """Store the command (committed before anything is sent); the same command again returns the first.

    The relay leaves it alone for `first_try` plus a little: the API is delivering it meanwhile. None: the
    API will not deliver it (it is queued), so the relay may take it at once."""
    grace = 0.0 if first_try is None else first_try.total_seconds() + 2
    with engine.begin() as conn:
        # A refusal is an answer to that request, not to the next one: the same command sent again after a
        # refusal (a decision that came too early, a corrected amount) is a new attempt. The refused row
        # keeps its id and outcome under a retired key.
        conn.execute(
            text(
                "UPDATE api_command SET dedup_key = dedup_key || '#' || id"
                " WHERE dedup_key = :dk AND status = 'rejected'"
            ),
            {"dk": spec.dedup_key},
        )
        inserted = conn.execute(
            text(
                f"""
                INSERT INTO api_command (id, dedup_key, kind, workflow_id, workflow_type, update_name, update_id,
                       arg_type, payload, subject, default_field, username, entity_id, idempotency_key, status,
                       attempts, next_attempt_at)
                VALUES (:id, :dk, :kind, :wid, :wt, :un, :uid, :at, CAST(:payload AS jsonb), :subject, :df, :user,
                        :entity, :ikey, 'pending', 0, now() + make_interval(secs => :grace))
                ON CONFLICT (dedup_key) DO NOTHING
                RETURNING {_COLUMNS}
                """
            ),
            {
                "id": str(uuid.uuid4()),
                "dk": spec.dedup_key,
                "kind": spec.kind,
                "wid": spec.workflow_id,
                "wt": spec.workflow_type,
                "un": spec.update_name,
                "uid": spec.update_id,
                "at": spec.arg_type,
                "payload": json.dumps(spec.payload),
                "subject": spec.subject,
                "df": spec.default_field,
                "user": spec.username,
                "entity": spec.entity_id,
                "ikey": spec.idempotency_key,
                "grace": grace,
            },
        ).first()
        if inserted is not None:
            return _row(inserted), True
        existing = conn.execute(
            text(f"SELECT {_COLUMNS} FROM api_command WHERE dedup_key = :dk"), {"dk": spec.dedup_key}
        ).one()
        return _row(existing), False


def decide(engine: Engine, command_id: str, status: Status, http_status: int, result: Any) -> CommandRow:
    """Record the outcome once; a later outcome for a decided command is ignored (first one wins)."""
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                UPDATE api_command SET status = :s, http_status = :h, result = CAST(:r AS jsonb),
                       decided_at = now(), last_error = NULL
                 WHERE id = :id AND status = 'pending'
                """
            ),
            {"s": status, "h": http_status, "r": json.dumps(result), "id": command_id},
        )
        return _row(
            conn.execute(text(f"SELECT {_COLUMNS} FROM api_command WHERE id = :id"), {"id": command_id}).one()
        )


def postpone(engine: Engine, command_id: str, error: str, delay: timedelta) -> None:
    """Delivery gave no outcome (timeout, server or worker away): try again after `delay`."""
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                UPDATE api_command SET last_error = :e, next_attempt_at = now() + make_interval(secs => :d)
                 WHERE id = :id AND status = 'pending'
                """
            ),
            {"e": error[:2000], "d": delay.total_seconds(), "id": command_id},
        )


def claim_due(engine: Engine, limit: int, lease: timedelta) -> list[CommandRow]:
    """Pending commands due for delivery, leased to this relay (others skip them until the lease ends)."""
    with engine.begin() as conn:
        rows = conn.execute(
            text(
                f"""
                UPDATE api_command SET attempts = attempts + 1,
                       next_attempt_at = now() + make_interval(secs => :lease)
                 WHERE id IN (SELECT id FROM api_command
                               WHERE status = 'pending' AND next_attempt_at <= now()
                               ORDER BY next_attempt_at LIMIT :n FOR UPDATE SKIP LOCKED)
                RETURNING {_COLUMNS}
                """
            ),
            {"n": limit, "lease": lease.total_seconds()},
        ).all()
    return [_row(r) for r in rows]


def get(engine: Engine, command_id: str) -> CommandRow | None:
    """One command by id."""
    with engine.connect() as conn:
        row = conn.execute(
            text(f"SELECT {_COLUMNS} FROM api_command WHERE id = :id"), {"id": command_id}
        ).first()
    return None if row is None else _row(row)


def by_idempotency_key(engine: Engine, username: str, key: str) -> CommandRow | None:
    """The command a request with this Idempotency-Key recorded, if it got that far."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                f"SELECT {_COLUMNS} FROM api_command WHERE username = :u AND idempotency_key = :k"
                " ORDER BY created_at DESC LIMIT 1"
            ),
            {"u": username, "k": key},
        ).first()
    return None if row is None else _row(row)


def pending_summary(engine: Engine) -> dict[str, Any]:
    """How many commands wait for delivery and how old the oldest is (for operators and metrics)."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT count(*), EXTRACT(EPOCH FROM now() - min(created_at)) FROM api_command"
                " WHERE status = 'pending'"
            )
        ).one()
    return {"pending": int(row[0]), "oldest_seconds": float(row[1]) if row[1] is not None else None}
