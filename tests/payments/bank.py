"""Helpers for the treasury scenarios: a PO invoiced, a payment run paid, orders paid by transfer or settled by a
marketplace, a bank's camt.053 statement imported, balances per account role, open tasks."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from models.master import Supplier
from tests.purchasing.buyer_desk import Desk, bearer, create_po, decide, eventually, wait_stage, wait_task
from tests.sales.shop import Shop, order_body

D = Decimal
HOUSE_BANK = {"account_name": "Nordwind Retail GmbH", "iban": "DE02120300000000202051", "bic": "BYLADEM1001"}


def supplier_bank(engine: Engine, supplier: Supplier, iban: str, bic: str | None) -> None:
    """Give a supplier bank details (what a payment run pays to)."""
    with engine.begin() as c:
        c.execute(
            text("UPDATE supplier SET iban = :i, bic = :b, account_holder = :h WHERE id = :s"),
            {"i": iban, "b": bic, "h": f"{supplier.name} Ltd", "s": supplier.id},
        )


def pays_by_run(api: TestClient, desk: Desk) -> None:
    """The desk's entity pays its suppliers by payment run from the house bank account (its controller says so)."""
    setting = {**HOUSE_BANK, "uses_payment_runs": True}
    answer = api.put(
        f"/payment-settings/{desk.entity.id}", json=setting, headers=bearer(desk.token("controller"))
    )
    assert answer.status_code == 200, answer.text


def _paid(api: TestClient, headers: dict[str, str], run_id: int) -> dict[str, Any] | None:
    found: dict[str, Any] = api.get(f"/payment-runs/{run_id}", headers=headers).json()
    return found if found["status"] == "paid" else None


def paid_run(api: TestClient, engine: Engine, desk: Desk) -> dict[str, Any]:
    """Today's payment run of the desk's entity, proposing one invoice, started by the clerk, approved by the
    controller; the run once paid."""
    started = api.post(
        "/payment-runs",
        json={"entity_id": desk.entity.id, "run_date": date.today().isoformat()},
        headers=bearer(desk.token("clerk")),
    )
    assert started.status_code == 201 and started.json()["proposed"] == 1, started.text
    approval = eventually(
        lambda: open_task(engine, started.json()["workflow_id"], "payment_run_approval"), "run approval"
    )
    assert decide(api, desk.token("controller"), approval, "approve").status_code == 200
    ctl = bearer(desk.token("controller"))
    return eventually(lambda: _paid(api, ctl, started.json()["run_id"]), "the run paid")


def key_days(api: TestClient, token: str, pair: str, rates: list[str]) -> list[date]:
    """Key through the API, as a controller, a rate of a pair ("EUR->RON") for today and each following day;
    the days, today first. Each scenario keys a pair no other one keys (rates are shared by every entity)."""
    source, target = pair.split("->")
    days = [date.today() + timedelta(days=n) for n in range(len(rates))]
    for on, value in zip(days, rates, strict=True):
        body = {"from_currency": source, "to_currency": target, "rate_date": on.isoformat(), "rate": value}
        keyed = api.post("/fx-rates", json=body, headers=bearer(token))
        assert keyed.status_code == 201, keyed.text
    return days


def key_rates(engine: Engine, to_currency: str, rates: list[tuple[str, date, str]]) -> None:
    """Key (from currency, day, rate) rates into one currency; a different rate another test stored for the same
    pair and day fails here, naming it (scenarios pick currency pairs no other test keys)."""
    with engine.begin() as c:
        for from_currency, day, rate in rates:
            params = {"f": from_currency, "t": to_currency, "d": day, "r": rate}
            c.execute(
                text(
                    "INSERT INTO fx_rate (from_currency, to_currency, rate_date, rate) VALUES (:f, :t, :d, :r)"
                    " ON CONFLICT DO NOTHING"
                ),
                params,
            )
            stored = c.execute(
                text(
                    "SELECT rate FROM fx_rate WHERE from_currency = :f AND to_currency = :t AND rate_date = :d"
                ),
                params,
            ).scalar_one()
            assert D(stored) == D(rate), (
                f"another test stored {from_currency}/{to_currency} {stored} for {day}"
            )


def received_and_invoiced(
    api: TestClient, engine: Engine, desk: Desk, supplier: Supplier, currency: str, price: str
) -> str:
    """A PO of 10 units approved, received and invoiced at the contract price (due today)."""
    body = {
        "entity_id": desk.entity.id,
        "supplier_id": supplier.id,
        "lines": [{"item_id": desk.item.id, "location_id": desk.warehouse.id, "qty": "10"}],
    }
    number = create_po(api, desk.token("buyer"), body)
    task = wait_task(engine, number, "po_approval")
    assert decide(api, desk.token("approver"), task["id"], "approve", revision=1).status_code == 200
    wait_stage(engine, number, "issued")
    received = api.post(
        f"/purchase-orders/{number}/receipts",
        headers=bearer(desk.token("receiver")),
        json={"delivery_note": f"DN-{number}", "lines": [{"line_no": 1, "qty": "10"}]},
    )
    assert received.status_code == 200, received.text
    invoice = api.post(
        "/supplier-invoices",
        headers=bearer(desk.token("clerk")),
        json={
            "po_number": number,
            "supplier_id": supplier.id,
            "invoice_number": f"INV-{number}",
            "invoice_date": date.today().isoformat(),
            "currency": currency,
            "lines": [{"line_no": 1, "qty": "10", "price": price}],
        },
    )
    assert invoice.status_code == 200, invoice.text
    assert invoice.json()["status"] == "matched"
    return number


@dataclass(frozen=True)
class Entry:
    """One booked statement entry: signed amount (debit < 0), end-to-end id, remittance text, bank code."""

    amount: str
    e2e: str | None = None
    text: str = "statement line"
    code: str = "OTHR"
    currency: str = "EUR"


def camt053(ref: str, iban: str, entries: list[Entry], on: date | None = None) -> str:
    """A camt.053.001.02 statement of one account with the entries in order."""
    day = (on or date.today()).isoformat()
    body = "".join(
        f'<Ntry><Amt Ccy="{e.currency}">{e.amount.lstrip("-")}</Amt>'
        f"<CdtDbtInd>{'DBIT' if e.amount.startswith('-') else 'CRDT'}</CdtDbtInd><Sts>BOOK</Sts>"
        f"<BookgDt><Dt>{day}</Dt></BookgDt>"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>{e.code}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        + (
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{e.e2e}</EndToEndId></Refs></TxDtls></NtryDtls>"
            if e.e2e
            else ""
        )
        + f"<AddtlNtryInf>{e.text}</AddtlNtryInf></Ntry>"
        for e in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{ref}</MsgId><CreDtTm>{day}T18:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{ref}</Id><CreDtTm>{day}T18:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{iban}</IBAN></Id></Acct>{body}</Stmt></BkToCstmrStmt></Document>"
    )


def import_statement(api: TestClient, token: str, entity_id: int | None, statement: str) -> list[str]:
    """POST a camt.053 statement of the entity; what each line was matched to (or its status when unmatched)."""
    body = {"entity_id": entity_id, "format": "camt053", "content": statement}
    imported = api.post("/bank-statements", json=body, headers=bearer(token))
    assert imported.status_code == 201, imported.text
    return [str(ln["matched_to"] or ln["status"]) for ln in imported.json()["lines"]]


def balances(engine: Engine, entity_id: int) -> dict[str, Decimal]:
    """Functional balance per account role of the entity (zero balances dropped)."""
    with engine.connect() as c:
        rows = c.execute(
            text(
                "SELECT a.role, sum(l.amount_func) FROM journal_line l JOIN account a ON a.id = l.account_id"
                " WHERE l.entity_id = :e GROUP BY a.role"
            ),
            {"e": entity_id},
        ).all()
    return {str(r[0]): D(r[1]) for r in rows if D(r[1]) != 0}


def open_task(engine: Engine, workflow_id: str, kind: str) -> int | None:
    """The oldest open task of a kind a workflow opened, if any (for `eventually`)."""
    found = open_tasks(engine, workflow_id, kind)
    return found[0] if found else None


def open_tasks(engine: Engine, workflow_id: str, kind: str) -> list[int]:
    """Open tasks of a kind a workflow opened, oldest first."""
    with engine.connect() as c:
        rows = c.execute(
            text("SELECT id FROM task WHERE workflow_id = :w AND kind = :k AND status = 'open' ORDER BY id"),
            {"w": workflow_id, "k": kind},
        ).all()
    return [int(r[0]) for r in rows]


def transfer_order(api: TestClient, shop: Shop, sku: str) -> str:
    """A web order paid by bank transfer: recorded as paid, shipped (the money waits in clearing)."""
    body = order_body(shop, shop.web, [{"sku": sku, "qty": "1"}], payment_method="transfer")
    created = api.post("/orders", json=body, headers=bearer(shop.sales))
    assert created.status_code == 201, created.text
    number = str(created.json()["order_number"])
    paid = api.post(
        f"/orders/{number}/payment",
        json={"method": "transfer", "amount": "35.70"},
        headers=bearer(shop.sales),
    )
    assert paid.status_code == 200, paid.text
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DHL", "tracking": "1234567891"},
        headers=bearer(shop.warehouse),
    )
    assert shipped.status_code == 200 and shipped.json()["stage"] == "closed", shipped.text
    return number


def settled_marketplace_order(api: TestClient, shop: Shop, sku: str, reference: str) -> str:
    """A marketplace order shipped and settled by the marketplace's report (35.70 less 5.36 fees)."""
    body = order_body(shop, shop.market, [{"sku": sku, "qty": "1"}])
    number = str(api.post("/orders", json=body, headers=bearer(shop.sales)).json()["order_number"])
    shipped = api.post(
        f"/orders/{number}/warehouse-events",
        json={"kind": "shipped", "location_id": shop.wh1.id, "carrier": "DPD"},
        headers=bearer(shop.warehouse),
    )
    assert shipped.status_code == 200, shipped.text
    report = {
        "channel": shop.market.code,
        "reference": reference,
        "payout_date": date.today().isoformat(),
        "lines": [{"external_id": body["external_id"], "gross": "35.70", "fees": "5.36"}],
    }
    settled = api.post("/settlements", json=report, headers=bearer(shop.controller))
    assert settled.status_code == 201 and settled.json()["lines"][0]["status"] == "matched", settled.text
    return number
