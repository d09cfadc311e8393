"""`erp simulate` drives days of business through the real API: every kind of document is created,
some tasks are left for a person, the books stay consistent, and the same seed sends the same requests."""

from pathlib import Path

import pytest
import typer
from sqlmodel import Session
from typer.testing import CliRunner

from erp.cli.simulate import simulate
from erp.db import make_engine
from services.core.invariants import check_books
from tests.demo.system import demo_system, seeded_template

pytestmark = pytest.mark.slow


def _run(api: str, log: Path) -> str:
    app = typer.Typer()
    app.command()(simulate)
    result = CliRunner().invoke(app, ["--days", "2", "--seed", "7", "--api", api, "--log", str(log)])
    assert result.exit_code == 0, result.output
    return result.output


def _count(output: str, label: str) -> int:
    # A row of the summary table (other output may mention the same words).
    line = next(x for x in output.splitlines() if label in x and x.rstrip().endswith(("│", "|")))
    return int(line.rstrip(" │|").split()[-1])


def test_two_days_of_business_and_the_same_seed_sends_the_same_requests(
    database_url: str, tmp_path: Path
) -> None:
    # Fresh databases (copies of one seeded template) and a fresh Temporal server per run: the test
    # database holds other tests' data, and a second run needs the same starting point as the first.
    template = seeded_template(database_url)
    with demo_system(database_url, template) as system:
        output = _run(system.api, tmp_path / "first.log")
        engine = make_engine(system.database_url, app_role="erp_app")
        with Session(engine) as session:
            for entity_id in (1, 2):
                books = check_books(session, entity_id)
                assert books.consistent, books
        engine.dispose()
    for label in ("orders", "purchase orders", "receipts", "supplier invoices", "exceptions raised"):
        assert _count(output, label) > 0, output
    assert _count(output, "tasks waiting") > 0, output

    with demo_system(database_url, template) as system:
        _run(system.api, tmp_path / "second.log")
    first, second = (tmp_path / "first.log").read_text(), (tmp_path / "second.log").read_text()
    assert first.count("\n") > 20
    assert first == second
