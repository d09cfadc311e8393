"""Goods do not arrive by the expected date + 2 days grace. The PO's timer raises an inbound exception
(stage "delayed", visible in the API and the search attributes) and asks the buyer: wait (the timer
moves to the new date), expedite (an expedite request goes out), cancel the remainder (inbound released),
or source the remainder from a substitute supplier (a linked PO that goes through approval)."""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from tests.factories import Factory
from tests.purchasing.buyer_desk import Desk, open_desk, open_task, stock_balance
from tests.purchasing.clock import decide, issued, reach, receive, task_of, today, until
from worker import build_worker
from workflows.search_attributes import STAGE

D = Decimal


def _exceptions(engine: Engine, number: str) -> list[tuple[str, str | None]]:
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT x.status, x.resolution FROM inbound_exception x JOIN purchase_order p"
                " ON p.id = x.po_id WHERE p.number = :n ORDER BY x.id"
            ),
            {"n": number},
        ).all()
    return [(r[0], r[1]) for r in rows]


async def _delayed(
    env: WorkflowEnvironment, engine: Engine, handle: WorkflowHandle[Any, str], number: str, days: int
) -> dict[str, Any]:
    """Skip past the expected date + grace and return the buyer's delay task."""
    await env.sleep(timedelta(days=days))
    await reach(handle, "delayed")
    return await task_of(engine, number, "supplier_delay")


async def _decide(
    handle: WorkflowHandle[Any, str], desk: Desk, task_id: int, decision: str, payload: dict[str, Any]
) -> None:
    await decide(handle, desk, "buyer", ["buyer"], task_id, decision, payload=payload)


async def test_a_late_delivery_raises_an_exception_and_the_buyer_decides(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    desk = open_desk(factory, lead_days=7, grace_days=2)
    assert desk.item.id and desk.warehouse.id
    async with build_worker(env.client, engine, task_queue):
        # Wait: the buyer accepts a new date; the timer moves and fires again after the new date.
        po, waiting = await issued(env, engine, desk, task_queue)
        task = await _delayed(env, engine, waiting, po.number, 10)
        assert (await waiting.describe()).typed_search_attributes.get(STAGE) == "delayed"
        assert _exceptions(engine, po.number) == [("open", None)]
        new_date = await today(env) + timedelta(days=20)
        await _decide(waiting, desk, task["id"], "wait", {"new_date": new_date.isoformat()})
        status = await reach(waiting, "issued")
        assert status.expected_date == new_date and _exceptions(engine, po.number) == [("resolved", "wait")]
        await env.sleep(timedelta(days=5))
        assert open_task(engine, po.number, "supplier_delay") is None  # the old deadline no longer fires
        await _delayed(env, engine, waiting, po.number, 18)  # new date + 2 days grace
        assert [s for s, _ in _exceptions(engine, po.number)] == ["resolved", "open"]

        # Expedite: an expedite request is written to the outbox for the supplier.
        po2, expedite = await issued(env, engine, desk, task_queue)
        task = await _delayed(env, engine, expedite, po2.number, 10)
        await _decide(expedite, desk, task["id"], "expedite", {})
        await reach(expedite, "issued")
        with engine.connect() as c:
            kinds = (
                c.execute(
                    text("SELECT kind FROM outbox_message WHERE document_id = :n ORDER BY id"),
                    {"n": po2.number},
                )
                .scalars()
                .all()
            )
        assert kinds == [
            "purchase_order.approved",
            "purchase_order.issued",
            "supplier_delay.raised",
            "purchase_order.expedite",
        ]

        # Cancel the remainder after a partial delivery: inbound goes back to what is still expected.
        po3, partial = await issued(env, engine, desk, task_queue)
        await receive(env, partial, desk, f"DN-{po3.number}", "4")
        inbound_before = stock_balance(engine, desk.item.id, desk.warehouse.id)[1]
        task = await _delayed(env, engine, partial, po3.number, 10)
        await _decide(partial, desk, task["id"], "cancel_remainder", {})
        status = await reach(partial, "matching")
        assert [(ln.received, ln.cancelled) for ln in status.lines] == [(D(4), D(6))]
        assert stock_balance(engine, desk.item.id, desk.warehouse.id)[1] == inbound_before - 6

        # Substitute: the remainder is ordered from another supplier on a linked PO that needs approval.
        other = factory.supplier(payment_terms="IMMEDIATE")
        factory.supplier_price(other, desk.item, D("11.00"))
        po4, late = await issued(env, engine, desk, task_queue)
        await receive(env, late, desk, f"DN-{po4.number}", "3")
        task = await _delayed(env, engine, late, po4.number, 10)
        await _decide(late, desk, task["id"], "substitute", {"supplier_id": other.id})
        status = await reach(late, "matching")
        assert len(status.child_numbers) == 1
        child = status.child_numbers[0]
        approval = await task_of(engine, child, "po_approval")
        assert approval["details"]["amount"] == "77.00"  # 7 remaining x 11.00
        with engine.connect() as c:
            link = c.execute(
                text("SELECT parent_number, supplier_id FROM purchase_order WHERE number = :n"), {"n": child}
            ).one()
        assert (link[0], link[1]) == (po4.number, other.id)
        for handle in (waiting, expedite, partial, late, env.client.get_workflow_handle(f"PO-{child}")):
            await handle.cancel()
        await until(lambda: True, "cleanup")
