"""Fan inbound-stock news out to the workflows waiting for it (e.g. backordered order lines)."""

from sqlalchemy import Engine, text
from temporalio import activity
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from erp.db import session_scope
from models.contracts.inbound import InboundNotice, NotifyResult, WaitFor


class InboundActivities:
    """Registers waiters and signals them; signalling twice is harmless (handlers are idempotent)."""

    def __init__(self, engine: Engine, client: Client | None) -> None:
        self.engine = engine
        self.client = client

    @activity.defn(name="inbound.wait_for")
    def wait_for(self, req: WaitFor) -> None:
        """Record that a workflow waits for stock of an item at a location."""
        with session_scope(self.engine) as s:
            s.connection().execute(
                text(
                    """
                    INSERT INTO stock_waiter (waiter_key, workflow_id, workflow_type, item_id, location_id, qty,
                                              po_number, status)
                    VALUES (:waiter_key, :workflow_id, :workflow_type, :item_id, :location_id, :qty, :po_number,
                            'waiting') ON CONFLICT (waiter_key) DO NOTHING
                    """
                ),
                req.model_dump(),
            )

    @activity.defn(name="inbound.stop_waiting")
    def stop_waiting(self, waiter_key: str) -> None:
        """A waiter that no longer needs the stock (line cancelled or filled)."""
        with session_scope(self.engine) as s:
            s.connection().execute(
                text(
                    "UPDATE stock_waiter SET status = 'cancelled' WHERE waiter_key = :k AND status = 'waiting'"
                ),
                {"k": waiter_key},
            )

    @activity.defn(name="inbound.notify")
    async def notify(self, notice: InboundNotice) -> NotifyResult:
        """Signal every workflow waiting on these items/locations (or on this PO)."""
        # Imported here: the workflows import this class for typed activity calls, the registry imports them.
        from workflows.registry import by_type_name

        assert self.client is not None, "the worker must pass a Temporal client to InboundActivities"
        pairs = [(line.item_id, line.location_id) for line in notice.lines]
        with session_scope(self.engine) as s:
            rows = (
                s.connection()
                .execute(
                    text(
                        """
                    SELECT DISTINCT workflow_id, workflow_type FROM stock_waiter
                     WHERE status = 'waiting'
                       AND ((item_id, location_id) IN (SELECT * FROM unnest(CAST(:items AS int[]), CAST(:locs AS int[])))
                            OR (CAST(:po AS text) IS NOT NULL AND po_number = :po))
                    """
                    ),
                    {"items": [p[0] for p in pairs], "locs": [p[1] for p in pairs], "po": notice.po_number},
                )
                .all()
            )
        told = 0
        for workflow_id, workflow_type in rows:
            handle = self.client.get_workflow_handle(workflow_id)
            try:
                await handle.signal(by_type_name(workflow_type).inbound_changed, notice)
                told += 1
            except RPCError as exc:
                if exc.status != RPCStatusCode.NOT_FOUND:  # a finished waiter simply no longer listens
                    raise
        return NotifyResult(notified=told)
