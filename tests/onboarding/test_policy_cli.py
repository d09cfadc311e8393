"""An admin manages a new entity's approval bands from the shell: `erp policy show`, then ends today's
lowest band and adds a dated successor that names the CFO; an overlapping band is refused with the reason."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.main import create_app
from erp.cli import tasks as cli_tasks
from erp.cli.main import app
from tests.factories import Factory
from tests.onboarding.company import Company


def test_show_end_and_add_bands_from_the_shell(
    api: TestClient, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    co = Company(api, factory.user("admin")[1])
    entity = co.new_entity()
    # The commands talk HTTP to this test's app with the admin's token, as they would to a server.
    monkeypatch.setattr(cli_tasks, "_client", lambda: TestClient(create_app(), headers=co.headers("admin")))
    runner = CliRunner()

    shown = runner.invoke(app, ["policy", "show", "--entity", entity["code"]])
    assert shown.exit_code == 0, shown.output
    assert "0.0000 to      5000.0000 ... to ...: approver\n" in shown.output
    assert "approver -> controller" in shown.output and "price 2.0000 % or 1.0000" in shown.output

    low = co.call("admin", "GET", "/approval-bands", params={"entity_id": entity["id"]})[0]["id"]
    today, tomorrow = date.today().isoformat(), (date.today() + timedelta(days=1)).isoformat()
    add = ["policy", "band", "add", "--entity", entity["code"], "--levels", "approver,user:cfo", "--min", "0"]
    add += ["--max", "5000", "--from", tomorrow]
    refused = runner.invoke(app, add)
    assert refused.exit_code == 1 and "Not accepted: overlaps band" in refused.output
    ended = runner.invoke(app, ["policy", "band", "end", str(low), "--last-day", today])
    assert ended.exit_code == 0 and f"ends after {today}" in ended.output
    added = runner.invoke(app, add)
    assert added.exit_code == 0 and "approver -> user:cfo" in added.output, added.output
    shown = runner.invoke(app, ["policy", "show", "--entity", entity["code"]])
    assert f"{tomorrow} to ...: approver -> user:cfo" in shown.output
