"""An operator in the Temporal Web UI types the codes they know: `ErpSupplier="NORDTEX"` lists that
supplier's purchase orders, `ErpEntity="UK01"` the entity's orders and returns. The search attributes hold
business codes on every workflow type, not database ids: a manual journal too, whose own upserts
once put the entity's id back."""

import asyncio
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.factories import Factory
from tests.journals.desk import bearer as journal_bearer
from tests.journals.desk import open_desk as open_journal_desk
from tests.journals.desk import rent
from tests.purchasing.buyer_desk import bearer, open_desk, po_body
from tests.returns.desk import open_desk as open_returns_desk
from tests.returns.desk import raise_return, ship_through_api
from tests.sales.shop import add_item, receive


async def _found(client: Client, query: str, wanted: set[str]) -> set[str]:
    """The workflow ids the query lists, once all `wanted` show (visibility lags a moment)."""
    ids: set[str] = set()
    for _ in range(100):
        ids = {w.id async for w in client.list_workflows(query)}
        if wanted <= ids:
            break
        await asyncio.sleep(0.1)
    return ids


async def test_a_suppliers_pos_and_an_entitys_orders_are_found_by_their_codes(
    api: TestClient, temporal_dev: WorkflowEnvironment, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    client = temporal_dev.client
    desk = open_desk(factory, price="12.50")
    numbers = []
    for qty in ("8", "3"):
        po = api.post("/purchase-orders", json=po_body(desk, qty), headers=bearer(desk.token("buyer")))
        assert po.status_code == 201, po.text
        numbers.append(po.json()["number"])
    pos = {f"PO-{n}" for n in numbers}

    by_supplier = await _found(client, f'ErpSupplier="{desk.supplier.code}"', pos)
    assert by_supplier == pos
    by_entity = await _found(
        client, f'ErpEntity="{desk.entity.code}" AND ErpDocumentType="purchase_order"', pos
    )
    assert by_entity == pos
    # The database ids find nothing any more: an operator never types them.
    assert await _found(client, f'ErpSupplier="{desk.supplier.id}"', set()) == set()
    # The code is there from the start and stays after the workflow's own upserts.
    described = await client.get_workflow_handle(f"PO-{numbers[0]}").describe()
    attrs = described.search_attributes
    assert attrs["ErpSupplier"] == [desk.supplier.code] and attrs["ErpEntity"] == [desk.entity.code]

    returns = open_returns_desk(factory)
    shop = returns.shop
    kettle = add_item(factory, shop, "kettle", "120.00")
    receive(engine, kettle, shop.wh1, "2", "50.00")
    order = ship_through_api(api, shop, [{"sku": kettle.sku, "qty": "1"}])
    raised = raise_return(api, shop.sales, order, [{"line_no": 1, "qty": "1", "reason_code": "defective"}])
    assert raised.status_code == 201, raised.text
    docs = {f"Order-{order}", str(raised.json()["workflow_id"])}
    assert await _found(client, f'ErpEntity="{shop.entity.code}"', docs) == docs


async def test_a_manual_journal_keeps_its_entitys_code_after_its_own_upserts(
    api: TestClient, temporal_dev: WorkflowEnvironment, erp_worker: Worker, engine: Engine, factory: Factory
) -> None:
    """A controller's journal waits for approval: `ErpEntity="<code>"` finds it, never its entity's id."""
    desk = open_journal_desk(factory)
    posted = api.post(
        "/journals", json=rent(desk.entity_id, date.today()), headers=journal_bearer(desk.maker[1])
    )
    assert posted.status_code in (201, 202), posted.text
    workflow_id = str(posted.json()["workflow_id"])
    query = f'ErpEntity="{desk.entity.code}" AND ErpDocumentType="manual_journal"'
    assert await _found(temporal_dev.client, query, {workflow_id}) == {workflow_id}
    assert await _found(temporal_dev.client, f'ErpEntity="{desk.entity_id}"', set()) == set()
