"""A client on a bad line times out halfway through sending a new supplier, then sends it again with the
same Idempotency-Key. The soak (seed 20261130, day 10) found the first, cut-off request claimed the key
for the half that arrived, so the retry with the whole body was refused as "another request body". The
half request now claims nothing: the retry creates the supplier, once."""

import json
import socket
import time
import uuid

import httpx
from sqlalchemy import Engine, text

from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer


def _hang_up_halfway(url: str, path: str, headers: dict[str, str], body: bytes) -> None:
    """Send the headers and half the body announced by Content-Length, then close the connection."""
    host, port = url.removeprefix("http://").split(":")
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n{head}\r\n"
    ).encode() + body[: len(body) // 2]
    with socket.create_connection((host, int(port))) as conn:
        conn.sendall(request)
        time.sleep(0.5)  # the server has read what there is and waits for the rest


def test_a_retry_after_hanging_up_mid_upload_creates_the_supplier_once(
    api_server: str, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    _, token = factory.user("admin", entities=(entity,))
    code = f"SUP{uuid.uuid4().hex[:8].upper()}"
    supplier = {"code": code, "name": "Linofil Textiles on a bad line", "currency": "EUR"}
    headers = {**bearer(token), "Idempotency-Key": f"bad-line-{code}"}

    _hang_up_halfway(api_server, "/suppliers", headers, json.dumps(supplier).encode())
    time.sleep(0.5)  # the server notices the hang-up
    first = httpx.post(f"{api_server}/suppliers", json=supplier, headers=headers, timeout=30)
    again = httpx.post(f"{api_server}/suppliers", json=supplier, headers=headers, timeout=30)

    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*) FROM supplier WHERE code = :c"), {"c": code}).scalar_one()
    assert stored == 1
