"""Connect to Temporal on first use (the API starts even when Temporal is down) and reuse the client."""

import asyncio

from temporalio.client import Client

from erp.settings import Settings
from erp.temporal import connect


class TemporalHolder:
    """Holds one client per process; reconnects after a failed attempt."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._settings = settings
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Client:
        """The connected client, connecting if needed (5 s timeout)."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                self._client = await asyncio.wait_for(connect(self._settings), timeout=5)
            return self._client
