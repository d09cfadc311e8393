"""A security auditor's check after onboarding: an admin creates users, rotates tokens, registers webhook
receivers and rotates their secrets, every request with an Idempotency-Key (and retries them, as a client
on a flaky network does). Then the auditor greps EVERY column of EVERY table: a token appears nowhere (only
its hash, in app_user), a webhook secret only in its own subscription row. The retries still answer, with
the secret withheld and a notice saying how to get a new one."""

import uuid
from collections import defaultdict
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, text

from services.core.auth import hash_token
from tests.factories import Factory

# A public address literal: no DNS needed, and no delivery is ever due (the entity emits no events).
RECEIVER_URL = "https://93.184.215.14/hooks/erp"


def post_twice(api: TestClient, path: str, token: str, body: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """POST with an Idempotency-Key, then retry it with the same key and body; both answers."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"audit-{uuid.uuid4()}"}
    first = api.post(path, json=body, headers=headers)
    again = api.post(path, json=body, headers=headers)
    assert again.status_code == first.status_code, (first.text, again.text)
    assert again.headers.get("idempotent-replayed") == "true", again.text
    return first.json(), again.json()


def columns_holding(conn: Connection, needle: str) -> set[str]:
    """Every `table.column` (any type, cast to text) in which the string occurs."""
    columns: dict[str, list[str]] = defaultdict(list)
    for schema, table, column in conn.execute(
        text(
            "SELECT c.table_schema, c.table_name, c.column_name FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')"
            " ORDER BY c.ordinal_position"
        )
    ):
        columns[f'"{schema}"."{table}"'].append(column)
    found: set[str] = set()
    for table, names in columns.items():
        checks = ", ".join(f'COALESCE(bool_or(strpos(CAST("{c}" AS text), :s) > 0), false)' for c in names)
        row = conn.execute(text(f"SELECT {checks} FROM {table}"), {"s": needle}).one()
        found |= {
            f"{table.split('.')[1].strip(chr(34))}.{c}" for c, hit in zip(names, row, strict=True) if hit
        }
    return found


def test_no_secret_leaves_its_own_table(api: TestClient, factory: Factory, owner_engine: Engine) -> None:
    entity = factory.entity()
    _, admin = factory.user("admin", entities=(entity,))
    tokens: list[str] = []
    secrets: list[str] = []

    # A new user: the first answer shows the token once; the retry answers 201 without it.
    user, replay = post_twice(
        api,
        "/users",
        admin,
        {"username": f"sec.{entity.code.lower()}", "roles": ["buyer"], "entity_ids": [entity.id]},
    )
    tokens.append(user["token"])
    assert replay["token"] is None and replay["id"] == user["id"] and "rotate" in replay["replay_notice"]
    rotated, replay = post_twice(api, f"/users/{user['id']}/token", admin, {"days": 30})
    tokens.append(rotated["token"])
    assert replay["token"] is None and replay["replay_notice"]
    # Rotating one's own token: a retry cannot be replayed, the old token that would send it is gone.
    own = api.post("/me/token", headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": "own"}).json()
    assert (
        api.post(
            "/me/token", headers={"Authorization": f"Bearer {admin}", "Idempotency-Key": "own"}
        ).status_code
        == 401
    )
    admin = own["token"]
    tokens.append(admin)

    # Webhook receivers: a generated secret, a secret the admin chose, and a rotation with an overlap.
    generated, replay = post_twice(
        api,
        "/integration/subscriptions",
        admin,
        {"name": f"wms-{entity.code}", "url": RECEIVER_URL, "entity_ids": [entity.id]},
    )
    secrets.append(generated["secret"])
    assert replay["secret"] is None and replay["id"] == generated["id"]
    chosen_secret = f"chosen-{uuid.uuid4().hex}"
    chosen, replay = post_twice(
        api,
        "/integration/subscriptions",
        admin,
        {
            "name": f"bi-{entity.code}",
            "url": RECEIVER_URL,
            "entity_ids": [entity.id],
            "secret": chosen_secret,
        },
    )
    assert chosen["secret"] == chosen_secret and replay["secret"] is None
    secrets.append(chosen_secret)
    rotation, replay = post_twice(
        api, f"/integration/subscriptions/{generated['id']}/rotate-secret", admin, {"overlap_hours": 2}
    )
    secrets.append(rotation["secret"])
    assert replay["secret"] is None and rotation["previous_secret_until"]
    # A refused request echoes its body in the 422; the stored copy must not keep the secret.
    refused_secret = f"refused-{uuid.uuid4().hex}"
    refusal, _ = post_twice(
        api,
        "/integration/subscriptions",
        admin,
        {"url": RECEIVER_URL, "entity_ids": [entity.id], "secret": refused_secret},
    )
    assert refusal["detail"][0]["loc"] == ["body", "name"]

    with owner_engine.connect() as conn:
        # The grep finds what is there (so an empty result means something): our replays are stored.
        stored = conn.execute(
            text(
                "SELECT count(*) FROM api_idempotency WHERE response::text LIKE '%replay_notice%' AND username = :u"
            ),
            {"u": own["username"]},
        ).scalar()
        assert stored and stored >= 5
        for token in tokens:
            assert columns_holding(conn, token) == set(), "a clear-text token was stored"
        assert columns_holding(conn, hash_token(tokens[1])) == {"app_user.token_hash"}
        assert columns_holding(conn, hash_token(tokens[0])) == set(), "a rotated token's hash stays behind"
        allowed = {"webhook_subscription.secret", "webhook_subscription.previous_secret"}
        for secret in secrets:
            places = columns_holding(conn, secret)
            assert places and places <= allowed, f"a webhook secret is stored in {places - allowed}"
        assert columns_holding(conn, secrets[0]) == {"webhook_subscription.previous_secret"}
        assert columns_holding(conn, refused_secret) == set()
