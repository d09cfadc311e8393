"""Every master-data body bounds every text it accepts, and the demo retailer's own master data passes
the same checks a new company's data must pass (VAT numbers, IBANs, regions, currencies, rates)."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from api.schemas import imports, master
from erp.demo.seed import SUPPLIER_BANKS, SUPPLIERS

BODIES = [
    m
    for mod in (master, imports)
    for m in vars(mod).values()
    if isinstance(m, type)
    and issubclass(m, BaseModel)
    and m.__module__ == mod.__name__
    and not m.__name__.endswith(("Result", "Report"))  # answers, not bodies
]


def _strings(schema: dict[str, Any], defs: dict[str, Any], path: str) -> list[tuple[str, dict[str, Any]]]:
    """Every string-typed (sub)schema under `schema`, with its path."""
    if "$ref" in schema:
        return _strings(defs[schema["$ref"].split("/")[-1]], defs, path)
    out: list[tuple[str, dict[str, Any]]] = []
    options = schema.get("anyOf", [])
    # A Decimal is "a number or a numeric string": its digits and range are bounded, not its length.
    numeric = any(o.get("type") == "number" for o in options)
    for option in options:
        if not (numeric and option.get("type") == "string"):
            out += _strings(option, defs, path)
    if schema.get("type") == "string" and "enum" not in schema and "const" not in schema:
        out.append((path, schema))
    if schema.get("type") == "array":
        out += _strings(schema.get("items", {}), defs, f"{path}[]")
    for name, sub in schema.get("properties", {}).items():
        out += _strings(sub, defs, f"{path}.{name}")
    return out


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b.__name__)
def test_every_text_field_has_a_maximum_length(body: type[BaseModel]) -> None:
    schema = body.model_json_schema()
    strings = _strings(schema, schema.get("$defs", {}), body.__name__)
    unbounded = [p for p, s in strings if "maxLength" not in s and s.get("format") != "date"]
    assert unbounded == []


def test_the_demo_suppliers_pass_the_supplier_checks() -> None:
    for code, name, currency, terms, lead_time in SUPPLIERS:
        vat, iban, bic = SUPPLIER_BANKS.get(code, (None, None, None))
        body: dict[str, Any] = {"code": code, "name": name, "currency": currency, "payment_terms": terms}
        body |= {"lead_time_days": lead_time, "tax_id": vat}
        if iban:
            body |= {"iban": iban, "bic": bic, "account_holder": name}
        supplier = master.SupplierCreate(**body)
        assert supplier.iban == iban and supplier.tax_id == vat


def test_a_rate_from_a_currency_to_itself_and_half_given_bank_details_are_refused_by_name() -> None:
    day = date(2026, 1, 1)
    with pytest.raises(ValidationError) as same:
        master.FxRateCreate(from_currency="EUR", to_currency="EUR", rate_date=day, rate=Decimal(1))
    assert [e["loc"] for e in same.value.errors()] == [("to_currency",)]
    with pytest.raises(ValidationError) as half:
        master.SupplierUpdate(bic="COBADEFFXXX")
    assert [e["loc"] for e in half.value.errors()] == [("iban",)]
    with pytest.raises(ValidationError) as holderless:
        master.SupplierUpdate(iban="DE89370400440532013000")
    assert [e["loc"] for e in holderless.value.errors()] == [("account_holder",)]
    cleared = master.SupplierUpdate(iban=None, bic=None, account_holder=None)
    assert cleared.model_fields_set == {"iban", "bic", "account_holder"}
