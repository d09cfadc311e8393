"""A purchasing clerk's integration sends a new supplier with an Idempotency-Key, gets its 201, and (its own
bookkeeping having failed) sends the same request again at once. The API stores each answer under its key; if it
sent the answer before storing it, a quick retry found the key "still in progress" and got 409, so the client
could not tell whether the supplier existed. The answer now leaves only once it is stored: the retry gets the
same 201 replayed, and the supplier exists once."""

import time
import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, text

from api import idempotency
from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer


def test_a_retry_sent_the_moment_the_answer_arrives_is_replayed(
    api_server: str, engine: Engine, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_finish = idempotency._finish

    def slow_finish(*args: Any) -> None:
        time.sleep(1.0)  # a busy database: storing the answer takes a while
        real_finish(*args)

    monkeypatch.setattr(idempotency, "_finish", slow_finish)
    entity = factory.entity()
    _, token = factory.user("admin", entities=(entity,))
    code = f"SUP{uuid.uuid4().hex[:8].upper()}"
    body = {"code": code, "name": "Linofil Textiles", "currency": "EUR"}
    headers = {**bearer(token), "Idempotency-Key": f"quick-retry-{code}"}

    with httpx.Client(base_url=api_server, timeout=30) as client:
        first = client.post("/suppliers", json=body, headers=headers)
        again = client.post("/suppliers", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert again.status_code == 201, again.text
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM supplier WHERE code = :c"), {"c": code}).scalar_one() == 1
