"""An operator closes by hand from the shell: `erp close run` for one month, `erp close backfill` for a
range — one close per month, and running the same command twice starts nothing new; `--follow` prints each
step until the controller signs off."""

import asyncio
import os
import subprocess
import sys

import pytest
import typer
from fastapi.testclient import TestClient
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from erp.cli.close import _periods
from erp.settings import PROJECT_ROOT
from erp.temporal import connect
from tests.factories import Factory


def _erp_close(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command in its own process, as an operator runs it (DATABASE_URL/TEMPORAL_ADDRESS set)."""
    return subprocess.run(
        [sys.executable, "-m", "erp.cli.main", "close", *args],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )


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
    ran = _erp_close("run", "--entity", entity.code, "--period", "2030-12")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [f"Close-{entity.code}-2030-12: started"]
    filled = _erp_close("backfill", "--entity", entity.code, "--from", "2030-11", "--to", "2031-01")
    assert filled.stdout.splitlines() == [
        f"Close-{entity.code}-2030-11: started",
        f"Close-{entity.code}-2030-12: already running",
        f"Close-{entity.code}-2031-01: started",
    ]

    async def _stop() -> None:
        client = await connect()
        for period in ("2030-11", "2030-12", "2031-01"):
            await client.get_workflow_handle(f"Close-{entity.code}-{period}").terminate("test over")

    asyncio.run(_stop())


def test_close_run_follow_prints_each_step_until_the_controller_signs_off(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, factory: Factory
) -> None:
    entity = factory.entity()
    _, carla = factory.user("controller", entities=(entity,))
    follower = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "erp.cli.main",
            "close",
            "run",
            "--entity",
            entity.code,
            "--period",
            "2030-10",
            "--follow",
            "--timeout",
            "240",
        ],
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert follower.stdout is not None
        lines: list[str] = []
        while not any("sign_off" in line for line in lines):
            line = follower.stdout.readline()
            assert line, (lines, follower.stderr.read() if follower.stderr else "")
            lines.append(line.rstrip())
        assert lines[0] == f"Close-{entity.code}-2030-10: started"
        assert "erp tasks list --kind close_signoff" in lines[-1]
        bearer = {"Authorization": f"Bearer {carla}"}
        signoff = next(t for t in api.get("/tasks", headers=bearer).json() if t["kind"] == "close_signoff")
        decided = api.post(f"/tasks/{signoff['id']}/decision", json={"decision": "approve"}, headers=bearer)
        assert decided.status_code == 200, decided.text
        out, err = follower.communicate(timeout=120)
    finally:
        follower.kill()
    assert follower.returncode == 0, err
    assert (
        out.splitlines()[-1]
        == f"Close-{entity.code}-2030-10: closed; 2030-10 is locked and its statements are stored"
    )
