"""Bank statements (camt.053, MT940): imported once; lines matched to run payments, PSP payouts, marketplace
settlements and customers' orders (`services/payments/bank_receipts.py`) or posted by rule."""

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

import mt940
import sqlalchemy as sa
from sqlalchemy import text
from sqlmodel import Session, col, select

from models.contracts.payments import (
    ResolveLine,
    StatementImported,
    StatementInput,
    StatementLineIn,
    UnmatchedLine,
)
from models.payments import BankStatement, BankStatementLine, PaymentRunItem
from rules.bank_matching import (
    OpenPayment,
    by_rule,
    classify,
    match_payment,
    match_receipt,
    reference_words,
    transit_cleared,
)
from rules.errors import RuleViolation
from rules.posting_rules import PostingDraft
from services.payments import bank_receipts, posting

SOURCE = "bank_statement"
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


def existing(session: Session, entity_id: int, ref: str) -> int | None:
    """The id of an entity's statement already imported under the bank's statement id."""
    query = select(col(BankStatement.id)).where(
        col(BankStatement.entity_id) == entity_id, col(BankStatement.statement_ref) == ref
    )
    return session.connection().execute(query).scalar()


def _open_payments(session: Session, entity_id: int) -> list[OpenPayment]:
    rows = session.connection().execute(
        text(
            "SELECT x.id, x.end_to_end_id, x.amount, x.currency FROM payment_run_item x"
            " JOIN payment_run r ON r.id = x.run_id WHERE r.entity_id = :e AND x.status = 'paid' FOR UPDATE OF x"
        ),
        {"e": entity_id},
    )
    return [
        OpenPayment(int(item_id), str(end_to_end_id), Decimal(amount), str(currency))
        for item_id, end_to_end_id, amount, currency in rows
    ]


def _post(
    session: Session,
    entity_id: int,
    key: str,
    on: date,
    source_id: str,
    currency: str,
    draft: PostingDraft,
    rate: Decimal | None,
) -> int:
    return posting.post(
        session, posting.Entry(entity_id, key, on, SOURCE, source_id, currency, fx_rate=rate), draft
    )


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


def _lines(session: Session, statement_id: int) -> list[BankStatementLine]:
    """A statement's lines as stored, in order."""
    # populate_existing: lines are written and resolved by SQL within the same session.
    query = (
        select(BankStatementLine)
        .where(col(BankStatementLine.statement_id) == statement_id)
        .order_by(col(BankStatementLine.line_no))
        .execution_options(populate_existing=True)
    )
    return list(session.exec(query))


def _unmatched(session: Session, statement_id: int) -> list[UnmatchedLine]:
    return [
        UnmatchedLine(line_no=ln.line_no, amount=ln.amount, currency=ln.currency, reason=ln.description[:300])
        for ln in _lines(session, statement_id)
        if ln.status == "unmatched"
    ]


@dataclass
class _Booked:
    """What became of one statement line: matched, posted by rule, or unmatched with the reason."""

    status: str = "unmatched"
    reason: str = "neither a run payment nor a charge or interest"
    item_id: int | None = None
    entry: int | None = None
    matched_to: str | None = None
    matched_ref: str | None = None


@dataclass(frozen=True, slots=True)
class _Import:
    """The statement being imported: its row id, its input, the run payments still in transit and their rates."""

    statement_id: int
    inp: StatementInput
    open_payments: list[OpenPayment]
    rates: dict[int, Decimal]


def import_statement(session: Session, inp: StatementInput) -> StatementImported:
    """Store, match and post a statement once; a retry (or a repeat) returns what the first import did."""
    statement_id = _store_header(session, inp)
    if statement_id is None:
        found = existing(session, inp.entity_id, inp.statement_ref)
        assert found is not None
        return StatementImported(statement_id=found, unmatched=_unmatched(session, found))
    open_payments = _open_payments(session, inp.entity_id)
    run = _Import(statement_id, inp, open_payments, _rates(session, [p.item_id for p in open_payments]))
    for line in inp.lines:
        kind = classify(line.code, line.amount)
        if kind == "other" and line.amount > 0:
            booked = _book_receipt(session, run, line)
        elif kind == "payment":
            booked = _book_run_payment(session, run, line)
        elif kind in ("charge", "interest"):
            booked = _book_by_rule(session, run, line, kind)
        else:
            booked = _Booked()
        _store_line(session, statement_id, line, kind, booked)
    return StatementImported(statement_id=statement_id, unmatched=_unmatched(session, statement_id))


def _store_header(session: Session, inp: StatementInput) -> int | None:
    """The statement's row; None when this entity imported a statement of this reference already."""
    row = (
        session.connection()
        .execute(
            text(
                "INSERT INTO bank_statement (entity_id, statement_ref, format, account, imported_by)"
                " VALUES (:e, :r, :f, :a, :u) ON CONFLICT (entity_id, statement_ref) DO NOTHING RETURNING id"
            ),
            {
                "e": inp.entity_id,
                "r": inp.statement_ref,
                "f": inp.format,
                "a": inp.account,
                "u": inp.imported_by,
            },
        )
        .scalar()
    )
    return None if row is None else int(row)


def _book_receipt(session: Session, run: _Import, line: StatementLineIn) -> _Booked:
    """Money in: a PSP payout, a marketplace settlement or a customer's transfer named by the line."""
    inp = run.inp
    texts = [line.reference, line.description]
    words = reference_words(texts)
    receipt = match_receipt(
        line.amount, line.currency, texts, bank_receipts.expected(session, inp.entity_id, words)
    )
    booked = _Booked(reason=receipt.reason or _Booked.reason)
    if receipt.receipt is not None:
        booked.entry = bank_receipts.book(
            session,
            inp.entity_id,
            (run.statement_id, inp.statement_ref),
            line.line_no,
            line.booking_date,
            line.amount,
            receipt.receipt,
        )
        booked.status, booked.matched_to, booked.matched_ref = (
            "matched",
            receipt.receipt.kind,
            receipt.receipt.ref,
        )
    return booked


def _book_run_payment(session: Session, run: _Import, line: StatementLineIn) -> _Booked:
    """Money out: the bank confirms a payment-run payment, which leaves bank in transit."""
    match = match_payment(line.amount, line.currency, line.reference, run.open_payments)
    booked = _Booked(reason=match.reason or _Booked.reason)
    paid = next((p for p in run.open_payments if p.item_id == match.item_id), None)
    if paid is None:
        return booked
    booked.entry = _post(
        session,
        run.inp.entity_id,
        f"payrun-item:{paid.item_id}:cleared",
        line.booking_date,
        run.inp.statement_ref,
        paid.currency,
        transit_cleared(paid.amount),
        run.rates.get(paid.item_id),
    )
    session.connection().execute(
        text("UPDATE payment_run_item SET status = 'cleared', cleared_entry_id = :c WHERE id = :i"),
        {"c": booked.entry, "i": paid.item_id},
    )
    run.open_payments.remove(paid)  # a payment clears once, even if the statement lists it twice
    booked.status, booked.item_id, booked.matched_to = "matched", paid.item_id, "run_payment"
    booked.matched_ref = paid.end_to_end_id
    return booked


def _book_by_rule(session: Session, run: _Import, line: StatementLineIn, kind: str) -> _Booked:
    """Bank charges and interest post by rule."""
    entry = _post(
        session,
        run.inp.entity_id,
        f"bank:{run.statement_id}:line:{line.line_no}",
        line.booking_date,
        run.inp.statement_ref,
        line.currency,
        by_rule(kind, line.amount),
        None,
    )
    return _Booked(status="posted", entry=entry)


def _store_line(
    session: Session, statement_id: int, line: StatementLineIn, kind: str, booked: _Booked
) -> None:
    """The statement line as imported, with what became of it."""
    described = (
        line.description
        if booked.status != "unmatched"
        else f"{booked.reason}; {line.description}".strip("; ")
    )
    session.connection().execute(
        text(
            "INSERT INTO bank_statement_line (statement_id, line_no, booking_date, amount, currency, reference,"
            " description, kind, status, payment_item_id, entry_id, matched_to, matched_ref)"
            " VALUES (:s, :n, :d, :a, :c, :r, :t, :k, :st, :i, :e, :mt, :mr)"
        ),
        {
            "s": statement_id,
            "n": line.line_no,
            "d": line.booking_date,
            "a": line.amount,
            "c": line.currency,
            "r": (line.reference or "")[:140] or None,
            "t": described[:300],
            "k": kind,
            "st": booked.status,
            "i": booked.item_id,
            "e": booked.entry,
            "mt": booked.matched_to,
            "mr": booked.matched_ref,
        },
    )


class _LineToResolve(NamedTuple):
    """A statement line a person decides on, with its statement's entity and reference."""

    booking_date: date
    amount: Decimal
    currency: str
    status: str
    entity_id: int
    statement_ref: str


_LINE_TO_RESOLVE = (
    sa.select(
        col(BankStatementLine.booking_date),
        col(BankStatementLine.amount),
        col(BankStatementLine.currency),
        col(BankStatementLine.status),
        col(BankStatement.entity_id),
        col(BankStatement.statement_ref),
    )
    .join(BankStatement, col(BankStatement.id) == col(BankStatementLine.statement_id))
    .with_for_update(of=col(BankStatementLine.id))
)


def resolve_line(session: Session, req: ResolveLine) -> None:
    """A person books an unmatched line as a charge or interest (by rule), or dismisses it; once."""
    query = _LINE_TO_RESOLVE.where(
        col(BankStatementLine.statement_id) == req.statement_id, col(BankStatementLine.line_no) == req.line_no
    )
    found = session.connection().execute(query).first()
    line = None if found is None else _LineToResolve(*found)
    if line is None or line.status != "unmatched":
        return
    entry = None
    if req.decision in ("charge", "interest"):
        entry = _post(
            session,
            line.entity_id,
            f"bank:{req.statement_id}:line:{req.line_no}",
            line.booking_date,
            line.statement_ref,
            line.currency,
            by_rule(req.decision, line.amount),
            None,
        )
    session.connection().execute(
        text(
            "UPDATE bank_statement_line SET status = :st, kind = :k, entry_id = :e"
            " WHERE statement_id = :s AND line_no = :n"
        ),
        {
            "st": "dismissed" if entry is None else "posted",
            "k": req.decision if entry is not None else "other",
            "e": entry,
            "s": req.statement_id,
            "n": req.line_no,
        },
    )


def _rates(session: Session, item_ids: list[int]) -> dict[int, Decimal]:
    """Each payment clears at the rate it was paid at: bank-in-transit ends at zero in both currencies."""
    if not item_ids:
        return {}
    query = select(col(PaymentRunItem.id), col(PaymentRunItem.fx_rate)).where(
        col(PaymentRunItem.id).in_(item_ids)
    )
    rows = session.connection().execute(query)
    return {int(item_id): Decimal(rate) for item_id, rate in rows if item_id is not None and rate is not None}


@dataclass(frozen=True, slots=True)
class StoredStatement:
    """An imported statement with its lines, as the API shows it."""

    row: BankStatement
    lines: list[BankStatementLine]

    @property
    def entity_id(self) -> int:
        return self.row.entity_id

    def fields(self) -> dict[str, Any]:
        return {**self.row.model_dump(), "lines": [ln.model_dump() for ln in self.lines]}


def statement(session: Session, statement_id: int) -> StoredStatement | None:
    """A statement with its lines, as the API shows it."""
    query = select(BankStatement).where(col(BankStatement.id) == statement_id)
    head = session.exec(query.execution_options(populate_existing=True)).first()
    return None if head is None else StoredStatement(head, _lines(session, statement_id))
