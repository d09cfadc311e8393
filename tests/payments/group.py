"""Helpers for the group scenarios (Nordwind UK in GBP buying from a US supplier and selling on an EU marketplace,
Nordwind DE in EUR): rates and capital keyed through the API, POs of shirts in dollars, the intercompany charge,
the close of an entity, its closing balances and the consolidated report."""

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session
from temporalio.testing import WorkflowEnvironment

from models.master import Channel, Customer, Entity, TaxRate
from models.sales import ChannelPrice
from tests.close.closing import at_sign_off
from tests.factories import Factory
from tests.purchasing.buyer_desk import Desk, bearer, create_po, decide, eventually, wait_stage
from tests.purchasing.buyer_desk import open_task as po_task
from workflows.close.month_end import MonthEndCloseWorkflow

D = Decimal


def key_rate(api: TestClient, engine: Engine, token: str, pair: str, on: date, value: str) -> None:
    """Key a rate ("USD->GBP") for a day through the API as a controller. The group scenarios share their rates:
    when another one keyed the pair for that day first (409), the stored rate must be the same."""
    source, target = pair.split("->")
    body = {"from_currency": source, "to_currency": target, "rate_date": on.isoformat(), "rate": value}
    answer = api.post("/fx-rates", json=body, headers=bearer(token))
    if answer.status_code == 409:
        with engine.connect() as c:
            stored = c.execute(
                text(
                    "SELECT rate FROM fx_rate WHERE from_currency = :f AND to_currency = :t AND rate_date = :d"
                ),
                {"f": source, "t": target, "d": on},
            ).scalar_one()
        assert D(stored) == D(value), f"another test keyed {pair} {stored} for {on}"
        return
    assert answer.status_code == 201, answer.text


def journal(api: TestClient, maker: str, checker: str, engine: Engine, body: dict[str, Any]) -> None:
    """A manual journal keyed by one controller and approved by another."""
    keyed = api.post("/journals", json=body, headers=bearer(maker))
    assert keyed.status_code == 201, keyed.text
    number = keyed.json()["number"]

    def task() -> int | None:
        with engine.connect() as c:
            found = c.execute(
                text(
                    "SELECT id FROM task WHERE subject_id = :n AND kind = 'journal_approval' AND status = 'open'"
                ),
                {"n": number},
            ).scalar()
        return None if found is None else int(found)

    assert decide(api, checker, eventually(task, "journal approval"), "approve").status_code == 200
    eventually(
        lambda: api.get(f"/journals/{number}", headers=bearer(maker)).json()["status"] == "posted" or None,
        "journal posted",
    )


def capital(entity_id: int, on: date, amount: str) -> dict[str, Any]:
    """The manual journal of share capital paid into the bank."""
    return {
        "entity_id": entity_id,
        "posting_date": on.isoformat(),
        "memo": "share capital paid in",
        "lines": [{"account": "1000", "debit": amount}, {"account": "3000", "credit": amount}],
    }


def dollar_po(api: TestClient, engine: Engine, desk: Desk, qty: str, ordered: date) -> str:
    """A PO of shirts ordered on a date (its rate), approved, received and invoiced today at USD 12.50."""
    body = {
        "entity_id": desk.entity.id,
        "supplier_id": desk.supplier.id,
        "order_date": ordered.isoformat(),
        "expected_date": (date.today() + timedelta(days=7)).isoformat(),
        "lines": [{"item_id": desk.item.id, "location_id": desk.warehouse.id, "qty": qty}],
    }
    number = create_po(api, desk.token("buyer"), body)
    task = eventually(lambda: po_task(engine, number, "po_approval"), "PO approval")
    assert decide(api, desk.token("approver"), task["id"], "approve", revision=1).status_code == 200
    wait_stage(engine, number, "issued")
    received = api.post(
        f"/purchase-orders/{number}/receipts",
        headers=bearer(desk.token("receiver")),
        json={"delivery_note": f"DN-{number}", "lines": [{"line_no": 1, "qty": qty}]},
    )
    assert received.status_code == 200, received.text
    invoice = api.post(
        "/supplier-invoices",
        headers=bearer(desk.token("clerk")),
        json={
            "po_number": number,
            "supplier_id": desk.supplier.id,
            "invoice_number": f"US-{number}",
            "invoice_date": date.today().isoformat(),
            "currency": "USD",
            "lines": [{"line_no": 1, "qty": qty, "price": "12.50"}],
        },
    )
    assert invoice.status_code == 200 and invoice.json()["status"] == "matched", invoice.text
    wait_stage(engine, number, "awaiting_payment")
    return number


def _eu_marketplace(factory: Factory, desk: Desk) -> tuple[Channel, Customer]:
    """A marketplace of the desk's entity selling in EUR, the shirt at EUR 30.00, a customer taxed at 20 %."""
    assert desk.entity.id is not None and desk.item.id is not None
    region = f"R{uuid.uuid4().hex[:6]}"
    channel = Channel(
        entity_id=desk.entity.id,
        code=f"EU{uuid.uuid4().hex[:6]}",
        name="EU marketplace",
        kind="marketplace",
        currency="EUR",
    )
    customer = Customer(
        code=f"C{uuid.uuid4().hex[:6]}", name="Jana Keller", currency="EUR", tax_region=region
    )
    with Session(factory.engine, expire_on_commit=False) as s:
        s.add_all([channel, customer])
        s.add(TaxRate(region=region, tax_class="standard", rate=D("0.20"), valid_from=date(2000, 1, 1)))
        s.flush()
        assert channel.id is not None
        s.add(
            ChannelPrice(
                channel_id=channel.id,
                item_id=desk.item.id,
                price=D("30.00"),
                currency="EUR",
                valid_from=date(2000, 1, 1),
            )
        )
        s.commit()
    return channel, customer


def eu_sale(api: TestClient, factory: Factory, desk: Desk, qty: str) -> str:
    """Shirts sold to an EU customer on the entity's EUR marketplace and shipped, left unpaid; the order number."""
    channel, customer = _eu_marketplace(factory, desk)
    sales = factory.user("sales_ops", entities=(desk.entity,))[1]
    body = {
        "channel": channel.code,
        "external_id": uuid.uuid4().hex[:10],
        "customer": customer.code,
        "lines": [{"sku": desk.item.sku, "qty": qty}],
    }
    order = api.post("/orders", json=body, headers=bearer(sales))
    assert order.status_code == 201, order.text
    number = str(order.json()["order_number"])
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        json={"kind": "shipped", "location_id": desk.warehouse.id, "carrier": "DPD"},
        headers=bearer(desk.token("receiver")),
    )
    assert shipped.status_code == 200, shipped.text
    return number


def intercompany_charge(
    api: TestClient, token: str, seller: Entity, buyer: Entity, on: date, currency: str, amount: str
) -> str:
    """The seller charges the buyer for management services (seller's revenue 4000, buyer's expense 6200);
    waits until both sides are posted; returns the charge's reference."""
    charge = {
        "reference": f"IC-{on:%Y-%m}-{seller.code}",
        "seller_entity_id": seller.id,
        "buyer_entity_id": buyer.id,
        "posting_date": on.isoformat(),
        "currency": currency,
        "amount": amount,
        "seller_account": "4000",
        "buyer_account": "6200",
        "memo": "management services",
    }
    sent = api.post("/intercompany/charges", json=charge, headers=bearer(token))
    assert sent.status_code == 201, sent.text

    def posted() -> list[Any] | None:
        sides = api.get(
            "/journal-entries",
            params={"source_type": "intercompany", "source_id": charge["reference"]},
            headers=bearer(token),
        ).json()
        return sides if len(sides) == 2 else None

    eventually(posted, "both sides of the charge")
    return str(charge["reference"])


def closings(api: TestClient, token: str, entity_id: int, period: str) -> dict[str, Decimal]:
    """Closing balance per account role at period end (debit > 0), zero balances dropped."""
    answer = api.get(
        "/reports/trial-balance", params={"entity_id": entity_id, "period": period}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text
    tb = answer.json()
    assert tb["balanced"] is True and tb["total_debit"] == tb["total_credit"], tb
    return {ln["role"]: D(ln["closing"]) for ln in tb["lines"] if D(ln["closing"])}


async def close(
    temporal_dev: WorkflowEnvironment, api: TestClient, token: str, entity_id: int, period: str
) -> Any:
    """Run the entity's month-end close until it waits for sign-off; the close run as the API shows it."""
    started = api.post("/close/runs", json={"entity_id": entity_id, "period": period}, headers=bearer(token))
    assert started.status_code == 202, started.text
    handle = temporal_dev.client.get_workflow_handle_for(
        MonthEndCloseWorkflow.run, started.json()["workflow_id"]
    )
    await at_sign_off(handle)
    return api.get(f"/close/runs/{entity_id}/{period}", headers=bearer(token)).json()


def subledger_differences(close_run: Any) -> set[str]:
    """The AP and AR subledger-versus-control checks a close run found a difference on."""
    checks = {str(d["check_name"]) for d in close_run["differences"]}
    return checks & {"ap_subledger_vs_control", "ar_subledger_vs_control"}


def consolidated(api: TestClient, token: str, period: str) -> dict[str, Any]:
    """The consolidated report in EUR of the caller's entities."""
    answer = api.get(
        "/reports/consolidated", params={"period": period, "currency": "EUR"}, headers=bearer(token)
    )
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report
