"""The bank file of a supplier payment run, checked the way the bank's validator checks it: valid against
the ISO 20022 pain.001.001.03 XSD (the one sepaxml ships), each element in its sequence and cardinality,
counts and sums that agree, and account numbers with valid check digits."""

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml  # type: ignore[import-untyped]
import xmlschema

from ports.bank_file import PAIN_001_NS, BankAccount, BankFilePort, CreditTransfer, Pain001Writer, PaymentRun
from rules.errors import RuleViolation
from rules.identifiers import is_valid_iban

NS = {"p": PAIN_001_NS}
D = Decimal
# The XSD sequences of pain.001.001.03 for the elements we write: (element, min, max), in schema order.
SEQUENCES: dict[str, list[tuple[str, int, int]]] = {
    "Document": [("CstmrCdtTrfInitn", 1, 1)],
    "CstmrCdtTrfInitn": [("GrpHdr", 1, 1), ("PmtInf", 1, 10**6)],
    "GrpHdr": [("MsgId", 1, 1), ("CreDtTm", 1, 1), ("Authstn", 0, 2), ("NbOfTxs", 1, 1), ("CtrlSum", 0, 1),
               ("InitgPty", 1, 1), ("FwdgAgt", 0, 1)],
    "PmtInf": [("PmtInfId", 1, 1), ("PmtMtd", 1, 1), ("BtchBookg", 0, 1), ("NbOfTxs", 0, 1), ("CtrlSum", 0, 1),
               ("PmtTpInf", 0, 1), ("ReqdExctnDt", 1, 1), ("PoolgAdjstmntDt", 0, 1), ("Dbtr", 1, 1),
               ("DbtrAcct", 1, 1), ("DbtrAgt", 1, 1), ("DbtrAgtAcct", 0, 1), ("UltmtDbtr", 0, 1), ("ChrgBr", 0, 1),
               ("ChrgsAcct", 0, 1), ("ChrgsAcctAgt", 0, 1), ("CdtTrfTxInf", 1, 10**6)],
    "CdtTrfTxInf": [("PmtId", 1, 1), ("PmtTpInf", 0, 1), ("Amt", 1, 1), ("XchgRateInf", 0, 1), ("ChrgBr", 0, 1),
                    ("ChqInstr", 0, 1), ("UltmtDbtr", 0, 1), ("IntrmyAgt1", 0, 1), ("CdtrAgt", 0, 1),
                    ("CdtrAgtAcct", 0, 1), ("Cdtr", 0, 1), ("CdtrAcct", 0, 1), ("UltmtCdtr", 0, 1), ("Purp", 0, 1),
                    ("RmtInf", 0, 1)],
    "PmtId": [("InstrId", 0, 1), ("EndToEndId", 1, 1)],
    "Amt": [("InstdAmt", 1, 1)],
    "RmtInf": [("Ustrd", 0, 10**6)],
}  # fmt: skip
AMOUNT = re.compile(r"^\d{1,18}\.\d{2}$")
BIC = re.compile(r"^[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?$")


XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.03.xsd"


def _run(*amounts: str) -> PaymentRun:
    creditors = [
        BankAccount("Nordic Textiles AB", "SE45 5000 0000 0583 9825 7466", "ESSESESS"),
        BankAccount("Atelier Lumière SARL", "FR1420041010050500013M02606"),
        BankAccount("Hamburg Kaffee GmbH", "DE89370400440532013000", "COBADEFFXXX"),
    ]
    return PaymentRun(
        message_id="PAYRUN-2026-10-31-01",
        created_at=datetime(2026, 10, 31, 9, 15, 42, 123456, tzinfo=UTC),
        initiating_party="Nordwind Retail GmbH",
        debtor=BankAccount("Nordwind Retail GmbH", "DE02120300000000202051", "BYLADEM1001"),
        execution_date=date(2026, 11, 2),
        currency="EUR",
        payments=tuple(
            CreditTransfer(f"PAY-{i}", D(a), creditors[i % 3], f"Invoice INV-{i} / PO-{100 + i}")
            for i, a in enumerate(amounts)
        ),
    )


def _local(el: ET.Element) -> str:
    return el.tag.split("}", 1)[1]


def _check_sequence(el: ET.Element) -> None:
    """Children in schema order, each within its cardinality (recursively for the known types)."""
    expected = SEQUENCES.get(_local(el))
    if expected is None:
        return
    names = [_local(c) for c in el]
    position = 0
    for name, low, high in expected:
        count = 0
        while position < len(names) and names[position] == name:
            position, count = position + 1, count + 1
        assert low <= count <= high, f"{_local(el)}: {name} occurs {count} times"
    assert position == len(names), f"{_local(el)}: unexpected or misplaced {names[position:]}"
    for child in el:
        _check_sequence(child)


def _text(el: ET.Element, path: str) -> str:
    found = el.find(path, NS)
    assert found is not None and found.text is not None, path
    return found.text


def test_a_payment_run_file_has_the_pain_001_structure_and_consistent_totals() -> None:
    writer: BankFilePort = Pain001Writer()
    xml = writer.payment_file(_run("1250.00", "89.9", "0.01"))
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    xmlschema.XMLSchema(XSD).validate(xml.decode())
    root = ET.fromstring(xml)
    assert root.tag == f"{{{PAIN_001_NS}}}Document"
    _check_sequence(root)

    header = root.find("p:CstmrCdtTrfInitn/p:GrpHdr", NS)
    info = root.find("p:CstmrCdtTrfInitn/p:PmtInf", NS)
    assert header is not None and info is not None
    assert _text(header, "p:MsgId") == "PAYRUN-2026-10-31-01"
    assert _text(header, "p:CreDtTm") == "2026-10-31T09:15:42"
    assert _text(header, "p:InitgPty/p:Nm") == "Nordwind Retail GmbH"
    assert _text(info, "p:PmtMtd") == "TRF"
    assert _text(info, "p:ReqdExctnDt") == "2026-11-02"
    assert _text(info, "p:PmtTpInf/p:SvcLvl/p:Cd") == "SEPA"
    assert BIC.match(_text(info, "p:DbtrAgt/p:FinInstnId/p:BIC"))

    transfers = info.findall("p:CdtTrfTxInf", NS)
    amounts = [tx.find("p:Amt/p:InstdAmt", NS) for tx in transfers]
    assert all(a is not None and a.get("Ccy") == "EUR" and AMOUNT.match(a.text or "") for a in amounts)
    total = sum((D(a.text or "0") for a in amounts if a is not None), D(0))
    assert [a.text for a in amounts if a is not None] == ["1250.00", "89.90", "0.01"]
    for scope in (header, info):  # the bank rejects a file whose counts or sums disagree
        assert int(_text(scope, "p:NbOfTxs")) == len(transfers) == 3
        assert D(_text(scope, "p:CtrlSum")) == total == D("1339.91")
    assert [_text(tx, "p:PmtId/p:EndToEndId") for tx in transfers] == ["PAY-0", "PAY-1", "PAY-2"]
    ibans = [_text(info, "p:DbtrAcct/p:Id/p:IBAN")] + [
        _text(tx, "p:CdtrAcct/p:Id/p:IBAN") for tx in transfers
    ]
    assert all(is_valid_iban(i) and " " not in i for i in ibans)
    assert _text(transfers[1], "p:Cdtr/p:Nm") == "Atelier Lumiere SARL"  # SEPA character set
    assert transfers[1].find("p:CdtrAgt", NS) is None  # IBAN-only within SEPA
    assert _text(transfers[0], "p:RmtInf/p:Ustrd") == "Invoice INV-0 / PO-100"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"debtor": BankAccount("Nordwind", "DE02120300000000202052", "BYLADEM1001")}, "debtor.iban"),
        ({"debtor": BankAccount("Nordwind", "DE02120300000000202051", None)}, "debtor.bic"),
        ({"message_id": "M" * 36}, "message_id"),
        ({"payments": ()}, "payments"),
    ],
)
def test_a_run_the_bank_would_reject_is_refused_before_writing(change: dict[str, object], field: str) -> None:
    run = _run("10.00")
    with pytest.raises(RuleViolation) as refused:
        Pain001Writer().payment_file(replace(run, **change))  # type: ignore[arg-type]
    assert refused.value.field == field


def test_amounts_need_two_decimals_at_most_and_end_to_end_ids_are_unique() -> None:
    with pytest.raises(RuleViolation) as fraction:
        Pain001Writer().payment_file(_run("10.005"))
    assert fraction.value.field == "payments.0.amount"
    run = _run("1.00", "2.00")
    twice = replace(run, payments=(run.payments[0], run.payments[0]))
    with pytest.raises(RuleViolation) as dup:
        Pain001Writer().payment_file(twice)
    assert dup.value.field == "payments.1.end_to_end_id"


def test_the_schema_catches_a_file_the_bank_would_bounce() -> None:
    xml = Pain001Writer().payment_file(_run("10.00"))
    broken = xml.replace(b"<ReqdExctnDt>2026-11-02</ReqdExctnDt>", b"<ReqdExctnDt>2 Nov</ReqdExctnDt>")
    assert not xmlschema.XMLSchema(XSD).is_valid(broken.decode())


def test_a_usd_run_is_a_valid_non_sepa_transfer() -> None:
    run = replace(_run("75.25"), currency="USD")
    root = ET.fromstring(Pain001Writer().payment_file(run))
    xmlschema.XMLSchema(XSD).validate(ET.tostring(root, encoding="unicode"))
    amount = root.find("p:CstmrCdtTrfInitn/p:PmtInf/p:CdtTrfTxInf/p:Amt/p:InstdAmt", NS)
    assert amount is not None and amount.get("Ccy") == "USD"
    assert root.find("p:CstmrCdtTrfInitn/p:PmtInf/p:PmtTpInf", NS) is None
