"""PostgreSQL down (restarting, failing over): every request is answered 503 with Retry-After and the
reason, never a 500 with a traceback, so a client knows to send the same request again. The soak found
the 500s when it crashed the database mid-request (tests/chaos/test_soak.py now fails on any 500)."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from erp.embedded import stop_process, wait_for_port
from erp.settings import PROJECT_ROOT
from tests.demo.system import free_port


@pytest.fixture
def api_without_database(tmp_path: Path) -> Iterator[str]:
    """The API process exactly as `erp up` runs it, with nothing listening where its database should be."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql+psycopg://postgres@/erp?host={tmp_path}",
        "TEMPORAL_ADDRESS": f"127.0.0.1:{free_port()}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "erp.cli.main", "api", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port("127.0.0.1", port, timeout=60, proc=proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process(proc)


def _unavailable(answer: httpx.Response) -> None:
    assert answer.status_code == 503, (answer.status_code, answer.text)
    assert answer.headers["Retry-After"] == "2"
    (detail,) = answer.json()["detail"]
    assert detail["loc"] == ["body", "database"] and detail["type"] == "unavailable", detail
    assert "same Idempotency-Key" in detail["msg"]


def test_reads_and_commands_get_503_while_the_database_is_down(api_without_database: str) -> None:
    auth = {"Authorization": "Bearer demo-sam.sales"}
    order = {"channel": "WEB-EU", "external_id": "DOWN-1", "customer": "CUST-0001", "lines": []}
    with httpx.Client(base_url=api_without_database, timeout=30) as http:
        _unavailable(http.get("/items", headers=auth))
        # A command with a key: the key's own bookkeeping needs the database too.
        _unavailable(http.post("/orders", json=order, headers={**auth, "Idempotency-Key": "down-1"}))
        _unavailable(http.post("/orders", json=order, headers=auth))
