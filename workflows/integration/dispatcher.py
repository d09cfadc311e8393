"""The outbox dispatcher: one long-running workflow that fans committed events out to subscriptions."""

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.integration import IntegrationActivities
    from models.contracts.integration import DispatcherInput, DispatchRequest, DispatchResult, WaitRequest
    from workflows import retry
    from workflows import search_attributes as sa

WORKFLOW_TYPE = "OutboxDispatcher"
DISPATCHER_ID = "OutboxDispatcher"
# The singleton dispatcher must outlive any database outage: its sweeps retry without a limit.
_RETRY = retry.UNTIL_DONE


@workflow.defn(name=WORKFLOW_TYPE)
class OutboxDispatcherWorkflow:
    """Sweep, then wait for the database to say a new event committed; continue-as-new to bound history."""

    @workflow.run
    async def run(self, req: DispatcherInput) -> None:
        """Loop sweeps and waits for `rounds_before_continue` rounds, then start afresh."""
        workflow.upsert_search_attributes(
            [sa.DOCUMENT_TYPE.value_set("outbox"), sa.STAGE.value_set("dispatching")]
        )
        workflow.set_current_details("Dispatching the outbox to webhook receivers")
        for _ in range(req.rounds_before_continue):
            swept: DispatchResult = await workflow.execute_activity_method(
                IntegrationActivities.dispatch,
                DispatchRequest(limit=req.batch_size),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=_RETRY,
            )
            if swept.more:
                continue
            if workflow.info().is_continue_as_new_suggested():
                break
            await workflow.execute_activity_method(
                IntegrationActivities.wait_for_events,
                WaitRequest(seconds=req.idle_seconds),
                start_to_close_timeout=timedelta(seconds=req.idle_seconds + 30),
                heartbeat_timeout=timedelta(seconds=10),
                retry_policy=_RETRY,
            )
        workflow.continue_as_new(req)
