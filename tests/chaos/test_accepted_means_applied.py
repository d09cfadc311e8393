"""Accepted means applied, proven through the door users use: a client that never retries sends each
command once to the API process while the worker is SIGKILLed again and again, and while no worker runs
and the Temporal server restarts on its file. Every command answered 2xx or 202 is applied exactly once,
every document reaches its stage, and the books agree. (`make chaos` runs the full size.)"""

from pathlib import Path

import pytest

from tests.chaos.edge import flash_sale, kill_storm, restart_without_worker, running_system
from tests.chaos.monkey import chaos_seed
from tests.demo.system import seeded_template

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def template(database_url: str) -> str:
    """The seeded demo retailer, copied for each run."""
    return seeded_template(database_url)


async def test_commands_answered_while_the_worker_dies_are_all_applied_once(
    database_url: str, template: str, tmp_path: Path
) -> None:
    with running_system(database_url, template, tmp_path) as system:
        # CI size (about a minute of kills); `make chaos` runs the full size: 50 kills, 40 orders, 15 POs.
        summary = await kill_storm(system, orders=6, pos=3, kills=8, seed=chaos_seed())
    print(f"\nedge under kills: {summary}")
    assert summary["kills"] >= 8
    assert summary["orders_shipped"] >= 4 and summary["pos_invoiced"] >= 2, summary


async def test_commands_answered_with_no_worker_survive_a_temporal_restart(
    database_url: str, template: str, tmp_path: Path
) -> None:
    with running_system(database_url, template, tmp_path) as system:
        summary = await restart_without_worker(system, orders=2)
    assert summary["answered_202"] >= 2 and summary["orders_shipped"] == 2, summary


async def test_a_hundred_orders_at_once_each_answer_names_its_order(
    database_url: str, template: str, tmp_path: Path
) -> None:
    with running_system(database_url, template, tmp_path) as system:
        summary = await flash_sale(system, orders=100)
    print(f"\nflash sale: {summary}")
    assert summary["answered_201"] + summary["answered_202"] == 100, summary
