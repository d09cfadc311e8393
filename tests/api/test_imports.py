"""Day one of a real retailer: the buyer loads the catalogue and the suppliers from spreadsheets, sales ops
the customers, the controller the opening stock. A file with a bad row writes nothing and says which row
and field failed and why; with mode valid_rows the good rows go in; the same file again changes nothing;
opening stock posts through the stock service so the stock ledger and the GL agree (Dr inventory,
Cr equity)."""

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from stdnum import ean
from typer.testing import CliRunner

from erp.cli import imports as cli_import
from erp.cli.main import app as cli_app
from tests.factories import Factory
from tests.purchasing.buyer_desk import bearer

D = Decimal


def _one(engine: Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as c:
        return c.execute(text(sql), params).scalar_one()


def _import(api: TestClient, token: str, kind: str, **body: Any) -> dict[str, Any]:
    answer = api.post(f"/imports/{kind}", json=body, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def test_a_catalogue_with_a_bad_row_writes_nothing_then_the_good_rows_go_in_once(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    _, buyer = factory.user("buyer", entities=(entity,))
    tag = uuid.uuid4().hex[:6].upper()
    # GTINs are unique across the catalogue, and the shared test database may hold the API's example one.
    twelve = f"{uuid.uuid4().int % 10**12:012d}"
    good_gtin = twelve + ean.calc_check_digit(twelve)
    bad_gtin = twelve + str((int(ean.calc_check_digit(twelve)) + 1) % 10)
    rows = [
        {
            "sku": f"{tag}-1",
            "name": "Tee navy",
            "category": "apparel",
            "list_price": "19.90",
            "gtin": good_gtin,
        },
        {"sku": f"{tag}-2", "name": "Beanie", "category": "apparel", "gtin": bad_gtin},  # check digit
        {"sku": f"{tag}-3", "name": "Scarf", "category": "apparel", "list_price": "0.000001"},  # 6 places
        {"sku": f"{tag}-4", "name": "Socks", "category": "apparel", "pack_size": "6"},
    ]
    refused = _import(api, buyer, "items", rows=rows)
    assert refused["committed"] is False and (refused["created"], refused["refused"]) == (0, 2)
    outcome = {r["key"]: (r["status"], r["field"]) for r in refused["rows"]}
    assert outcome == {
        f"{tag}-1": ("not_written", None),
        f"{tag}-2": ("refused", "gtin"),
        f"{tag}-3": ("refused", "list_price"),
        f"{tag}-4": ("not_written", None),
    }
    assert "check digit" in refused["rows"][1]["reason"]
    assert _one(engine, "SELECT count(*) FROM item WHERE sku LIKE :p", p=f"{tag}-%") == 0

    partial = _import(api, buyer, "items", rows=rows, mode="valid_rows")
    assert partial["committed"] is True and (partial["created"], partial["refused"]) == (2, 2)
    again = _import(api, buyer, "items", rows=rows, mode="valid_rows")
    assert (again["created"], again["unchanged"], again["refused"]) == (0, 2, 2)
    assert _one(engine, "SELECT count(*) FROM item WHERE sku LIKE :p", p=f"{tag}-%") == 2
    assert _one(engine, "SELECT gtin FROM item WHERE sku = :s", s=f"{tag}-1") == good_gtin
    audited = "SELECT count(*) FROM audit_event WHERE action = 'Item.import' AND after->>'sku' LIKE :p"
    assert _one(engine, audited, p=f"{tag}-%") == 2

    # A row whose SKU exists with another price is refused: changes go through PATCH, not an import.
    changed = _import(api, buyer, "items", rows=[{**rows[0], "list_price": "24.90"}])
    assert changed["rows"][0]["status"] == "refused" and changed["rows"][0]["field"] == "list_price"


def test_suppliers_and_customers_from_csv_report_the_failing_line_and_field(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    entity = factory.entity()
    _, buyer = factory.user("buyer", entities=(entity,))
    _, sales = factory.user("sales_ops", entities=(entity,))
    tag = uuid.uuid4().hex[:6].upper()
    suppliers = (
        "code,name,currency,payment_terms,tax_id,iban,bic,account_holder\n"
        f"A{tag},Atelier Lumiere,EUR,NET30,FR40303265045,FR1420041010050500013M02606,,Atelier Lumiere SARL\n"
        f"B{tag},Baltic Wear,EUR,NET45,LT326793814,LT777044000316446180,CBVILT2XXXX,Baltic Wear UAB\n"
        f"C{tag},Bad Bank,EUR,NET30,,DE89370400440532013001,,Bad Bank GmbH\n"
        f"D{tag},No Money,XXX,NET30,,,,\n"
    )
    report = _import(api, buyer, "suppliers", csv=suppliers, mode="valid_rows")
    assert (report["created"], report["refused"]) == (2, 2)
    refused = {r["line"]: r["field"] for r in report["rows"] if r["status"] == "refused"}
    assert refused == {4: "iban", 5: "currency"}
    iban = "SELECT iban FROM supplier WHERE code = :c"
    assert _one(engine, iban, c=f"B{tag}") == "LT777044000316446180"

    customers = f"code,name,currency,tax_region,tax_id\nK{tag},Kaffee Haus,EUR,DE,DE136695976\nL{tag},Lux,EUR,LU,LU123\n"
    _, wrong_role = factory.user("warehouse", entities=(entity,))
    assert (
        api.post("/imports/customers", json={"csv": customers}, headers=bearer(wrong_role)).status_code == 403
    )
    assert api.post("/imports/customers", json={"csv": customers}, headers=bearer(buyer)).status_code == 403
    report = _import(api, sales, "customers", csv=customers)
    assert report["committed"] is False
    assert [(r["line"], r["status"], r["field"]) for r in report["rows"]] == [
        (2, "not_written", None),
        (3, "refused", "tax_id"),
    ]
    bad_header = api.post("/imports/customers", json={"csv": "code,name\n"}, headers=bearer(sales))
    assert bad_header.status_code == 422 and bad_header.json()["detail"][0]["loc"][-1] == "csv"
    # A header row the csv module cannot read (a bare carriage return) is bad input too, not a server error.
    broken = api.post("/imports/customers", json={"csv": "code\rname,tax_id\nC1,X\n"}, headers=bearer(sales))
    assert broken.status_code == 422 and broken.json()["detail"][0]["loc"][-1] == "csv", broken.text


def test_opening_stock_posts_once_through_the_stock_ledger_and_the_books_agree(
    api: TestClient, engine: Engine, factory: Factory
) -> None:
    entity, other = factory.entity(), factory.entity()
    wh, elsewhere = factory.location(entity), factory.location(other)
    tee, lotted = factory.item(), factory.item(tracking="lot", method="fifo")
    _, controller = factory.user("controller", entities=(entity,))
    _, buyer = factory.user("buyer", entities=(entity,))
    rows = [
        {"sku": tee.sku, "location_code": wh.code, "qty": "40", "unit_cost": "7.25"},
        {"sku": lotted.sku, "location_code": wh.code, "qty": "12", "unit_cost": "3.10", "lot": "L2026-01"},
    ]
    assert api.post("/imports/opening-stock", json={"rows": rows}, headers=bearer(buyer)).status_code == 403
    report = _import(api, controller, "opening-stock", rows=rows)
    assert report["committed"] is True and report["created"] == 2, report

    on_hand = "SELECT COALESCE(sum(qty), 0) FROM stock_move WHERE item_id = :i AND location_id = :l"
    assert _one(engine, on_hand, i=tee.id, l=wh.id) == D(40)
    books = """
        SELECT COALESCE(sum(jl.amount_func), 0) FROM journal_line jl JOIN account a ON a.id = jl.account_id
         WHERE jl.entity_id = :e AND a.role = :role"""
    stock_value = "SELECT COALESCE(sum(value), 0) FROM stock_move WHERE entity_id = :e"
    assert (
        _one(engine, books, e=entity.id, role="inventory")
        == D("327.20")
        == _one(engine, stock_value, e=entity.id)
    )
    assert _one(engine, books, e=entity.id, role="equity") == D("-327.20")

    # The same file again posts nothing; another quantity for the same key, a missing lot, or another
    # entity's location is refused by row.
    again = _import(api, controller, "opening-stock", rows=rows)
    assert (again["created"], again["unchanged"]) == (0, 2)
    bad = [
        {**rows[0], "qty": "41"},
        {**rows[1], "lot": None},
        {"sku": tee.sku, "location_code": elsewhere.code, "qty": "1", "unit_cost": "7.25"},
        {"sku": "NO-SUCH-SKU", "location_code": wh.code, "qty": "1", "unit_cost": "1"},
        {"sku": tee.sku, "location_code": wh.code, "qty": "0", "unit_cost": "1"},
    ]
    report = _import(api, controller, "opening-stock", rows=bad, mode="valid_rows")
    assert [r["field"] for r in report["rows"]] == ["qty", "lot", "location_code", "sku", "qty"]
    assert _one(engine, on_hand, i=tee.id, l=wh.id) == D(40)
    assert _one(engine, books, e=entity.id, role="inventory") == D("327.20")


def test_erp_import_sends_a_csv_file_and_prints_the_refused_lines(
    engine: Engine, factory: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.main import create_app

    entity = factory.entity()
    _, buyer = factory.user("buyer", entities=(entity,))
    tag = uuid.uuid4().hex[:6].upper()
    file = tmp_path / "items.csv"
    file.write_text(f"sku,name,category,gtin\n{tag}-1,Tee,apparel,96385074\n{tag}-2,Cap,apparel,96385075\n")
    monkeypatch.setattr(cli_import, "_client", lambda: TestClient(create_app(), headers=bearer(buyer)))

    refused = CliRunner().invoke(cli_app, ["import", "items", str(file)])
    assert refused.exit_code == 1, refused.output
    assert f"line 3 ({tag}-2): gtin: the GTIN check digit is wrong" in refused.output
    assert "0 created, 0 unchanged, 1 refused; nothing written" in refused.output
    partial = CliRunner().invoke(cli_app, ["import", "items", str(file), "--valid-rows"])
    assert "1 created, 0 unchanged, 1 refused; written" in partial.output
    assert _one(engine, "SELECT count(*) FROM item WHERE sku LIKE :p", p=f"{tag}-%") == 1
