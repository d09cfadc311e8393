"""Month end at a retailer that pays suppliers by payment run. Two POs are received and invoiced: shirts from
a EUR supplier (101.00 EUR) and cables from a USD supplier (123.50 USD, booked at 0.90 = 111.15 EUR). Neither
PO pays by itself: the AP clerk proposes tomorrow's run, may not approve it, and a controller approves it
(a second approval changes nothing). The run pays both AP -> bank in transit, the USD one at tomorrow's
0.95 (123.50 x 0.95 = 117.325 -> 117.33 EUR: a realised loss of 6.18), tells both POs (which close), and
writes one pain.001 per currency, valid against the ISO 20022 XSD. The bank's camt.053 statement confirms
both payments (bank in transit back to zero), books 2.50 charges and 0.40 interest by rule, and opens a
task for one unknown line (the controller books it as a charge); imported again it changes nothing. A run
the controller rejects pays nothing and leaves its invoices to the next run."""

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sepaxml  # type: ignore[import-untyped]
import xmlschema
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from api import workflow_calls
from tests.factories import Factory
from tests.histories import save, should_record
from tests.payments.bank import HOUSE_BANK, received_and_invoiced, supplier_bank
from tests.purchasing.buyer_desk import (
    bearer,
    decide,
    eventually,
    open_desk,
    wait_stage,
)

D = Decimal
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"
HISTORIES = Path(__file__).parent / "histories"


def _balances(engine: Engine, entity_id: int) -> dict[str, Decimal]:
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


def _camt053(ref: str, lines: list[tuple[str, str, str, str | None, str]]) -> str:
    """A camt.053.001.02 statement: (amount, currency, CRDT/DBIT, end-to-end id, sub-family code) per entry."""
    entries = "".join(
        f'<Ntry><Amt Ccy="{ccy}">{amount}</Amt><CdtDbtInd>{sign}</CdtDbtInd><Sts>BOOK</Sts>'
        f"<BookgDt><Dt>{date.today().isoformat()}</Dt></BookgDt>"
        f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd><SubFmlyCd>{code}</SubFmlyCd></Fmly></Domn></BkTxCd>"
        + (
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{e2e}</EndToEndId></Refs></TxDtls></NtryDtls>"
            if e2e
            else ""
        )
        + "<AddtlNtryInf>statement line</AddtlNtryInf></Ntry>"
        for amount, ccy, sign, e2e, code in lines
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{ref}</MsgId><CreDtTm>{date.today().isoformat()}T18:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{ref}</Id><CreDtTm>{date.today().isoformat()}T18:00:00</CreDtTm>"
        f"<Acct><Id><IBAN>{HOUSE_BANK['iban']}</IBAN></Id></Acct>{entries}</Stmt></BkToCstmrStmt></Document>"
    )


async def test_a_payment_run_pays_eur_and_usd_suppliers_and_the_statement_clears_it(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    today = date.today()
    run_date = today + timedelta(days=1)
    with engine.begin() as c:
        for day, rate in ((today, "0.9000"), (run_date, "0.9500")):
            c.execute(
                text(
                    "INSERT INTO fx_rate (from_currency, to_currency, rate_date, rate) VALUES ('USD', 'EUR', :d, :r)"
                    " ON CONFLICT DO NOTHING"
                ),
                {"d": day, "r": rate},
            )
    desk = open_desk(factory, price="10.10")
    assert desk.entity.id and desk.item.id
    entity = desk.entity.id
    controller = bearer(desk.token("controller"))
    clerk = bearer(desk.token("clerk"))
    usd = factory.supplier(currency="USD", payment_terms="IMMEDIATE", lead_time_days=7)
    factory.supplier_price(usd, desk.item, D("12.35"))
    supplier_bank(engine, desk.supplier, "FR1420041010050500013M02606", None)
    supplier_bank(engine, usd, "GB29NWBK60161331926819", "NWBKGB2L")

    refused = api.put(
        f"/payment-settings/{entity}", json={**HOUSE_BANK, "uses_payment_runs": True}, headers=clerk
    )
    assert refused.status_code == 403
    bad = api.put(
        f"/payment-settings/{entity}",
        json={**HOUSE_BANK, "iban": "DE02120300000000202052", "uses_payment_runs": True},
        headers=controller,
    )
    assert bad.status_code == 422 and "iban" in bad.text
    setting = api.put(
        f"/payment-settings/{entity}", json={**HOUSE_BANK, "uses_payment_runs": True}, headers=controller
    )
    assert setting.status_code == 200, setting.text

    eur_po = received_and_invoiced(api, engine, desk, desk.supplier, "EUR", "10.10")
    usd_po = received_and_invoiced(api, engine, desk, usd, "USD", "12.35")
    for number in (eur_po, usd_po):
        wait_stage(engine, number, "awaiting_payment")
    before = _balances(engine, entity)
    assert "bank" not in before and before["ap"] == D("-212.15")  # 101.00 + 123.50 x 0.90: nobody paid yet

    proposer = factory.user("controller", entities=(desk.entity,))
    proposes = bearer(proposer[1])
    body = {"entity_id": entity, "run_date": run_date.isoformat()}
    started = api.post("/payment-runs", json=body, headers=proposes)
    assert started.status_code == 201, started.text
    run = started.json()
    assert run["stage"] == "approval" and run["proposed"] == 2
    assert run["workflow_id"] == f"PaymentRun-{desk.entity.code}-{run_date.isoformat()}"
    again = api.post("/payment-runs", json=body, headers=proposes)
    assert again.status_code == 200 and again.json()["run_id"] == run["run_id"]  # one run per entity and date
    empty = api.post(
        "/payment-runs", json={"entity_id": entity, "run_date": today.isoformat()}, headers=clerk
    )
    assert empty.status_code == 201 and empty.json()["stage"] == "empty"  # tomorrow's run holds both invoices

    task = eventually(lambda: _open_task(engine, run["workflow_id"]), "payment run approval task")
    assert decide(api, desk.token("clerk"), task, "approve").status_code == 403  # not a controller
    own = decide(api, proposer[1], task, "approve")
    assert own.status_code == 403 and "proposed this payment run" in own.text  # segregation of duties

    approved = decide(api, desk.token("controller"), task, "approve")
    assert approved.status_code == 200, approved.text
    twice = decide(api, desk.token("controller"), task, "approve")
    assert twice.status_code == 409  # a duplicate approval changes nothing
    paid = eventually(lambda: _paid(api, controller, run["run_id"]), "the run paid")
    assert sorted((i["currency"], D(i["amount"]), D(i["realised_fx"])) for i in paid["items"]) == [
        ("EUR", D("101.00"), D(0)),
        ("USD", D("123.50"), D("-6.18")),
    ]
    assert paid["approved_by"] == desk.name("controller")
    for number in (eur_po, usd_po):
        wait_stage(engine, number, "closed")
    after = _balances(engine, entity)
    assert "ap" not in after and "bank" not in after
    assert after["bank_in_transit"] == D("-218.33")  # 101.00 + 117.33
    assert after["fx_gain_loss"] == D("6.18")  # a loss: paid 117.33 for what was booked at 111.15

    schema = xmlschema.XMLSchema(XSD)
    for currency, amount in (("EUR", "101.00"), ("USD", "123.50")):
        file = api.get(f"/payment-runs/{run['run_id']}/files/{currency}", headers=controller)
        assert file.status_code == 200, file.text
        schema.validate(file.json()["xml"])
        assert f'<InstdAmt Ccy="{currency}">{amount}</InstdAmt>' in file.json()["xml"]
    assert api.get(f"/payment-runs/{run['run_id']}/files/GBP", headers=controller).status_code == 404
    e2e = {i["currency"]: i["end_to_end_id"] for i in paid["items"]}

    content = _camt053(
        f"ST-{run['run_id']}",
        [
            ("101.00", "EUR", "DBIT", e2e["EUR"], "ESCT"),
            ("123.50", "USD", "DBIT", e2e["USD"], "XBCT"),
            ("2.50", "EUR", "DBIT", None, "CHRG"),
            ("0.40", "EUR", "CRDT", None, "INTR"),
            ("3.10", "EUR", "DBIT", "SOMETHING-ELSE", "OTHR"),
        ],
    )
    imported = api.post(
        "/bank-statements",
        json={"entity_id": entity, "format": "camt053", "content": content},
        headers={**controller, "Idempotency-Key": f"stmt-{run['run_id']}"},
    )
    assert imported.status_code == 201, imported.text
    assert [(ln["kind"], ln["status"]) for ln in imported.json()["lines"]] == [
        ("payment", "matched"),
        ("payment", "matched"),
        ("charge", "posted"),
        ("interest", "posted"),
        ("payment", "unmatched"),
    ]
    cleared = _balances(engine, entity)
    assert "bank_in_transit" not in cleared  # both payments confirmed: in transit back to zero
    assert cleared["bank"] == D("-220.43")  # -101.00 - 117.33 - 2.50 + 0.40
    assert cleared["bank_charges"] == D("2.50") and cleared["interest_income"] == D("-0.40")
    # The run's payments (and the realised FX) settled the invoices' open items: AP agrees with its control.
    recon = api.get(f"/open-items/reconciliation?entity_id={entity}", headers=controller).json()
    ap = next(s for s in recon["sides"] if s["side"] == "ap")
    assert D(str(ap["difference"])) == 0 and not ap["unrecorded"], ap

    # The unknown line waits for the controller, who finds it is the bank's card fee and books it as a charge.
    line_task = eventually(
        lambda: _open_task(
            engine, f"BankStatement-{desk.entity.code}-ST-{run['run_id']}", "bank_line_unmatched"
        ),
        "unmatched statement line task",
    )
    assert decide(api, desk.token("clerk"), line_task, "charge").status_code == 403
    booked = decide(api, desk.token("controller"), line_task, "charge")
    assert booked.status_code == 200, booked.text
    statement_id = imported.json()["id"]
    line = api.get(f"/bank-statements/{statement_id}", headers=controller).json()["lines"][4]
    assert (line["kind"], line["status"]) == ("charge", "posted")
    cleared = _balances(engine, entity)
    assert cleared["bank"] == D("-223.53") and cleared["bank_charges"] == D("5.60")

    duplicate = api.post(
        "/bank-statements",
        json={"entity_id": entity, "format": "camt053", "content": content},
        headers=controller,
    )
    assert duplicate.status_code == 200 and duplicate.json()["duplicate"] is True
    assert duplicate.json()["id"] == imported.json()["id"]
    assert _balances(engine, entity) == cleared

    stranger = open_desk(factory)
    assert (
        api.get(f"/payment-runs/{run['run_id']}", headers=bearer(stranger.token("controller"))).status_code
        == 404
    )
    assert (
        api.get(f"/bank-statements/{statement_id}", headers=bearer(stranger.token("controller"))).status_code
        == 404
    )

    client = temporal_dev.client
    recorded = (
        ("payment_run_paid", run["workflow_id"]),
        ("purchase_order_paid_by_run", f"PO-{usd_po}"),
        ("bank_statement_line_booked", f"BankStatement-{desk.entity.code}-ST-{run['run_id']}"),
    )
    for name, workflow_id in recorded:
        path = HISTORIES / f"{name}.json"
        if should_record(path):
            handle = client.get_workflow_handle(workflow_id)
            await handle.result()
            save(await handle.fetch_history(), path)


def _open_task(engine: Engine, workflow_id: str, kind: str = "payment_run_approval") -> int | None:
    with engine.connect() as c:
        found = c.execute(
            text("SELECT id FROM task WHERE workflow_id = :w AND kind = :k AND status = 'open'"),
            {"w": workflow_id, "k": kind},
        ).scalar()
    return None if found is None else int(found)


def _paid(api: TestClient, headers: dict[str, str], run_id: int) -> dict[str, Any] | None:
    found = api.get(f"/payment-runs/{run_id}", headers=headers)
    assert found.status_code == 200, found.text
    body: dict[str, Any] = found.json()
    return body if body["status"] == "paid" else None


async def test_a_rejected_run_pays_nothing_and_the_next_run_takes_the_invoice(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory, price="10.10")
    assert desk.entity.id
    entity = desk.entity.id
    supplier_bank(engine, desk.supplier, "FR1420041010050500013M02606", None)
    controller = bearer(desk.token("controller"))
    setting = api.put(
        f"/payment-settings/{entity}", json={**HOUSE_BANK, "uses_payment_runs": True}, headers=controller
    )
    assert setting.status_code == 200, setting.text
    number = received_and_invoiced(api, engine, desk, desk.supplier, "EUR", "10.10")
    wait_stage(engine, number, "awaiting_payment")
    today = date.today()
    started = api.post(
        "/payment-runs",
        json={"entity_id": entity, "run_date": today.isoformat()},
        headers=bearer(desk.token("clerk")),
    )
    assert started.status_code == 201 and started.json()["proposed"] == 1, started.text
    task = eventually(lambda: _open_task(engine, started.json()["workflow_id"]), "approval task")
    rejected = decide(api, desk.token("controller"), task, "reject", comment="bank details to be confirmed")
    assert rejected.status_code == 200, rejected.text
    handle = temporal_dev.client.get_workflow_handle(started.json()["workflow_id"])
    assert await handle.result() == "rejected"
    run = api.get(f"/payment-runs/{started.json()['run_id']}", headers=controller).json()
    assert (run["status"], run["items"]) == ("rejected", [])
    assert "bank_in_transit" not in _balances(engine, entity) and "bank" not in _balances(engine, entity)
    path = HISTORIES / "payment_run_rejected.json"
    if should_record(path):
        save(await handle.fetch_history(), path)

    same_day = api.post(
        "/payment-runs",
        json={"entity_id": entity, "run_date": today.isoformat()},
        headers=bearer(desk.token("clerk")),
    )
    assert (
        same_day.status_code == 200 and same_day.json()["stage"] == "rejected"
    )  # one run per entity and date
    tomorrow = api.post(
        "/payment-runs",
        json={"entity_id": entity, "run_date": (today + timedelta(days=1)).isoformat()},
        headers=bearer(desk.token("clerk")),
    )
    assert tomorrow.status_code == 201 and tomorrow.json()["proposed"] == 1  # released for the next run


def test_an_mt940_statement_books_charges_once(
    temporal_dev: WorkflowEnvironment, erp_worker: Worker, api: TestClient, engine: Engine, factory: Factory
) -> None:
    desk = open_desk(factory)
    assert desk.entity.id
    controller = {**bearer(desk.token("controller")), "Idempotency-Key": f"mt940-{desk.entity.code}"}
    day = date.today().strftime("%y%m%d")
    content = (
        f":20:MT-{desk.entity.code}\n:25:{HOUSE_BANK['iban']}\n:28C:1/1\n:60F:C{day}EUR1000,00\n"
        f":61:{day}{day[2:]}D4,20NCHGNONREF\n:86:Account fees\n"
        f":61:{day}{day[2:]}C1,05NINTNONREF\n:86:Interest\n:62F:C{day}EUR996,85\n-\n"
    )
    body = {"entity_id": desk.entity.id, "format": "mt940", "content": content}
    first = api.post("/bank-statements", json=body, headers=controller)
    assert first.status_code == 201, first.text
    assert [(ln["kind"], ln["status"], D(ln["amount"])) for ln in first.json()["lines"]] == [
        ("charge", "posted", D("-4.20")),
        ("interest", "posted", D("1.05")),
    ]
    books = _balances(engine, desk.entity.id)
    assert books == {"bank": D("-3.15"), "bank_charges": D("4.20"), "interest_income": D("-1.05")}
    again = api.post("/bank-statements", json=body, headers=controller)
    assert again.status_code == 201 and again.json() == first.json()  # the Idempotency-Key replays
    fresh_key = {**controller, "Idempotency-Key": f"mt940-{desk.entity.code}-again"}
    repeat = api.post("/bank-statements", json=body, headers=fresh_key)
    assert repeat.status_code == 200 and repeat.json()["duplicate"] is True
    assert _balances(engine, desk.entity.id) == books
    garbage = api.post(
        "/bank-statements", json={**body, "content": "hello"}, headers=bearer(desk.token("controller"))
    )
    assert garbage.status_code == 422 and "content" in garbage.text


def test_a_statement_that_ends_before_its_first_answer_is_read_still_answers_201(
    temporal_dev: WorkflowEnvironment,
    erp_worker: Worker,
    api: TestClient,
    engine: Engine,
    factory: Factory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A statement of charges and interest only posts by rule and ends at once. When the API reads its
    first answer only after that (a busy API process; CI saw it), the answer is still 201 with the lines,
    not 409 "the workflow has ended"."""
    real_read = workflow_calls.read_update

    async def read_late(handle: Any, update: Any, **kw: Any) -> Any:
        await handle.result()  # the import has ended before the API asks for its first answer
        return await real_read(handle, update, **kw)

    monkeypatch.setattr(workflow_calls, "read_update", read_late)
    desk = open_desk(factory)
    assert desk.entity.id
    day = date.today().strftime("%y%m%d")
    content = (
        f":20:LATE-{desk.entity.code}\n:25:{HOUSE_BANK['iban']}\n:28C:1/1\n:60F:C{day}EUR1000,00\n"
        f":61:{day}{day[2:]}D4,20NCHGNONREF\n:86:Account fees\n:62F:C{day}EUR995,80\n-\n"
    )
    body = {"entity_id": desk.entity.id, "format": "mt940", "content": content}
    first = api.post("/bank-statements", json=body, headers=bearer(desk.token("controller")))
    assert first.status_code == 201, first.text
    assert first.json()["duplicate"] is False
    assert [(ln["kind"], ln["status"], D(ln["amount"])) for ln in first.json()["lines"]] == [
        ("charge", "posted", D("-4.20"))
    ]
    assert _balances(engine, desk.entity.id) == {"bank": D("-4.20"), "bank_charges": D("4.20")}  # posted once
