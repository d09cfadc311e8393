"""Activities of the reconciliation: find documents whose workflow has ended, repair them, cancel drafts."""

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import Engine
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from erp.db import session_scope
from models.contracts.reconcile import Finding, ReconcileInput, RepairOutcome, ScanResult, TransferCancel
from services.operations import reconcile, reconcile_repairs


class ReconcileActivities:
    """Scans ask Temporal about every open document; repairs are one transaction per document."""

    def __init__(self, engine: Engine, client: Client | None) -> None:
        self.engine = engine
        self.client = client

    @activity.defn(name="reconcile.scan")
    async def scan(self, inp: ReconcileInput) -> ScanResult:
        """Open documents of the entity whose workflow is not running (describe is authoritative)."""
        assert self.client is not None, "the worker must pass a Temporal client to ReconcileActivities"
        with session_scope(self.engine) as s:
            entity_id = reconcile.entity_id_of(s, inp.entity_code)
            if entity_id is None:
                raise ApplicationError(
                    f"entity {inp.entity_code} does not exist", type="NotFound", non_retryable=True
                )
            documents = reconcile.open_documents(s, entity_id)
        findings: list[Finding] = []
        for i, doc in enumerate(documents):
            activity.heartbeat(i)
            status = await self._status(doc.workflow_id)
            if status != "RUNNING":
                findings.append(Finding(document=doc, workflow_status=status))
        return ScanResult(entity_id=entity_id, open_documents=len(documents), findings=findings)

    async def _status(self, workflow_id: str) -> str:
        """RUNNING, TERMINATED, FAILED, TIMED_OUT, CANCELED, COMPLETED, ... or NOT_FOUND (purged)."""
        assert self.client is not None
        try:
            described = await self.client.get_workflow_handle(workflow_id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return "NOT_FOUND"
            raise
        return described.status.name if described.status is not None else "UNKNOWN"

    @activity.defn(name="reconcile.repair")
    def repair(self, finding: Finding) -> RepairOutcome:
        """Close the ended workflow's tasks and repair the document where that is safe."""
        with session_scope(self.engine) as s:
            return reconcile_repairs.repair(s, finding, date.today())

    @activity.defn(name="transfers.cancel_draft")
    def cancel_transfer_draft(self, req: TransferCancel) -> str:
        """Cancel a transfer that has not shipped; returns its status afterwards."""
        with session_scope(self.engine) as s:
            return reconcile_repairs.cancel_transfer_draft(s, req)

    def all(self) -> list[Callable[..., Any]]:
        """Every activity method of this class, for the worker."""
        return [self.scan, self.repair, self.cancel_transfer_draft]
