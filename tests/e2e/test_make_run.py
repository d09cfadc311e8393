"""A newcomer's first command: `erp up` (what `make run` calls) starts PostgreSQL, Temporal with its
UI, the worker and the API with demo data; Ctrl-C stops everything; a second start keeps the data."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from erp.settings import PROJECT_ROOT
from tests.demo.test_readme_first_hour import run_first_hour

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path, api: int, temporal: int, ui: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEMPORAL_ADDRESS")}
    env.update(
        ERP_DATA_DIR=str(data_dir),
        ERP_API_PORT=str(api),
        ERP_TEMPORAL_PORT=str(temporal),
        ERP_TEMPORAL_UI_PORT=str(ui),
        ERP_WORKER_METRICS_PORT=str(_free_port()),
    )
    return env


def _start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "erp.cli.main", "up"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def _wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"erp up exited early:\n{log.read_text()[-3000:]}"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not ready after {timeout}s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)
    return proc.wait(60)


def _items(api: int) -> int:
    answer = httpx.get(
        f"http://127.0.0.1:{api}/items",
        params={"limit": 1000},
        headers={"Authorization": "Bearer demo-admin"},
    )
    assert answer.status_code == 200, answer.text
    return len(answer.json())


def test_erp_up_starts_everything_the_readme_works_and_a_restart_keeps_the_data(tmp_path: Path) -> None:
    # One system for the first start, the README's first hour and the restart: each start costs a minute.
    api, temporal, ui = _free_port(), _free_port(), _free_port()
    env, log = _env(tmp_path / "data", api, temporal, ui), tmp_path / "up.log"
    proc = _start(env, log)
    try:
        _wait_ready(api, proc, log)
        me = httpx.get(f"http://127.0.0.1:{api}/me", headers={"Authorization": "Bearer demo-admin"})
        assert me.status_code == 200 and me.json()["username"] == "admin"
        assert httpx.get(f"http://127.0.0.1:{ui}/", timeout=5).status_code == 200  # the Temporal Web UI
        assert _items(api) == 240
        run_first_hour(env, tmp_path, api, temporal, ui)
        items = _items(api)
    finally:
        code = _stop(proc)
    assert code == 0, log.read_text()[-3000:]
    assert "stopped." in log.read_text()
    proc = _start(env, log)
    try:
        _wait_ready(api, proc, log)
        assert _items(api) == items  # what the first hour made is kept, and nothing is seeded twice
    finally:
        assert _stop(proc) == 0
    assert "nothing seeded" in log.read_text()


def test_a_taken_port_gives_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _env(tmp_path / "data", port, _free_port(), _free_port())
        result = subprocess.run(
            [sys.executable, "-m", "erp.cli.main", "up"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"port {port}" in result.stderr and "already in use" in result.stderr
