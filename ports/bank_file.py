"""The bank payment file port and its built-in implementation: ISO 20022 pain.001.001.03
(CustomerCreditTransferInitiation), the credit transfer file European banks take for a supplier payment run."""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Protocol

from rules.errors import RuleViolation
from rules.identifiers import bic_problem, iban_problem, normalize_iban

PAIN_001_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class BankAccount:
    """An account holder with IBAN and (optionally) the bank's BIC."""

    name: str
    iban: str
    bic: str | None = None


@dataclass(frozen=True, slots=True)
class CreditTransfer:
    """One payment of the run: to whom, how much, and the text on the creditor's statement."""

    end_to_end_id: str
    amount: Decimal
    creditor: BankAccount
    remittance: str


@dataclass(frozen=True, slots=True)
class PaymentRun:
    """A run of supplier payments from one debtor account in one currency on one execution date."""

    message_id: str
    created_at: datetime
    initiating_party: str
    debtor: BankAccount
    execution_date: date
    currency: str
    payments: tuple[CreditTransfer, ...]


class BankFilePort(Protocol):
    """Turn a payment run into what the bank channel takes (a file here, an API call for a real bank)."""

    def payment_file(self, run: PaymentRun) -> bytes:
        """The file's bytes; RuleViolation when the run cannot be paid as given."""
        ...


def _check(run: PaymentRun) -> None:
    if not run.payments:
        raise RuleViolation("payments", "a payment run needs at least one payment")
    for name, value, limit in (
        ("message_id", run.message_id, 35),
        ("initiating_party", run.initiating_party, 70),
    ):
        if not 0 < len(value) <= limit:
            raise RuleViolation(name, f"1 to {limit} characters")
    _check_account("debtor", run.debtor, bic_required=True)
    seen: set[str] = set()
    for i, p in enumerate(run.payments):
        where = f"payments.{i}"
        if not 0 < len(p.end_to_end_id) <= 35:
            raise RuleViolation(f"{where}.end_to_end_id", "1 to 35 characters")
        if p.end_to_end_id in seen:
            raise RuleViolation(f"{where}.end_to_end_id", f"{p.end_to_end_id} appears twice in the run")
        seen.add(p.end_to_end_id)
        if p.amount <= 0 or p.amount != p.amount.quantize(_CENT):
            raise RuleViolation(
                f"{where}.amount", f"{p.amount} is not a positive amount with at most 2 decimals"
            )
        if len(p.remittance) > 140:
            raise RuleViolation(f"{where}.remittance", "at most 140 characters")
        _check_account(f"{where}.creditor", p.creditor, bic_required=False)


def _check_account(where: str, account: BankAccount, *, bic_required: bool) -> None:
    if not 0 < len(account.name) <= 70:
        raise RuleViolation(f"{where}.name", "1 to 70 characters")
    problem = iban_problem(account.iban)
    if problem is not None:
        raise RuleViolation(f"{where}.iban", problem)
    if account.bic or bic_required:
        problem = bic_problem(account.bic or "")
        if problem is not None:
            raise RuleViolation(f"{where}.bic", problem)


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _agent(parent: ET.Element, tag: str, bic: str) -> None:
    _sub(_sub(_sub(parent, tag), "FinInstnId"), "BIC", bic.strip().upper())


def _account(parent: ET.Element, tag: str, iban: str) -> None:
    _sub(_sub(_sub(parent, tag), "Id"), "IBAN", normalize_iban(iban))


class Pain001Writer:
    """Writes one PmtInf (payment method TRF) with one CdtTrfTxInf per payment; amounts with 2 decimals."""

    def payment_file(self, run: PaymentRun) -> bytes:
        """The UTF-8 XML document (elements in the order the XSD's sequences require)."""
        _check(run)
        count = str(len(run.payments))
        total = f"{sum((p.amount for p in run.payments), Decimal(0)).quantize(_CENT)}"
        root = ET.Element("Document", {"xmlns": PAIN_001_NS})
        initiation = _sub(root, "CstmrCdtTrfInitn")
        header = _sub(initiation, "GrpHdr")
        _sub(header, "MsgId", run.message_id)
        created = run.created_at.astimezone(UTC) if run.created_at.tzinfo else run.created_at
        _sub(header, "CreDtTm", created.replace(microsecond=0, tzinfo=None).isoformat())
        _sub(header, "NbOfTxs", count)
        _sub(header, "CtrlSum", total)
        _sub(_sub(header, "InitgPty"), "Nm", run.initiating_party)

        info = _sub(initiation, "PmtInf")
        _sub(info, "PmtInfId", run.message_id)
        _sub(info, "PmtMtd", "TRF")
        _sub(info, "NbOfTxs", count)
        _sub(info, "CtrlSum", total)
        if run.currency == "EUR":  # a SEPA credit transfer: shared charges, SEPA service level
            _sub(_sub(_sub(info, "PmtTpInf"), "SvcLvl"), "Cd", "SEPA")
        _sub(info, "ReqdExctnDt", run.execution_date.isoformat())
        _sub(_sub(info, "Dbtr"), "Nm", run.debtor.name)
        _account(info, "DbtrAcct", run.debtor.iban)
        _agent(info, "DbtrAgt", run.debtor.bic or "")
        _sub(info, "ChrgBr", "SLEV" if run.currency == "EUR" else "SHAR")
        for p in run.payments:
            tx = _sub(info, "CdtTrfTxInf")
            _sub(_sub(tx, "PmtId"), "EndToEndId", p.end_to_end_id)
            _sub(_sub(tx, "Amt"), "InstdAmt", f"{p.amount.quantize(_CENT)}", Ccy=run.currency)
            if p.creditor.bic:
                _agent(tx, "CdtrAgt", p.creditor.bic)
            _sub(_sub(tx, "Cdtr"), "Nm", p.creditor.name)
            _account(tx, "CdtrAcct", p.creditor.iban)
            _sub(_sub(tx, "RmtInf"), "Ustrd", p.remittance)
        return bytes(ET.tostring(root, encoding="UTF-8", xml_declaration=True))
