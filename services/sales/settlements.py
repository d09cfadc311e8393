"""Marketplace payout reports: match each line to a shipped order, check it against the order's open
receivable, post fees and clear the receivable once; a difference or an already settled order is left
for a person, and the same payout sent under another reference is a duplicate that posts nothing."""

from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.sales import SettlementInput, SettlementLineIn, SettlementLineResult, SettlementMatch
from rules.accounts import AccountRole
from rules.errors import RuleViolation
from rules.posting_rules import DraftLine, marketplace_settlement
from rules.settlement_check import check_line, report_fingerprint
from services.core import ledger, open_items
from services.core.errors import Conflict, NotFound
from services.core.ledger import LineIn
from services.payments import receipt_fx


class _Head(NamedTuple):
    id: int
    channel_id: int
    entity_id: int
    reference: str
    payout_date: date
    currency: str


class _Order(NamedTuple):
    id: int
    number: str
    settled: bool


def fingerprint(report: SettlementInput) -> str:
    """The content hash that makes a payout sent twice (under any reference) a duplicate."""
    return report_fingerprint((ln.external_id, ln.gross, ln.fees) for ln in report.lines)


def duplicate_of(session: Session, channel_id: int, reference: str, content_hash: str) -> str | None:
    """The reference of a report already recorded with this reference or with the same lines, if any."""
    found = (
        session.connection()
        .execute(
            text(
                "SELECT reference FROM marketplace_settlement WHERE channel_id = :c"
                " AND (reference = :r OR content_hash = :h) ORDER BY reference = :r DESC LIMIT 1"
            ),
            {"c": channel_id, "r": reference, "h": content_hash},
        )
        .scalar()
    )
    return str(found) if found is not None else None


def _find_order(session: Session, channel_id: int, external_id: str) -> _Order | None:
    """A shipped order of the channel with this external id, locked (only shipped orders have a receivable)."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT o.id, o.number, o.settled FROM sales_order o
             WHERE o.channel_id = :c AND o.external_id = :x AND EXISTS (SELECT 1 FROM shipment s WHERE s.order_id = o.id)
               FOR UPDATE OF o
            """
            ),
            {"c": channel_id, "x": external_id},
        )
        .first()
    )
    return _Order(int(row[0]), str(row[1]), bool(row[2])) if row else None


def _receivable(session: Session, head: _Head, order: _Order) -> Decimal:
    """What the order still owes in the settlement's currency according to its open items (a realised exchange
    difference moves only their functional value: nothing the marketplace owes)."""
    return Decimal(
        session.connection()
        .execute(
            text(
                "SELECT COALESCE(sum(amount), 0) FROM open_item WHERE entity_id = :e AND side = 'ar'"
                " AND partner_type = 'order' AND partner_id = :n AND currency = :c"
            ),
            {"e": head.entity_id, "n": order.number, "c": head.currency},
        )
        .scalar_one()
    )


def _set_line(session: Session, head: _Head, line_no: int, **values: Any) -> None:
    sets = ", ".join(f"{k} = :{k}" for k in values)
    session.connection().execute(
        text(f"UPDATE settlement_line SET {sets} WHERE settlement_id = :s AND line_no = :ln"),
        {**values, "s": head.id, "ln": line_no},
    )


def _post_settlement(
    session: Session, head: _Head, line: SettlementLineIn, order: _Order, clears: Decimal
) -> ledger.PostedEntry:
    """Bank and fees against the order's receivable, which is credited by `clears` (a rounding rest to fees)."""
    draft = marketplace_settlement(line.gross, line.fees, head.currency)
    lines = [d if d.role != AccountRole.AR else DraftLine(d.role, -clears, d.memo) for d in draft.lines]
    if clears != line.gross:
        lines.append(DraftLine(AccountRole.MARKETPLACE_FEES, clears - line.gross, "settlement rounding"))
    return ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=head.entity_id,
            idempotency_key=f"settlement:{head.id}:line:{line.line_no}",
            posting_date=head.payout_date,
            source_type="sales_order",
            source_id=order.number,
            currency=head.currency,
            memo=f"marketplace settlement {head.reference}",
            lines=[
                LineIn(
                    d.role,
                    d.amount,
                    d.memo,
                    partner_type="order" if d.role == AccountRole.AR else None,
                    partner_id=order.number if d.role == AccountRole.AR else None,
                )
                for d in lines
            ],
        ),
    )


def _post_line(
    session: Session, head: _Head, line: SettlementLineIn, order: _Order, clears: Decimal
) -> SettlementLineResult:
    """Post bank + fees, credit the receivable by `clears` (a rounding rest goes to fees); settle once."""
    # The conditional update is the order-once guard; the unique index on matched lines backs it up.
    settled = session.connection().execute(
        text("UPDATE sales_order SET settled = true WHERE id = :o AND NOT settled"), {"o": order.id}
    )
    if settled.rowcount != 1:
        raise Conflict("external_id", f"order {order.number} was settled already")
    entry = _post_settlement(session, head, line, order, clears)
    open_items.record(
        session, entry.entry_id, "settlement", f"{head.reference}:{line.line_no}", against=order.number
    )
    # A foreign-currency channel's receivable was booked at the shipment's rate: the difference is realised.
    receipt_fx.realise(
        session,
        head.entity_id,
        entry.entry_id,
        AccountRole.AR,
        order.number,
        head.currency,
        head.payout_date,
        ("sales_order", order.number),
    )
    _set_line(
        session,
        head,
        line.line_no,
        status="matched",
        order_id=order.id,
        journal_entry_id=entry.entry_id,
        external_id=line.external_id,
    )
    return SettlementLineResult(
        line_no=line.line_no,
        external_id=line.external_id,
        status="matched",
        order_number=order.number,
        journal_entry_id=entry.entry_id,
    )


def _check_and_post(
    session: Session, head: _Head, line: SettlementLineIn, order: _Order
) -> SettlementLineResult:
    """Settle the order when the line is within tolerance of its open receivable; else a difference."""
    if order.settled:
        _set_line(session, head, line.line_no, status="already_settled", order_id=order.id)
        return SettlementLineResult(
            line_no=line.line_no,
            external_id=line.external_id,
            status="already_settled",
            order_number=order.number,
        )
    owed = _receivable(session, head, order)
    verdict = check_line(line.gross, owed, head.currency)
    if verdict.verdict == "settle":
        return _post_line(session, head, line, order, owed)
    _set_line(session, head, line.line_no, status="difference", order_id=order.id, open_receivable=owed)
    return SettlementLineResult(
        line_no=line.line_no,
        external_id=line.external_id,
        status="difference",
        order_number=order.number,
        open_receivable=owed,
        difference=verdict.difference,
    )


def _head(session: Session, settlement_id: int) -> _Head:
    row = (
        session.connection()
        .execute(
            text(
                "SELECT id, channel_id, entity_id, reference, payout_date, currency FROM marketplace_settlement WHERE id = :i"
            ),
            {"i": settlement_id},
        )
        .first()
    )
    if row is None:
        raise NotFound("settlement_id", f"settlement {settlement_id} does not exist")
    return _Head(*row)


def _stored(session: Session, settlement_id: int, line_no: int) -> SettlementLineResult:
    """A line an earlier (committed) attempt already decided: answer as it did."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT l.line_no, l.external_id, l.status, o.number, l.journal_entry_id, l.open_receivable, l.gross
              FROM settlement_line l LEFT JOIN sales_order o ON o.id = l.order_id
             WHERE l.settlement_id = :s AND l.line_no = :ln
            """
            ),
            {"s": settlement_id, "ln": line_no},
        )
        .one()
    )
    owed = None if row[5] is None else Decimal(row[5])
    return SettlementLineResult(
        line_no=row[0],
        external_id=row[1],
        status=row[2],
        order_number=row[3],
        journal_entry_id=row[4],
        open_receivable=owed,
        difference=None if owed is None else Decimal(row[6]) - owed,
    )


def settle(session: Session, report: SettlementInput) -> tuple[int, list[SettlementLineResult], str | None]:
    """Record the report once, then check and post each line; a copy of another report posts nothing."""
    content = fingerprint(report)
    created = _insert_report(session, report, content)
    if created is None:
        same = (
            session.connection()
            .execute(
                text("SELECT id FROM marketplace_settlement WHERE channel_id = :c AND reference = :r"),
                {"c": report.channel_id, "r": report.reference},
            )
            .scalar()
        )
        if same is None:
            # Another reference holds these very lines: a duplicate report, refused without a trace.
            return 0, [], duplicate_of(session, report.channel_id, report.reference, content)
        created = same
    head = _head(session, int(created))
    return head.id, [_settle_line(session, report, head, line) for line in report.lines], None


def _insert_report(session: Session, report: SettlementInput, content: str) -> int | None:
    """The settlement header's id, or None when the channel's reference (or its content) is recorded already."""
    created = (
        session.connection()
        .execute(
            text(
                """
            INSERT INTO marketplace_settlement (channel_id, entity_id, reference, payout_date, currency, created_by,
                                                content_hash)
            VALUES (:c, :e, :r, :d, :cur, :by, :h) ON CONFLICT DO NOTHING RETURNING id
            """
            ),
            {
                "c": report.channel_id,
                "e": report.entity_id,
                "r": report.reference,
                "d": report.payout_date,
                "cur": report.currency,
                "by": report.created_by,
                "h": content,
            },
        )
        .scalar()
    )
    return None if created is None else int(created)


def _settle_line(
    session: Session, report: SettlementInput, head: _Head, line: SettlementLineIn
) -> SettlementLineResult:
    """Record one line once; a new line is matched to its order and checked and posted, or left unmatched."""
    fresh = (
        session.connection()
        .execute(
            text(
                """
                INSERT INTO settlement_line (settlement_id, line_no, external_id, gross, fees, status)
                VALUES (:s, :ln, :x, :g, :f, 'unmatched') ON CONFLICT (settlement_id, line_no) DO NOTHING RETURNING id
                """
            ),
            {"s": head.id, "ln": line.line_no, "x": line.external_id, "g": line.gross, "f": line.fees},
        )
        .scalar()
    )
    if fresh is None:
        return _stored(session, head.id, line.line_no)
    order = _find_order(session, report.channel_id, line.external_id)
    if order is None:
        return SettlementLineResult(line_no=line.line_no, external_id=line.external_id, status="unmatched")
    return _check_and_post(session, head, line, order)


def _line(session: Session, req: SettlementMatch) -> tuple[SettlementLineIn, str]:
    row = (
        session.connection()
        .execute(
            text(
                "SELECT gross, fees, status FROM settlement_line WHERE settlement_id = :s AND line_no = :ln"
            ),
            {"s": req.settlement_id, "ln": req.line_no},
        )
        .one()
    )
    line = SettlementLineIn(line_no=req.line_no, external_id=req.external_id, gross=row[0], fees=row[1])
    return line, str(row[2])


def match(session: Session, req: SettlementMatch) -> SettlementLineResult:
    """A person matched a line to an order (or accepted a short payout): check it and post it now."""
    head = _head(session, req.settlement_id)
    line, status = _line(session, req)
    if status == "matched":
        return _stored(session, head.id, req.line_no)
    order = _find_order(session, head.channel_id, req.external_id)
    if order is None:
        raise NotFound("payload.external_id", f"no shipped order {req.external_id!r} on this channel")
    if order.settled:
        raise Conflict("payload.external_id", f"order {order.number} was settled already")
    owed = _receivable(session, head, order)
    verdict = check_line(line.gross, owed, head.currency)
    if verdict.verdict == "settle":
        return _post_line(session, head, line, order, owed)
    if req.accept_difference and verdict.verdict == "short":
        # Short payout accepted: what came clears that much; the rest stays open on the order.
        return _post_line(session, head, line, order, line.gross)
    raise RuleViolation(
        "payload.external_id",
        f"gross {line.gross} differs from the open receivable {owed} of order {order.number} beyond tolerance",
    )


def dismiss(session: Session, settlement_id: int, line_no: int) -> None:
    """Leave a line unposted on purpose (e.g. a marketplace error the marketplace will correct)."""
    session.connection().execute(
        text(
            "UPDATE settlement_line SET status = 'dismissed'"
            " WHERE settlement_id = :s AND line_no = :ln AND status <> 'matched'"
        ),
        {"s": settlement_id, "ln": line_no},
    )
