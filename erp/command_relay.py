"""The relay: re-delivers every accepted command until its workflow has applied or rejected it.

It runs beside each worker. Rows are leased with SKIP LOCKED, so many workers share the work and a relay
that dies mid-delivery only delays a command until its lease ends."""

import asyncio
import contextlib
import logging
from datetime import timedelta

from sqlalchemy import Engine
from temporalio.client import Client

from erp.command_delivery import Outcome, deliver
from services.core import commands

log = logging.getLogger("erp.relay")

BATCH = 50
# A delivery waits this long for the workflow's answer; the lease outlives it so no other relay overlaps.
RPC_TIMEOUT = timedelta(seconds=10)
LEASE = timedelta(seconds=30)
IDLE_POLL = 1.0
MAX_BACKOFF = timedelta(seconds=30)


def backoff(attempts: int) -> timedelta:
    """Doubling from 1 s, at most 30 s: a command waiting for a worker is retried often, never in a storm."""
    return min(MAX_BACKOFF, timedelta(seconds=2 ** min(max(attempts - 1, 0), 5)))


class CommandRelay:
    """Delivers due commands in batches; `run` returns when `stop` is set."""

    def __init__(self, client: Client, engine: Engine, task_queue: str) -> None:
        self.client, self.engine, self.task_queue = client, engine, task_queue

    async def run(self, stop: asyncio.Event) -> None:
        """Poll, deliver, record; a failing database only pauses the loop."""
        while not stop.is_set():
            try:
                busy = await self.once()
            except Exception:  # the database may be restarting: keep the loop alive
                log.exception("command relay: delivery round failed")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), IDLE_POLL)

    async def once(self) -> bool:
        """One round: claim due commands and deliver them concurrently; True when there was work."""
        rows = await asyncio.to_thread(commands.claim_due, self.engine, BATCH, LEASE)
        if not rows:
            return False
        outcomes = await asyncio.gather(
            *(deliver(self.client, row, self.task_queue, RPC_TIMEOUT) for row in rows)
        )
        for row, outcome in zip(rows, outcomes, strict=True):
            await asyncio.to_thread(self._keep, row.id, row.attempts, outcome)
        return True

    def _keep(self, command_id: str, attempts: int, outcome: Outcome) -> None:
        if outcome.status == "unknown":
            commands.postpone(self.engine, command_id, outcome.error or "no answer", backoff(attempts))
            return
        commands.decide(self.engine, command_id, outcome.status, outcome.http_status, outcome.body)
        log.info(
            "command delivered",
            extra={"command_id": command_id, "status": outcome.status, "attempts": attempts},
        )
