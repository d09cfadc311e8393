"""The buyer, the sales-ops lead and the controller get a task for each broken master record the morning
check finds; the check closes the task once the record is fixed, and reopens one if it breaks again.
Fixes made through the API are audited with before and after."""

import asyncio
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.client import Client, ScheduleOverlapPolicy, ScheduleRange
from temporalio.testing import WorkflowEnvironment

from erp import foresight_schedules
from erp.settings import get_settings
from models.contracts.close import EntityInfo
from models.contracts.foresight import DataQualityInput, DataQualityResult
from models.master import Account, Customer, Entity, Supplier
from tests.factories import Factory
from tests.temporal_fixtures import BackgroundWorker
from workflows.foresight.data_quality import DataQualityCheckWorkflow

DAY = date(2031, 11, 3)


async def _check(client: Client, entity: Entity, day: date) -> DataQualityResult:
    return await client.execute_workflow(
        DataQualityCheckWorkflow.run,
        DataQualityInput(entity_code=entity.code, day=day, trigger="manual"),
        id=f"DataQuality-{entity.code}-{day}-{uuid.uuid4().hex[:6]}",
        task_queue=get_settings().task_queue,
    )


def _plant(factory: Factory, entity: Entity) -> dict[str, str]:
    """One record breaking each rule; returns rule -> the record's label."""
    uid = uuid.uuid4().hex[:6]
    costless = factory.item()
    nameless = factory.item(category=" ")
    no_terms = factory.supplier(payment_terms="")
    no_lead = factory.supplier(lead_time_days=0)
    twin_a = factory._save(Supplier(code=f"TA{uid}", name=f"Acme {uid} GmbH", currency="EUR"))
    factory._save(Supplier(code=f"TB{uid}", name=f"ACME {uid}", currency="EUR"))
    price = factory.supplier_price(twin_a, nameless, Decimal("4.20"))
    customer = factory._save(Customer(code=f"C{uid}", name="No Region", currency="EUR"))
    assert entity.id is not None
    factory._save(Account(entity_id=entity.id, code=f"9{uid[:3]}", name="Suspense", type="asset"))
    return {
        "item_without_cost": costless.sku,
        "item_without_category": nameless.sku,
        "supplier_without_terms": no_terms.code,
        "supplier_without_lead_time": no_lead.code,
        "duplicate_supplier": twin_a.code,
        "price_without_validity": f"{twin_a.code} / {nameless.sku}",
        "customer_without_tax_region": customer.code,
        "account_without_role": f"9{uid[:3]}",
        "_price_id": str(price.id),
    }


def _problems(
    api: TestClient, h: dict[str, str], entity: Entity, status: str = "open"
) -> list[dict[str, Any]]:
    got = api.get(f"/foresight/data-quality?entity_id={entity.id}&status={status}", headers=h)
    assert got.status_code == 200, got.text
    return got.json()["problems"]  # type: ignore[no-any-return]


def _task(engine: Engine, task_id: int) -> tuple[str, str | None, str | None]:
    with engine.connect() as c:
        row = c.execute(
            text("SELECT status, decision, candidate_role FROM task WHERE id = :i"), {"i": task_id}
        ).one()
    return row[0], row[1], row[2]


async def test_each_rule_fires_gives_the_owner_one_task_and_closes_it_when_fixed(
    temporal_dev: WorkflowEnvironment,
    erp_worker: BackgroundWorker,
    engine: Engine,
    factory: Factory,
    api: TestClient,
) -> None:
    entity = factory.entity()
    planted = _plant(factory, entity)
    _, admin = factory.user("admin", entities=(entity,))
    h = {"Authorization": f"Bearer {admin}"}
    first = await _check(temporal_dev.client, entity, DAY)
    assert first.new_problems == first.tasks_opened >= 8
    mine = {(p["rule"], p["record_label"]): p for p in _problems(api, h, entity)}
    owners = {"customer_without_tax_region": "sales_ops", "account_without_role": "controller"}
    for rule, label in planted.items():
        if rule.startswith("_"):
            continue
        p = mine[(rule, label)]
        assert p["owner_role"] == owners.get(rule, "buyer") and p["task_status"] == "open"
        assert _task(engine, p["task_id"]) == ("open", None, owners.get(rule, "buyer"))
    assert mine[("duplicate_supplier", planted["duplicate_supplier"])]["details"]["same_as"][0].startswith(
        "TB"
    )

    # The same check again finds the same problems: nothing new, no second task.
    again = await _check(temporal_dev.client, entity, DAY)
    assert (again.new_problems, again.tasks_opened, again.fixed) == (0, 0, 0)

    # The buyer fixes the supplier's terms through the API (audited); an admin gives the account a role.
    no_terms = mine[("supplier_without_terms", planted["supplier_without_terms"])]
    fixed = api.patch(f"/suppliers/{no_terms['record_id']}", json={"payment_terms": "NET30"}, headers=h)
    assert fixed.status_code == 200, fixed.text
    account = mine[("account_without_role", planted["account_without_role"])]
    # The API cannot change an account's role (postings depend on it): the controller's admin does it in SQL.
    with engine.begin() as c:
        c.execute(
            text("UPDATE account SET role = 'suspense' WHERE id = :i"), {"i": int(account["record_id"])}
        )
    with engine.connect() as c:
        audit = c.execute(
            text(
                "SELECT actor, before, after FROM audit_event WHERE action = 'Supplier.update' AND subject_id = :s"
            ),
            {"s": no_terms["record_id"]},
        ).one()
    assert audit[1]["payment_terms"] == "" and audit[2]["payment_terms"] == "NET30"

    nxt = await _check(temporal_dev.client, entity, date(2031, 11, 4))
    assert nxt.fixed == 2 and nxt.new_problems == 0
    assert _task(engine, no_terms["task_id"])[:2] == ("decided", "fixed")
    assert _task(engine, account["task_id"])[:2] == ("decided", "fixed")
    fixed_rows = {(p["rule"], p["record_label"]) for p in _problems(api, h, entity, "fixed")}
    assert fixed_rows == {
        ("supplier_without_terms", planted["supplier_without_terms"]),
        ("account_without_role", planted["account_without_role"]),
    }

    # Broken again: a new occurrence with a new task.
    with engine.begin() as c:
        c.execute(text("UPDATE account SET role = NULL WHERE id = :i"), {"i": int(account["record_id"])})
    back = await _check(temporal_dev.client, entity, date(2031, 11, 5))
    assert back.new_problems == 1 and back.tasks_opened == 1
    reopened = next(
        p for p in _problems(api, h, entity) if p["record_label"] == planted["account_without_role"]
    )
    assert reopened["occurrence"] == 2 and reopened["task_id"] != account["task_id"]


async def _problem_count(engine: Engine, entity_id: int) -> int:
    for _ in range(300):
        with engine.connect() as c:
            n = int(
                c.execute(
                    text("SELECT count(*) FROM data_quality_problem WHERE entity_id = :e"), {"e": entity_id}
                ).scalar_one()
            )
        if n:
            return n
        await asyncio.sleep(0.1)
    return 0


async def test_the_daily_schedule_is_installed_per_entity_and_runs_when_triggered(
    temporal_dev: WorkflowEnvironment, erp_worker: BackgroundWorker, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    factory._save(Account(entity_id=entity.id, code="9998", name="Suspense", type="asset"))
    info = EntityInfo(entity_id=entity.id, entity_code=entity.code, currency="EUR", time_zone="Europe/Berlin")
    client, queue = temporal_dev.client, get_settings().task_queue
    assert await foresight_schedules.ensure_schedule(client, info, queue) == "created"
    assert await foresight_schedules.ensure_schedule(client, info, queue) == "updated"
    handle = client.get_schedule_handle(foresight_schedules.schedule_id(entity.code))
    described = (await handle.describe()).schedule
    [calendar] = described.spec.calendars
    assert (calendar.hour, calendar.minute) == ((ScheduleRange(5, 5),), (ScheduleRange(30, 30),))
    assert described.spec.time_zone_name == "Europe/Berlin"
    assert described.policy.overlap == ScheduleOverlapPolicy.SKIP and described.policy.pause_on_failure
    await handle.trigger()
    assert await _problem_count(engine, entity.id) >= 1
    await handle.delete()
