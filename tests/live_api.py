"""The API on a real socket (uvicorn in a thread): for clients that the in-process TestClient cannot play,
such as the CLI or a client that hangs up halfway through a request."""

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment

from api.main import create_app


@pytest.fixture()
def api_server(engine: Engine, temporal_dev: WorkflowEnvironment) -> Iterator[str]:
    """The API's base URL on 127.0.0.1, served until the test ends."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{url}/health", timeout=1)
            break
        except httpx.HTTPError:
            time.sleep(0.05)
    yield url
    server.should_exit = True
    thread.join(10)
