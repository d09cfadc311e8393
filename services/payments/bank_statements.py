"""Bank statements (camt.053, MT940): imported once; lines matched to run payments, PSP payouts, marketplace
settlements and customers' orders (`services/payments/bank_receipts.py`) or posted by rule. The files are read
into the import's input in `services/payments/statement_files.py`."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

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
    NOTHING_NAMED,
    OpenPayment,
    by_rule,
    classify,
    match_payment,
    match_receipt,
    reference_words,
    transit_cleared,
)
from rules.posting_rules import PostingDraft
from services.payments import bank_receipts, intercompany_transfers, posting, refund_transfers
from services.payments.transfers import TransferKind

SOURCE = "bank_statement"


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
            if booked.status == "unmatched":
                booked = _book_transfer(session, run, line, booked, intercompany_transfers)
        elif kind == "payment":
            booked = _book_run_payment(session, run, line)
            if booked.status == "unmatched":
                booked = _book_transfer(session, run, line, booked, refund_transfers)
            if booked.status == "unmatched":
                booked = _book_payout_debit(session, run, line, booked)
            if booked.status == "unmatched":
                booked = _book_transfer(session, run, line, booked, intercompany_transfers)
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
    """Money in, or a payout's debit: the PSP payout, settlement or customer's transfer the line names."""
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


def _book_transfer(
    session: Session, run: _Import, line: StatementLineIn, unmatched: _Booked, kind: TransferKind
) -> _Booked:
    """Money that no run, payout or settlement explains: a refund sales ops decided to pay by transfer, or
    money between two entities of the group for an intercompany charge (`kind` is the module that books it)."""
    paid = kind.book(session, run.inp.entity_id, run.statement_id, line)
    if paid is None:
        return unmatched
    if isinstance(paid, str):
        return _Booked(reason=paid)  # the line names what it pays: say why it did not match
    return _Booked(
        status="matched", entry=paid.entry_id, matched_to=kind.MATCHED_TO, matched_ref=paid.reference
    )


def _book_payout_debit(session: Session, run: _Import, line: StatementLineIn, unmatched: _Booked) -> _Booked:
    """Money out that names a payout whose withheld chargebacks and refunds exceeded its captures: the provider
    collected the difference from the bank (its bank in transit is negative, and this line clears it)."""
    booked = _book_receipt(session, run, line)
    # A line naming a payout keeps the reason it did not match (the amount); any other keeps the first reason.
    return unmatched if booked.reason == NOTHING_NAMED else booked


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
