"""Client side: make sure the one outbox dispatcher runs (called by the worker at start and by the API)."""

from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from models.contracts.integration import DispatcherInput
from models.contracts.summaries import summary_of
from workflows.integration.dispatcher import DISPATCHER_ID, OutboxDispatcherWorkflow


async def ensure_dispatcher(client: Client, task_queue: str, settings: DispatcherInput | None = None) -> str:
    """Start the dispatcher unless it already runs; returns its run id."""
    sweep = settings or DispatcherInput()
    handle = await client.start_workflow(
        OutboxDispatcherWorkflow.run,
        sweep,
        static_summary=summary_of(sweep),
        # One dispatcher per task queue: a dispatcher left on a queue nobody polls any more (a retired
        # worker pool, a test's queue) must not block the live one. Rows are claimed with SKIP LOCKED,
        # so dispatchers never deliver the same event twice.
        id=f"{DISPATCHER_ID}-{task_queue}",
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    return handle.result_run_id or ""
