"""CPU seconds of processes read from /proc: what a benchmark's work cost each tier, even on a shared machine."""

import os
from pathlib import Path

from sqlalchemy import Engine, text

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state first); [] when it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    return raw[raw.rindex(")") + 2 :].split()


def _children(pid: int) -> list[int]:
    """The live child processes of pid."""
    return [int(d) for d in os.listdir("/proc") if d.isdigit() and (f := _stat(int(d))) and int(f[1]) == pid]


def cpu_seconds(pid: int, children: bool = False) -> float:
    """CPU seconds a process used (user + system, with its reaped children's), plus its live children's."""
    fields = _stat(pid)
    own = sum(int(x) for x in fields[11:15]) / _TICK if fields else 0.0
    if not children:
        return own
    return own + sum(cpu_seconds(k) for k in _children(pid))


def child_named(name: str) -> int | None:
    """The pid of this process's child whose command is `name` (the dev server the SDK spawned)."""
    for pid in _children(os.getpid()):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                return pid
        except OSError:
            continue
    return None


def postmaster_of(engine: Engine) -> int:
    """The pid of the PostgreSQL server behind engine (the parent of a backend); it must run on this machine."""
    with engine.connect() as c:
        backend = int(c.execute(text("SELECT pg_backend_pid()")).scalar_one())
    return int(_stat(backend)[1])
