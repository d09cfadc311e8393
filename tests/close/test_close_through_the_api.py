"""The controller's month end through the HTTP API: request a bill to receive, start the close, decide the
difference and the sign-off in the inbox, read the checklist, then export the statements and reports."""

from decimal import Decimal as D

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.close import worked_month
from tests.close.closing import at_sign_off
from tests.close.worked_month import PERIOD
from tests.factories import Factory
from workflows.close.month_end import MonthEndCloseWorkflow


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_controller_closes_october_and_exports_the_reports(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    month = worked_month.build(engine, factory)
    entity = month.entity
    _, carla = factory.user("controller", entities=(entity,))
    _, bea = factory.user("buyer", entities=(entity,))
    carla_h, bea_h = _bearer(carla), _bearer(bea)

    accrual = {"entity_id": entity.id, "period": PERIOD, "description": "Electricity", "amount": "250.00"}
    assert api.post("/close/accruals", json=accrual, headers=bea_h).status_code == 403
    bad = api.post("/close/accruals", json={**accrual, "expense_role": "bank"}, headers=carla_h)
    assert bad.status_code == 422
    assert api.post("/close/accruals", json=accrual, headers=carla_h).json()["n"] == 1

    started = api.post("/close/runs", json={"entity_id": entity.id, "period": PERIOD}, headers=carla_h)
    assert started.status_code == 202, started.text
    workflow_id = started.json()["workflow_id"]
    assert workflow_id == f"Close-{entity.code}-{PERIOD}"
    again = api.post("/close/runs", json={"entity_id": entity.id, "period": PERIOD}, headers=carla_h)
    assert (again.status_code, again.json()["started"]) == (200, False)

    handle = temporal_dev.client.get_workflow_handle_for(MonthEndCloseWorkflow.run, workflow_id)
    view = await at_sign_off(handle)
    inbox = {t["id"]: t for t in api.get("/tasks", headers=carla_h).json()}
    diff_task, signoff_task = (t.task_id for t in view.tasks)
    assert inbox[signoff_task]["details"]["differences"][0]["difference"] == "-18.00"
    early = api.post(f"/tasks/{signoff_task}/decision", json={"decision": "approve"}, headers=carla_h)
    assert early.status_code == 409
    ok = api.post(
        f"/tasks/{diff_task}/decision", json={"decision": "accept", "comment": "landed cost"}, headers=carla_h
    )
    assert ok.status_code == 200, ok.text
    assert (
        api.post(f"/tasks/{signoff_task}/decision", json={"decision": "approve"}, headers=carla_h).status_code
        == 200
    )
    assert (await handle.result()).net_income == D("585.16")

    run = api.get(f"/close/runs/{entity.id}/{PERIOD}", headers=carla_h).json()
    assert run["status"] == "closed" and len(run["checklist"]) == 8
    assert run["differences"][0]["documents"][0]["source_id"] == month.po1
    listed = api.get("/close/runs", params={"entity_id": entity.id}, headers=carla_h).json()
    assert [r["period"] for r in listed] == [PERIOD]

    q = {"entity_id": entity.id, "period": PERIOD}
    pnl = api.get("/reports/profit-and-loss", params=q, headers=carla_h).json()
    assert pnl["net_income"] == run["statements"]["profit_and_loss"]["net_income"] == "585.16"
    csv = api.get("/reports/trial-balance", params={**q, "format": "csv"}, headers=carla_h)
    assert csv.headers["content-type"].startswith("text/csv")
    assert "1200,Inventory,asset,inventory,0.00,1767.33,874.67,892.66,892.66,0.00" in csv.text
    bs = api.get("/reports/balance-sheet", params=q, headers=carla_h).json()
    assert (bs["total_assets"], bs["balanced"]) == ("11851.03", True)

    valuation = api.get("/reports/stock-valuation", params=q, headers=carla_h).json()["lines"]
    assert [(D(str(x["qty"])), x["value"]) for x in valuation] == [(D(80), "874.66")]
    turns = api.get("/reports/stock-turns", params={**q, "window_days": 31}, headers=carla_h).json()
    # Only the shipment counts as goods sold (874.67); the return came back as a receipt.
    assert turns["items"][0]["cogs"] == "874.67" and turns["slow_movers"] == []
    wc = api.get("/reports/working-capital", params=q, headers=carla_h).json()
    # COGS 777.34 over 31 days; average inventory (0 + 892.66) / 2 = 446.33 -> DIO 17.80.
    assert (wc["cogs"], wc["dio"]) == ("777.34", "17.80")
    kpis = api.get("/reports/kpis", params=q, headers=carla_h).json()
    assert kpis["close_cycle"]["status"] == "closed" and kpis["close_cycle"]["duration_seconds"] is not None
    margin = api.get("/reports/gross-margin", params={**q, "by": "sku"}, headers=carla_h)
    assert margin.status_code == 200 and "available" in margin.json()
    assert (
        api.get("/reports/trial-balance", params={**q, "period": "2031-13"}, headers=carla_h).status_code
        == 422
    )
    assert api.get("/reports/trial-balance", params=q, headers=bea_h).status_code == 403
