"""A new company keys in its master data by hand: the currency "XXX", a EUR->EUR rate, a 10,000-character
name, a price with 30 decimals, a barcode with a wrong check digit, a supplier IBAN with a typo, a VAT
number that is too short and a 5,000-line PO are each refused with a 422 naming the field, and nothing
is stored. A supplier's bank account (IBAN, BIC, holder) is kept in its electronic form for payment runs,
and changes only as a whole."""

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from temporalio.testing import WorkflowEnvironment

from tests.api.loc import field_path
from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer, open_desk, po_body

THIRTY_DECIMALS = "1." + "0" * 29 + "1"


def _refused(answer: Any, field: str) -> None:
    assert answer.status_code == 422, (field, answer.status_code, answer.text)
    named = [field_path(e["loc"]) for e in answer.json()["detail"]]
    assert field in named, (field, named)


def _count(engine: Engine, sql: str, **params: Any) -> int:
    with engine.connect() as c:
        return int(c.execute(text(sql), params).scalar_one())


def test_nonsense_master_data_is_refused_by_field_and_nothing_is_stored(
    api: TestClient, temporal_dev: WorkflowEnvironment, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    _, token = factory.user("admin", entities=(entity,))
    h = bearer(token)
    tag = uuid.uuid4().hex[:8].upper()
    supplier = {"code": f"SUP{tag}", "name": "Linofil Textiles", "currency": "EUR"}
    for change, field in [
        ({"currency": "XXX"}, "currency"),  # ISO 4217 "no currency"
        ({"currency": "ZZZ"}, "currency"),
        ({"currency": "XTS"}, "currency"),  # the test code
        ({"name": "N" * 10_000}, "name"),
        ({"tax_id": "DE123"}, "tax_id"),
        ({"tax_id": "TAX-LINOFIL"}, "tax_id"),
        ({"iban": "DE89370400440532013001", "account_holder": "Linofil"}, "iban"),  # one digit wrong
        ({"iban": "DE89370400440532013000"}, "account_holder"),  # whose account?
        ({"bic": "COBADEFFXXX"}, "iban"),
        ({"iban": "DE89370400440532013000", "account_holder": "L", "bic": "COBA1EFF"}, "bic"),
        ({"account_holder": "H" * 71, "iban": "DE89370400440532013000"}, "account_holder"),
    ]:
        _refused(api.post("/suppliers", json={**supplier, **change}, headers=h), field)
    assert _count(engine, "SELECT count(*) FROM supplier WHERE code = :c", c=f"SUP{tag}") == 0

    item = {"sku": f"SKU{tag}", "name": "Merino crew neck", "category": "apparel"}
    for change, field in [
        ({"list_price": THIRTY_DECIMALS}, "list_price"),  # never rounded to 1.0000
        ({"list_price": "0." + "0" * 29 + "1"}, "list_price"),  # never rounded to zero
        ({"gtin": "4006381333932"}, "gtin"),  # check digit
        ({"gtin": "40063813339"}, "gtin"),  # 11 digits
        ({"name": "N" * 10_000}, "name"),
        ({"unit": "u" * 21}, "unit"),
    ]:
        _refused(api.post("/items", json={**item, **change}, headers=h), field)
    assert _count(engine, "SELECT count(*) FROM item WHERE sku = :s", s=f"SKU{tag}") == 0

    customer = {"code": f"CUST{tag}", "name": "Jana Keller", "currency": "EUR"}
    _refused(api.post("/customers", json={**customer, "tax_region": "EU"}, headers=h), "tax_region")
    _refused(api.post("/customers", json={**customer, "tax_id": "FR123"}, headers=h), "tax_id")
    _refused(api.post("/customers", json={**customer, "currency": "XAU"}, headers=h), "currency")
    assert _count(engine, "SELECT count(*) FROM customer WHERE code = :c", c=f"CUST{tag}") == 0

    # Other scenarios store EUR rates in the same database: count the pairs tried here, before and after.
    rates_before = _count(
        engine, "SELECT count(*) FROM fx_rate WHERE from_currency = 'EUR' AND to_currency IN ('EUR', 'CHF')"
    )
    rate = {"from_currency": "EUR", "to_currency": "EUR", "rate_date": "2026-01-01", "rate": "1"}
    _refused(api.post("/fx-rates", json=rate, headers=h), "to_currency")
    for change, field in [
        ({"rate": "0"}, "rate"),
        ({"rate": "-0.9"}, "rate"),
        ({"rate": THIRTY_DECIMALS}, "rate"),
    ]:
        _refused(api.post("/fx-rates", json={**rate, "to_currency": "CHF", **change}, headers=h), field)
    tax = {"region": "ZZ", "tax_class": "standard", "rate": "0.19", "valid_from": "2026-01-01"}
    _refused(api.post("/tax-rates", json=tax, headers=h), "region")
    assert (
        _count(
            engine,
            "SELECT count(*) FROM fx_rate WHERE from_currency = 'EUR' AND to_currency IN ('EUR', 'CHF')",
        )
        == rates_before
    )
    assert _count(engine, "SELECT count(*) FROM tax_rate WHERE region = 'ZZ'") == 0

    desk = open_desk(factory)
    line = {"item_id": desk.item.id, "location_id": desk.warehouse.id, "qty": "1"}
    huge = {**po_body(desk), "lines": [line] * 5_000}
    _refused(api.post("/purchase-orders", json=huge, headers=bearer(desk.token("buyer"))), "lines")
    assert _count(engine, "SELECT count(*) FROM purchase_order WHERE entity_id = :e", e=desk.entity.id) == 0


def test_a_supplier_bank_account_is_stored_compact_and_changes_only_as_a_whole(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    _, token = factory.user("buyer", entities=(entity,))
    h = bearer(token)
    code = f"SUP{uuid.uuid4().hex[:8].upper()}"
    created = api.post(
        "/suppliers",
        json={
            "code": code,
            "name": "Hamburg Kaffee GmbH",
            "currency": "EUR",
            "tax_id": "de 136 695 976",
            "iban": "de89 3704 0044 0532 0130 00",
            "bic": "cobadeffxxx",
            "account_holder": "Hamburg Kaffee GmbH",
        },
        headers=h,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["iban"], body["bic"], body["tax_id"]) == (
        "DE89370400440532013000",
        "COBADEFFXXX",
        "DE136695976",
    )
    sid = body["id"]
    # Shown in full to the people who keep suppliers: a payment run and the supplier's invoices need it.
    listed = [s for s in api.get("/suppliers?limit=1000", headers=h).json() if s["code"] == code]
    assert listed and listed[0]["iban"] == "DE89370400440532013000"

    # Only the holder, or only the BIC: refused (a half-changed account is how payments get diverted).
    _refused(api.patch(f"/suppliers/{sid}", json={"account_holder": "Someone Else"}, headers=h), "iban")
    _refused(api.patch(f"/suppliers/{sid}", json={"bic": "DEUTDEFFXXX"}, headers=h), "iban")
    new = {"iban": "GB82 WEST 1234 5698 7654 32", "bic": None, "account_holder": "Hamburg Kaffee Ltd"}
    changed = api.patch(f"/suppliers/{sid}", json=new, headers=h)
    assert changed.status_code == 200, changed.text
    assert (changed.json()["iban"], changed.json()["bic"]) == ("GB82WEST12345698765432", None)
    cleared = api.patch(
        f"/suppliers/{sid}", json={"iban": None, "bic": None, "account_holder": None}, headers=h
    )
    assert cleared.status_code == 200 and cleared.json()["iban"] is None
    audited = _count(
        engine,
        "SELECT count(*) FROM audit_event WHERE subject_type = 'Supplier' AND subject_id = :i",
        i=str(sid),
    )
    assert audited == 3  # created, changed, cleared
