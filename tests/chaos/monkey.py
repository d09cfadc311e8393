"""A chaos monkey for the worker: the production worker in its own process, SIGKILLed at random moments
and restarted at once, while the test drives workflows."""

import asyncio
import ctypes
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from erp.settings import PROJECT_ROOT


def _die_with_parent() -> None:
    """In the child before exec: the kernel SIGKILLs it when the test process dies (no stray worker
    polling a later run's Temporal server on a reused port with another run's database)."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


class ChaosWorker:
    """Keeps one worker process alive on a task queue and kills it on demand (or at random)."""

    def __init__(self, env: dict[str, str], log: Path | None = None) -> None:
        self.env = env
        self.log = log
        self.kills = 0
        self.proc = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "worker.py"],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            # Each worker's log is kept when asked (why did it die?); the file belongs to the child.
            stderr=open(self.log, "ab") if self.log else subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )

    def kill_and_restart(self) -> None:
        """SIGKILL: no graceful shutdown, activities may be mid-transaction; then a fresh worker."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.kills += 1
        self.proc = self._spawn()

    async def rampage(self, stop: asyncio.Event, rng: random.Random, low: float, high: float) -> None:
        """Kill at random intervals until told to stop; the first kill comes early, while work is in flight."""
        wait = rng.uniform(0.3, 0.8)
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=wait)
            except TimeoutError:
                self.kill_and_restart()
            wait = rng.uniform(low, high)

    def stop(self) -> None:
        """The last worker leaves gracefully (SIGTERM)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def chaos_seed() -> int:
    """ERP_CHAOS_SEED replays a run's kill schedule; the default is fixed so CI is repeatable."""
    return int(os.environ.get("ERP_CHAOS_SEED", "20261126"))
