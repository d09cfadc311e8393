"""Entries posted before open items existed get a document type from the key their service posted with."""

from decimal import Decimal

from rules.open_item_types import legacy_type

D = Decimal


def test_types_from_posting_keys() -> None:
    assert legacy_type("so:WEB-1:ship:1:revenue", "ar", D("59.50")) == "shipment"
    assert legacy_type("so:WEB-1:pay:capture:gl", "ar", D("-59.50")) == "capture"
    assert legacy_type("return:RMA-1:refund:gl", "ar", D("20")) == "refund"
    assert legacy_type("return:RMA-1:credit_note", "ar", D("-20")) == "credit_note"
    assert legacy_type("settlement:4:line:1", "ar", D("-59.50")) == "settlement"
    assert legacy_type("po:PO-1:invoice:3:payment", "ap", D("100")) == "payment"
    assert legacy_type("po:PO-1:invoice:3:gl", "ap", D("-100")) == "invoice"
    assert legacy_type("return:RMA-2:line:1:rtv:out", "ap", D("35")) == "debit_note"


def test_unknown_keys_fall_back_to_side_and_sign() -> None:
    assert legacy_type("MJ-7", "ar", D("10")) == "shipment"
    assert legacy_type("MJ-7", "ar", D("-10")) == "capture"
    assert legacy_type("MJ-8", "ap", D("-10")) == "invoice"
    assert legacy_type("MJ-8", "ap", D("10")) == "payment"
