"""`erp up`: the whole system on one machine, with data that survives restarts under .data/."""

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from erp.embedded import (
    PortInUseError,
    ensure_database,
    require_free_port,
    start_postgres,
    start_temporal_dev_server,
    stop_process,
    wait_for_port,
)
from erp.settings import Settings, get_settings


def _child(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    # Own process group: Ctrl-C reaches `erp up`, which then stops each child in order.
    return subprocess.Popen([sys.executable, "-m", "erp.cli.main", *args], env=env, start_new_session=True)


@dataclass
class _Stop:
    """Set by SIGINT/SIGTERM: the watch loop ends and everything started is stopped."""

    requested: bool = False

    def __call__(self, _sig: int, _frame: FrameType | None) -> None:
        self.requested = True


def run_stack(*, seed: bool) -> int:
    """Start every piece, print the URLs, and stop them all cleanly on Ctrl-C or SIGTERM."""
    settings = get_settings()
    data = settings.data_dir
    data.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    started: list[tuple[str, subprocess.Popen[Any]]] = []
    stop = _Stop()
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        require_free_port("127.0.0.1", settings.api_port, "the API")
        # Held until the stack stops: the embedded PostgreSQL lives as long as its server object.
        server = _start_servers(settings, env, started)  # noqa: F841
        _set_up(env, seed=seed)
        started.append(("worker", _child(["worker"], env)))
        api = _child(["api", "--host", settings.api_host, "--port", str(settings.api_port)], env)
        started.append(("api", api))
        wait_for_port("127.0.0.1", settings.api_port, timeout=180, proc=api)
        _print_urls(settings)
        return _watch(started, stop)
    except PortInUseError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    except subprocess.CalledProcessError as exc:
        print(
            f"error: `erp {' '.join(exc.cmd[3:])}` failed with code {exc.returncode}",
            file=sys.stderr,
            flush=True,
        )
        return 1
    finally:
        # Stop in reverse order: API, then worker (finishes in-flight activities), then Temporal.
        for name, proc in reversed(started):
            print(f"stopping {name} ...", flush=True)
            stop_process(proc)
        print("stopped.", flush=True)


def _start_servers(
    settings: Settings, env: dict[str, str], started: list[tuple[str, subprocess.Popen[Any]]]
) -> Any:
    """Embedded PostgreSQL and Temporal dev server unless the settings name running ones; the child processes
    find them through `env`. Returns the PostgreSQL server (None when external)."""
    data = settings.data_dir
    server = None
    if not settings.database_url:
        print(f"starting PostgreSQL (data in {data / 'pg'}) ...", flush=True)
        server = start_postgres(data / "pg")
        env["DATABASE_URL"] = ensure_database(server.get_uri(), "erp")
    if not settings.temporal_address:
        print(f"starting Temporal dev server (data in {data / 'temporal.db'}) ...", flush=True)
        proc = start_temporal_dev_server(
            data / "temporal.db",
            port=settings.temporal_port,
            ui_port=settings.temporal_ui_port,
            log_file=data / "temporal.log",
        )
        started.append(("temporal", proc))
        env["TEMPORAL_ADDRESS"] = f"127.0.0.1:{settings.temporal_port}"
    return server


def _set_up(env: dict[str, str], *, seed: bool) -> None:
    """Migrate, register the search attributes, seed the demo on request, and create the schedules."""
    # The close schedules come last so the demo entities (from the seed) get theirs.
    steps = (
        ["migrate"],
        ["temporal-setup"],
        *([["seed"]] if seed else []),
        ["close", "schedule"],
        ["replenish", "schedule"],
        ["foresight", "schedule"],
        ["reconcile", "schedule"],
    )
    for step in steps:
        subprocess.run([sys.executable, "-m", "erp.cli.main", *step], env=env, check=True)


def _print_urls(settings: Settings) -> None:
    """Where the API docs, the Temporal UI and the health check are."""
    ui = (
        "" if settings.temporal_address else f"  Temporal UI:  http://127.0.0.1:{settings.temporal_ui_port}\n"
    )
    print(
        "\nThe retail ERP is running.\n"
        f"  API docs:     http://{settings.api_host}:{settings.api_port}/docs\n{ui}"
        f"  Health:       http://{settings.api_host}:{settings.api_port}/ready\n"
        "  Demo tokens:  see the README (e.g. Authorization: Bearer demo-admin)\n"
        "Press Ctrl-C to stop everything; data stays in .data/ for the next run.\n",
        flush=True,
    )


def _watch(started: list[tuple[str, subprocess.Popen[Any]]], stop: _Stop) -> int:
    """Wait for a stop signal (0), or for any started process to exit (1: the rest is stopped too)."""
    while not stop.requested:
        for name, proc in started:
            if proc.poll() is not None:
                print(f"{name} exited with code {proc.returncode}; stopping everything", flush=True)
                return 1
        time.sleep(0.5)
    return 0
