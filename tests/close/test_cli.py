"""An operator closes by hand from the shell: `erp close run` for one month, `erp close backfill` for a
range — one close per month, and running the same command twice starts nothing new."""

import asyncio

import pytest
import typer
from temporalio.testing import WorkflowEnvironment
from typer.testing import CliRunner

from erp.cli_close import _periods, close_app
from erp.temporal import connect
from tests.factories import Factory


def test_periods_of_a_backfill_span_year_ends_and_refuse_nonsense() -> None:
    assert _periods("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
    with pytest.raises(typer.BadParameter):
        _periods("2026-03", "2026-01")
    with pytest.raises(typer.BadParameter):
        _periods("2026-13", "2026-14")


def test_run_and_backfill_start_one_close_per_period_once(
    temporal_dev: WorkflowEnvironment, factory: Factory
) -> None:
    entity = factory.entity()
    runner = CliRunner()
    ran = runner.invoke(close_app, ["run", "--entity", entity.code, "--period", "2030-12"])
    assert ran.exit_code == 0, ran.output
    assert ran.output.splitlines() == [f"Close-{entity.code}-2030-12: started"]
    filled = runner.invoke(
        close_app, ["backfill", "--entity", entity.code, "--from", "2030-11", "--to", "2031-01"]
    )
    assert filled.output.splitlines() == [
        f"Close-{entity.code}-2030-11: started",
        f"Close-{entity.code}-2030-12: already running",
        f"Close-{entity.code}-2031-01: started",
    ]

    async def _stop() -> None:
        client = await connect()
        for period in ("2030-11", "2030-12", "2031-01"):
            await client.get_workflow_handle(f"Close-{entity.code}-{period}").terminate("test over")

    asyncio.run(_stop())
