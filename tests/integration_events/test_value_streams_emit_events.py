"""Every business fact of procure-to-pay, order-to-ship and the month-end close reaches the outbox in the
transaction that makes it: one happy path per value stream on the time-skipping server, then each activity
that reported something is run again with the input it recorded (a retry after a lost answer), and the
outbox still holds each event once. Every payload validates against its catalogue model."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session
from temporalio.client import WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from models.contracts.close import StepInput
from models.contracts.events import event_id_for, lookup, validate_data
from models.contracts.purchasing import (
    CancelRecord,
    CancelRequest,
    CloseRequest,
    DelayRaised,
    InvoiceLineIn,
    InvoiceRequest,
    IssuePo,
    MatchRequest,
    ReceiptRecord,
    ResolveMatch,
)
from models.contracts.sales import (
    AllocateRequest,
    BackorderRequest,
    OrderInput,
    ShipRequest,
    StageUpdate,
    WarehouseEvent,
)
from models.contracts.sales import (
    CancelRequest as OrderCancel,
)
from rules.periods import PeriodStatus
from services.close import runs as close_runs
from services.purchasing import invoice_matching, po_progress, receiving
from services.sales import allocation as sales_allocation
from services.sales import orders as sales_orders
from services.sales import shipping as sales_shipping
from tests.close.closing import CONTROLLER, at_sign_off, start_close
from tests.close.closing import decide as close_decide
from tests.factories import Factory
from tests.purchasing.buyer_desk import Desk, open_desk
from tests.purchasing.clock import decide, issued, reach, receive, task_of, today
from tests.sales.shop import add_item, open_shop, priced_order
from tests.sales.shop import receive as stock_in
from worker import build_worker
from workflows.purchasing.purchase_order import PurchaseOrderWorkflow
from workflows.sales.order import OrderWorkflow

D = Decimal
T = TypeVar("T", bound=BaseModel)
Event = tuple[str, str, str, int, str, dict[str, Any]]  # kind, key, event id, version, document type, data


def events(conn: Connection, document_type: str, document_id: str) -> list[Event]:
    """The outbox rows of one document, oldest first."""
    rows = conn.execute(
        text(
            "SELECT kind, idempotency_key, CAST(event_id AS text), version, document_type, payload"
            " FROM outbox_message WHERE document_type = :t AND document_id = :d ORDER BY id"
        ),
        {"t": document_type, "d": document_id},
    ).all()
    return [(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows]


def committed(engine: Engine, document_type: str, document_id: str) -> list[Event]:
    """The events of a document as other systems will get them, each checked against the catalogue."""
    with engine.connect() as c:
        found = events(c, document_type, document_id)
    for kind, key, event_id, version, dtype, data in found:
        assert event_id == str(event_id_for(key)), key
        assert dtype == lookup(kind, version).document_type, kind
        assert validate_data(kind, version, data) == data, kind
    return found


def kinds(found: list[Event]) -> list[str]:
    return [e[0] for e in found]


def retried(
    engine: Engine, document_type: str, document_id: str, again: Callable[[Session], object]
) -> list[Event]:
    """Run an activity's service call twice more in one transaction (rolled back) and list the events then."""
    with Session(engine) as s:
        again(s)
        again(s)
        found = events(s.connection(), document_type, document_id)
        s.rollback()
    return found


async def recorded(handle: WorkflowHandle[Any, Any], activity: str, kind: type[T]) -> list[T]:
    """The inputs a workflow gave an activity, from its history (what a retry runs with)."""
    history = await handle.fetch_history()
    found: list[T] = []
    for event in history.events:
        if not event.HasField("activity_task_scheduled_event_attributes"):
            continue
        attrs = event.activity_task_scheduled_event_attributes
        if attrs.activity_type.name == activity:
            [value] = await pydantic_data_converter.decode_wrapper(attrs.input, [kind])
            found.append(value)
    return found


async def _invoice(
    env: WorkflowEnvironment, handle: WorkflowHandle[Any, str], desk: Desk, number: str, price: str
) -> tuple[str, str]:
    """The supplier invoices all ten at a price; returns the invoice's document id and match status."""
    out = await handle.execute_update(
        PurchaseOrderWorkflow.submit_invoice,
        InvoiceRequest(
            invoice_number=number,
            invoice_date=await today(env),
            currency="EUR",
            lines=[InvoiceLineIn(line_no=1, qty=D(10), price=D(price))],
            entered_by=desk.name("clerk"),
        ),
    )
    return str(out.invoice_id), out.status


async def test_a_purchase_order_reports_approval_issue_receipt_invoices_and_a_cancelled_one(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    env = time_skipping
    desk = open_desk(factory, lead_days=7, grace_days=2)
    async with build_worker(env.client, engine, task_queue):
        po, handle = await issued(env, engine, desk, task_queue)
        await receive(env, handle, desk, f"DN-{po.number}", "10")
        # 10 % over the contract price: an exception; the AP clerk rejects it, a debit note goes out.
        high, status = await _invoice(env, handle, desk, f"A-{po.number}", "11.00")
        assert status == "exception"
        task = await task_of(engine, po.number, "match_exception")
        await decide(handle, desk, "clerk", ["ap_clerk"], task["id"], "reject", comment="price not agreed")
        fair, status = await _invoice(env, handle, desk, f"B-{po.number}", "10.00")
        assert status == "matched"
        assert await handle.result() == "closed"  # paid at once (IMMEDIATE terms)

        # The second PO: the supplier misses the date, the buyer cancels what never came.
        late, late_handle = await issued(env, engine, desk, task_queue)
        await env.sleep(timedelta(days=10))  # past the expected date + 2 days grace
        await reach(late_handle, "delayed")
        await late_handle.execute_update(
            PurchaseOrderWorkflow.cancel, CancelRequest(actor=desk.name("buyer"), reason="supplier too late")
        )
        assert await late_handle.result() == "cancelled"

    n = po.number
    assert kinds(committed(engine, "purchase_order", n)) == [
        "purchase_order.approved",
        "purchase_order.issued",
        "goods_receipt.posted",
        "supplier_invoice.debit_note",
    ]
    assert kinds(committed(engine, "supplier_invoice", high)) == ["supplier_invoice.exception"]
    assert kinds(committed(engine, "supplier_invoice", fair)) == ["supplier_invoice.matched"]
    assert kinds(committed(engine, "purchase_order", late.number)) == [
        "purchase_order.approved",
        "purchase_order.issued",
        "supplier_delay.raised",
        "purchase_order.cancelled",
    ]

    by_kind = {e[0]: e for e in committed(engine, "purchase_order", n)}
    approved = by_kind["purchase_order.approved"]
    assert approved[1] == f"po:{n}:rev:1:approved"
    assert approved[5]["approved_by"] == [desk.name("approver")] and D(approved[5]["total"]) == D("100.00")
    receipt = by_kind["goods_receipt.posted"]
    assert receipt[1] == f"po:{n}:receipt:1:event"
    assert [(ln["sku"], D(ln["qty"])) for ln in receipt[5]["lines"]] == [(desk.item.sku, D(10))]
    note = by_kind["supplier_invoice.debit_note"][5]
    assert (note["invoice_number"], D(note["net"]), note["currency"]) == (f"A-{n}", D("110.00"), "EUR")
    cancelled = committed(engine, "purchase_order", late.number)[-1]
    assert (cancelled[1], cancelled[5]["reason"]) == (f"po:{late.number}:cancelled", "supplier too late")

    # A retried activity (its first attempt committed, the answer was lost) reports nothing twice.
    before = committed(engine, "purchase_order", n)
    [issue] = await recorded(handle, "purchasing.issue", IssuePo)
    [rec] = await recorded(handle, "purchasing.receive", ReceiptRecord)
    [reject] = await recorded(handle, "purchasing.resolve_match", ResolveMatch)
    assert retried(engine, "purchase_order", n, lambda s: po_progress.issue(s, issue)) == before
    assert retried(engine, "purchase_order", n, lambda s: receiving.record(s, rec)) == before
    assert retried(engine, "purchase_order", n, lambda s: invoice_matching.resolve(s, reject)) == before
    for invoice_id in (high, fair):
        done = committed(engine, "supplier_invoice", invoice_id)
        [match] = [
            m
            for m in await recorded(handle, "purchasing.match", MatchRequest)
            if str(m.invoice_id) == invoice_id
        ]
        assert (
            retried(engine, "supplier_invoice", invoice_id, partial(invoice_matching.match, req=match))
            == done
        )
    before = committed(engine, "purchase_order", late.number)
    [delay] = await recorded(late_handle, "purchasing.raise_delay", DelayRaised)
    [cancel] = await recorded(late_handle, "purchasing.cancel_remaining", CancelRecord)
    [close] = await recorded(late_handle, "purchasing.close", CloseRequest)
    for again in (
        lambda s: po_progress.raise_delay(s, delay),
        lambda s: po_progress.cancel_remaining(s, cancel),
        lambda s: po_progress.close(s, close),
    ):
        assert retried(engine, "purchase_order", late.number, again) == before


async def test_an_order_reports_intake_allocation_backorder_shipment_and_a_cancelled_one(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    shop = open_shop(factory)
    mug = add_item(factory, shop, "mug", "9.00")
    vase = add_item(factory, shop, "vase", "30.00")  # none in stock: backordered
    stock_in(engine, mug, shop.wh1, "10", "3.00")
    assert shop.wh1.id is not None
    client = time_skipping.client
    async with build_worker(client, engine, task_queue):
        # A customer changes their mind before the order ships.
        other = priced_order(engine, shop, [(mug.sku, "1")])
        gone = await client.start_workflow(
            OrderWorkflow.run, other, id=f"Order-{other.order_number}", task_queue=task_queue
        )
        assert (await gone.execute_update(OrderWorkflow.sync)).stage == "allocated"
        await gone.execute_update(OrderWorkflow.cancel, OrderCancel(actor="sam", reason="changed mind"))
        # Done before the next order starts: waiting for a result lets the server skip time.
        assert (await gone.result()).stage == "cancelled"

        order = priced_order(engine, shop, [(mug.sku, "2"), (vase.sku, "1")])
        handle = await client.start_workflow(
            OrderWorkflow.run, order, id=f"Order-{order.order_number}", task_queue=task_queue
        )
        assert (await handle.execute_update(OrderWorkflow.sync)).stage == "backordered"
        await handle.execute_update(
            OrderWorkflow.warehouse_event,
            WarehouseEvent(kind="shipped", location_id=shop.wh1.id, carrier="dhl", tracking="1234567891"),
        )
        await handle.terminate("test done")  # the vase would wait for weeks

    n = order.order_number
    found = committed(engine, "sales_order", n)
    assert [(e[0], e[1]) for e in found] == [
        ("sales_order.received", f"so:{n}:received"),
        ("sales_order.allocated", f"so:{n}:alloc:1"),
        ("sales_order.backordered", f"so:{n}:line:2:backordered:1"),
        ("sales_order.shipped", f"so:{n}:shipment:order:{n}:ship:1"),
    ]
    received, allocated, backordered, shipped = (e[5] for e in found)
    assert (received["channel_code"], D(received["total_due"])) == (shop.web.code, _due(order))
    assert [(ln["sku"], D(ln["qty"]), ln["location_id"]) for ln in allocated["lines"]] == [
        (mug.sku, D(2), shop.wh1.id)
    ]
    assert [(ln["line_no"], ln["sku"]) for ln in backordered["lines"]] == [(2, vase.sku)]
    assert backordered["promised_date"] is not None
    assert (shipped["carrier"], shipped["tracking"], [ln["sku"] for ln in shipped["lines"]]) == (
        "dhl",
        "1234567891",
        [mug.sku],
    )
    assert kinds(committed(engine, "sales_order", other.order_number)) == [
        "sales_order.received",
        "sales_order.allocated",
        "sales_order.cancelled",
    ]

    # Retried activities: the same inputs again report nothing new. The order's short database steps run
    # as local activities, whose inputs history does not keep: they are the order itself and what it sent.
    persist = order
    [alloc] = await recorded(handle, "sales.allocate", AllocateRequest)
    assert vase.id is not None
    today = (await time_skipping.get_current_time()).date()
    short = BackorderRequest(order_number=n, line_no=2, item_id=vase.id, qty=D(1), today=today)
    [ship] = await recorded(handle, "sales.ship", ShipRequest)
    for again in (
        lambda s: sales_orders.persist_order(s, persist),
        lambda s: sales_allocation.allocate(s, alloc),
        lambda s: sales_orders.backorder(s, short),
        lambda s: sales_shipping.ship(s, ship),
    ):
        assert retried(engine, "sales_order", n, again) == found
    before = committed(engine, "sales_order", other.order_number)
    to_cancelled = StageUpdate(order_number=other.order_number, stage="cancelled")
    assert (
        retried(engine, "sales_order", other.order_number, lambda s: sales_orders.set_stage(s, to_cancelled))
        == before
    )


def _due(order: OrderInput) -> Decimal:
    return sum((ln.gross - ln.discount + ln.tax for ln in order.lines), D(0))


async def test_a_hard_close_reports_the_closed_period_once(
    time_skipping: WorkflowEnvironment, engine: Engine, factory: Factory, task_queue: str
) -> None:
    entity = factory.entity()
    assert entity.id is not None
    period = "2031-09"
    async with build_worker(time_skipping.client, engine, task_queue):
        handle = await start_close(time_skipping.client, entity.code, period, task_queue)
        view = await at_sign_off(handle)
        [signoff] = [t.task_id for t in view.tasks if t.kind == "close_signoff"]
        await close_decide(handle, signoff, "approve")
        assert (await handle.result()).status == "closed"

    document = f"{entity.code}-{period}"
    found = committed(engine, "fiscal_period", document)
    assert [(e[0], e[1], e[5]) for e in found] == [
        (
            "fiscal_period.closed",
            f"period:{entity.code}:{period}:closed",
            {"period": period, "status": "closed", "closed_by": CONTROLLER},
        )
    ]
    [step] = await recorded(handle, "close.hard_close", StepInput)
    assert (
        retried(
            engine,
            "fiscal_period",
            document,
            lambda s: close_runs.set_period_status(
                s, step.entity_id, step.entity_code, step.period, PeriodStatus.CLOSED, "close"
            ),
        )
        == found
    )
