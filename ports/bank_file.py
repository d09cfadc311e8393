"""The bank payment file port and its built-in implementation: ISO 20022 pain.001.001.03
(CustomerCreditTransferInitiation), the credit transfer file European banks take for a supplier payment run,
written by sepaxml and validated against the XSD it bundles."""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from sepaxml import SepaTransfer  # type: ignore[import-untyped]
from sepaxml.validation import try_valid_xml  # type: ignore[import-untyped]

from rules.errors import RuleViolation
from rules.identifiers import bic_problem, iban_problem, normalize_iban

SCHEMA = "pain.001.001.03"
PAIN_001_NS = f"urn:iso:std:iso:20022:tech:xsd:{SCHEMA}"
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


def _config(run: PaymentRun) -> dict[str, Any]:
    """sepaxml's debtor config: one batch per execution date; a non-EUR run is not SEPA (no service level)."""
    config: dict[str, Any] = {
        "name": run.debtor.name,
        "IBAN": normalize_iban(run.debtor.iban),
        "BIC": (run.debtor.bic or "").strip().upper(),
        "batch": True,
        "currency": run.currency,
    }
    if run.currency != "EUR":
        config["domestic"] = True
    return config


def _payment(run: PaymentRun, p: CreditTransfer) -> dict[str, Any]:
    """One credit transfer as sepaxml takes it (amounts in cents)."""
    payment: dict[str, Any] = {
        "name": p.creditor.name,
        "IBAN": normalize_iban(p.creditor.iban),
        "amount": int((p.amount * 100).to_integral_value()),
        "currency": run.currency,
        "execution_date": run.execution_date,
        "description": p.remittance,
        "endtoend_id": p.end_to_end_id,
    }
    if p.creditor.bic:
        payment["BIC"] = p.creditor.bic.strip().upper()
    return payment


def validate_pain001(xml: bytes) -> None:
    """Raise sepaxml's ValidationError unless the file is valid against the ISO 20022 pain.001.001.03 XSD."""
    try_valid_xml(xml, SCHEMA)


class Pain001Writer:
    """Writes the run with sepaxml (one PmtInf per execution date), validated against the bundled XSD."""

    def payment_file(self, run: PaymentRun) -> bytes:
        """The UTF-8 XML document; our message id and creation time replace sepaxml's random/now ones."""
        _check(run)
        transfer = SepaTransfer(_config(run), schema=SCHEMA, clean=True)
        for p in run.payments:
            transfer.add_payment(_payment(run, p))
        root = ET.fromstring(transfer.export(validate=False))
        header = root.find(f"{{{PAIN_001_NS}}}CstmrCdtTrfInitn/{{{PAIN_001_NS}}}GrpHdr")
        assert header is not None
        created = run.created_at.astimezone(UTC) if run.created_at.tzinfo else run.created_at
        for tag, value in (
            ("MsgId", run.message_id),
            ("CreDtTm", created.replace(microsecond=0, tzinfo=None).isoformat()),
        ):
            node = header.find(f"{{{PAIN_001_NS}}}{tag}")
            assert node is not None
            node.text = value
        ET.register_namespace("", PAIN_001_NS)
        xml = bytes(ET.tostring(root, encoding="UTF-8", xml_declaration=True))
        validate_pain001(xml)
        return xml
