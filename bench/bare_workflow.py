"""The baseline: a bare workflow running N no-op activities in sequence (no I/O, no rules)."""

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench.noop")
async def noop(step: int) -> int:
    """Does nothing: measures the orchestration cost alone."""
    return step


@workflow.defn(name="BenchBare")
class BareWorkflow:
    """As many activities as an order workflow runs, and nothing else."""

    @workflow.run
    async def run(self, steps: int) -> int:
        for step in range(steps):
            await workflow.execute_activity(noop, step, start_to_close_timeout=timedelta(seconds=10))
        return steps
