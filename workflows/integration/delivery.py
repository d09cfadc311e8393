"""One event to one subscription: POST with exponential backoff, then a dead letter after the last try."""

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from activities.integration import IntegrationActivities
    from models.contracts.integration import (
        DeadLetterRequest,
        DeliveryAttemptResult,
        DeliveryOutcome,
        DeliveryRequest,
    )
    from workflows import retry
    from workflows import search_attributes as sa

WORKFLOW_TYPE = "WebhookDelivery"
# Far enough apart that a receiver down for an hour still gets its events with the default 8 tries.
MAX_RETRY_INTERVAL = timedelta(hours=1)


@workflow.defn(name=WORKFLOW_TYPE)
class WebhookDeliveryWorkflow:
    """Workflow id `Delivery-{subscription}-{event_id}`; the retry policy is the backoff."""

    @workflow.run
    async def run(self, req: DeliveryRequest) -> DeliveryOutcome:
        """Deliver at least once, or park the run in the dead-letter list."""
        backoff = RetryPolicy(
            initial_interval=timedelta(seconds=req.first_retry_seconds),
            backoff_coefficient=2.0,
            maximum_interval=MAX_RETRY_INTERVAL,
            maximum_attempts=req.max_attempts,
        )
        try:
            sent: DeliveryAttemptResult = await workflow.execute_activity_method(
                IntegrationActivities.deliver,
                req,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=backoff,
            )
            status = sent.status
        except ActivityError as err:
            reason = str(err.cause or err)
            await workflow.execute_activity_method(
                IntegrationActivities.dead_letter,
                DeadLetterRequest(delivery_id=req.delivery_id, run=req.run, reason=reason[:500]),
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=retry.UNTIL_DONE,
            )
            status = "dead"
        # A dead letter waits on an admin (replay or fix the receiver); anything else waits on nobody.
        pending = sa.PENDING_ON.value_set("admin") if status == "dead" else sa.PENDING_ON.value_unset()
        workflow.upsert_search_attributes([sa.STAGE.value_set(status), pending])
        workflow.set_current_details(f"Delivery {req.delivery_id}, run {req.run}: {status}")
        return DeliveryOutcome(delivery_id=req.delivery_id, run=req.run, status=status)
