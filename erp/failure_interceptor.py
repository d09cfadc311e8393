"""The worker's activity interceptor: data errors fail an activity for good, typed "DataError"."""

from typing import Any

from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from erp.failures import data_failure


class FailureInterceptor(Interceptor):
    """Classifies what every activity raises (erp.failures): data errors stop retrying at once."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        """Wrap each activity execution."""
        return _ClassifyingInbound(next)


class _ClassifyingInbound(ActivityInboundInterceptor):
    """Turns data errors into non-retryable ApplicationErrors; everything else is raised as it was."""

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        """Run the activity (sync ones still run in the worker's thread pool under this call)."""
        try:
            return await self.next.execute_activity(input)
        except Exception as exc:
            failure = data_failure(exc)
            if failure is None:
                raise
            # The original stays attached as the cause, so the Web UI shows its type and stack.
            raise failure from exc
