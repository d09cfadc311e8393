"""Bank statement files: a camt.053 or MT940 file read into a statement, and the import workflow's input."""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

import mt940

from models.contracts.payments import StatementInput, StatementLineIn
from rules.errors import RuleViolation

# A day's statement of a retailer's account; the workflow input must stay well under Temporal's payload limit.
MAX_LINES = 2000


@dataclass(frozen=True, slots=True)
class StatementLine:
    """A booked entry: signed amount (debit < 0), the bank's transaction code, the end-to-end reference."""

    booking_date: date
    amount: Decimal
    currency: str
    code: str | None
    reference: str | None
    description: str


@dataclass
class Statement:
    """A parsed statement: its id at the bank, the account, the lines."""

    ref: str
    account: str | None
    lines: list[StatementLine] = field(default_factory=list)


def _camt_text(el: ET.Element, path: str, ns: dict[str, str]) -> str | None:
    found = el.find(path, ns)
    return found.text.strip() if found is not None and found.text else None


def parse_camt053(content: str) -> Statement:
    """An ISO 20022 camt.053 BankToCustomerStatement (first Stmt); entities and DTDs are refused."""
    if "<!DOCTYPE" in content or "<!ENTITY" in content:
        raise RuleViolation("content", "a camt.053 file carries no DTD or entity declarations")
    try:
        root = ET.fromstring(content)
    except ET.ParseError as exc:
        raise RuleViolation("content", f"not well-formed XML: {exc}") from None
    uri = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if "camt.053" not in uri:
        raise RuleViolation(
            "content", "not a camt.053 document (namespace urn:iso:std:iso:20022:tech:xsd:camt.053.*)"
        )
    ns = {"c": uri}
    stmt = root.find("c:BkToCstmrStmt/c:Stmt", ns)
    if stmt is None:
        raise RuleViolation("content", "camt.053 without a Stmt")
    ref = _camt_text(stmt, "c:Id", ns)
    if not ref:
        raise RuleViolation("content", "camt.053 Stmt without an Id")
    out = Statement(ref=ref, account=_camt_text(stmt, "c:Acct/c:Id/c:IBAN", ns))
    for i, entry in enumerate(stmt.findall("c:Ntry", ns)):
        amt = entry.find("c:Amt", ns)
        day = _camt_text(entry, "c:BookgDt/c:Dt", ns) or _camt_text(entry, "c:ValDt/c:Dt", ns)
        sign = _camt_text(entry, "c:CdtDbtInd", ns)
        try:
            value = Decimal((amt.text or "").strip()) if amt is not None else None
            booked = date.fromisoformat(day or "")
        except (InvalidOperation, ValueError):
            raise RuleViolation(f"content.Ntry[{i}]", "amount or booking date unreadable") from None
        if value is None or amt is None or sign not in ("CRDT", "DBIT"):
            raise RuleViolation(f"content.Ntry[{i}]", "needs Amt with Ccy and CdtDbtInd CRDT or DBIT")
        code = _camt_text(entry, "c:BkTxCd/c:Domn/c:Fmly/c:SubFmlyCd", ns) or _camt_text(
            entry, "c:BkTxCd/c:Prtry/c:Cd", ns
        )
        out.lines.append(
            StatementLine(
                booking_date=booked,
                amount=-value if sign == "DBIT" else value,
                currency=amt.get("Ccy", ""),
                code=code,
                reference=_camt_text(entry, "c:NtryDtls/c:TxDtls/c:Refs/c:EndToEndId", ns),
                description=(_camt_text(entry, "c:AddtlNtryInf", ns) or "")[:300],
            )
        )
    return out


def parse_mt940(content: str) -> Statement:
    """A SWIFT MT940 statement (the mt-940 package); the customer reference carries the end-to-end id."""
    parsed = mt940.models.Transactions()
    try:
        parsed.parse(content)
    except Exception as exc:  # the parser raises plain exceptions of many kinds on malformed input
        raise RuleViolation("content", f"not a readable MT940 statement: {type(exc).__name__}") from None
    ref = parsed.data.get("transaction_reference")
    if not ref:
        raise RuleViolation("content", "MT940 without a :20: transaction reference")
    out = Statement(ref=str(ref), account=parsed.data.get("account_identification"))
    for tr in parsed:
        d = tr.data
        reference = d.get("customer_reference")
        out.lines.append(
            StatementLine(
                booking_date=date(d["date"].year, d["date"].month, d["date"].day),
                amount=Decimal(d["amount"].amount),
                currency=str(d.get("currency") or d["amount"].currency),
                code=d.get("id"),
                reference=None if reference in (None, "", "NONREF") else str(reference),
                description=" ".join(
                    str(d.get(k) or "") for k in ("extra_details", "transaction_details")
                ).strip()[:300],
            )
        )
    return out


def as_input(parsed: Statement, entity_id: int, entity_code: str, fmt: str, actor: str) -> StatementInput:
    """The workflow's input; its id names the entity and the bank's statement id (imported once)."""
    if len(parsed.ref) > 35:
        raise RuleViolation("content", "the statement id is longer than 35 characters")
    if len(parsed.lines) > MAX_LINES:
        raise RuleViolation("content", f"at most {MAX_LINES} lines per statement")
    return StatementInput(
        workflow_id=f"BankStatement-{entity_code}-{parsed.ref}",
        entity_id=entity_id,
        format=fmt,
        statement_ref=parsed.ref,
        account=(parsed.account or "")[:34] or None,
        imported_by=actor,
        lines=[
            StatementLineIn(
                line_no=no,
                booking_date=ln.booking_date,
                amount=ln.amount,
                currency=ln.currency,
                code=ln.code,
                reference=ln.reference,
                description=ln.description,
            )
            for no, ln in enumerate(parsed.lines, start=1)
        ],
    )
