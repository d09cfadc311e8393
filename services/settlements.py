"""Marketplace payout reports: match each line to a shipped order, post fees and clear the receivable."""

from datetime import date
from typing import NamedTuple

from sqlalchemy import text
from sqlmodel import Session

from models.contracts.sales import SettlementInput, SettlementLineIn, SettlementLineResult, SettlementMatch
from rules.accounts import AccountRole
from rules.posting_rules import marketplace_settlement
from services import ledger
from services.errors import NotFound
from services.ledger import LineIn


class _Head(NamedTuple):
    id: int
    channel_id: int
    entity_id: int
    reference: str
    payout_date: date
    currency: str


def _find_order(session: Session, channel_id: int, external_id: str) -> tuple[int, str] | None:
    """A shipped order of the channel with this external id (only shipped orders have a receivable)."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT o.id, o.number FROM sales_order o
             WHERE o.channel_id = :c AND o.external_id = :x AND EXISTS (SELECT 1 FROM shipment s WHERE s.order_id = o.id)
            """
            ),
            {"c": channel_id, "x": external_id},
        )
        .first()
    )
    return (int(row[0]), str(row[1])) if row else None


def _post_line(
    session: Session, head: _Head, line: SettlementLineIn, order: tuple[int, str]
) -> SettlementLineResult:
    """Post bank + fees against the order's receivable, and mark the order settled."""
    draft = marketplace_settlement(line.gross, line.fees, head.currency)
    number = order[1]
    entry = ledger.post(
        session,
        ledger.PostingRequest(
            entity_id=head.entity_id,
            idempotency_key=f"settlement:{head.id}:line:{line.line_no}",
            posting_date=head.payout_date,
            source_type="sales_order",
            source_id=number,
            currency=head.currency,
            memo=f"marketplace settlement {head.reference}",
            lines=[
                LineIn(
                    d.role,
                    d.amount,
                    d.memo,
                    partner_type="order" if d.role == AccountRole.AR else None,
                    partner_id=number if d.role == AccountRole.AR else None,
                )
                for d in draft.lines
            ],
        ),
    )
    session.connection().execute(
        text(
            """
            UPDATE settlement_line SET status = 'matched', order_id = :o, journal_entry_id = :je, external_id = :x
             WHERE settlement_id = :s AND line_no = :ln
            """
        ),
        {"o": order[0], "je": entry.entry_id, "x": line.external_id, "s": head.id, "ln": line.line_no},
    )
    session.connection().execute(text("UPDATE sales_order SET settled = true WHERE id = :o"), {"o": order[0]})
    return SettlementLineResult(
        line_no=line.line_no,
        external_id=line.external_id,
        status="matched",
        order_number=number,
        journal_entry_id=entry.entry_id,
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


def settle(session: Session, report: SettlementInput) -> tuple[int, list[SettlementLineResult]]:
    """Record the report once, then match and post every line not matched yet."""
    session.connection().execute(
        text(
            """
            INSERT INTO marketplace_settlement (channel_id, entity_id, reference, payout_date, currency, created_by)
            VALUES (:c, :e, :r, :d, :cur, :by) ON CONFLICT (channel_id, reference) DO NOTHING
            """
        ),
        {
            "c": report.channel_id,
            "e": report.entity_id,
            "r": report.reference,
            "d": report.payout_date,
            "cur": report.currency,
            "by": report.created_by,
        },
    )
    settlement_id = int(
        session.connection()
        .execute(
            text("SELECT id FROM marketplace_settlement WHERE channel_id = :c AND reference = :r"),
            {"c": report.channel_id, "r": report.reference},
        )
        .scalar_one()
    )
    head = _head(session, settlement_id)
    results: list[SettlementLineResult] = []
    for line in report.lines:
        session.connection().execute(
            text(
                """
                INSERT INTO settlement_line (settlement_id, line_no, external_id, gross, fees, status)
                VALUES (:s, :ln, :x, :g, :f, 'unmatched') ON CONFLICT (settlement_id, line_no) DO NOTHING
                """
            ),
            {"s": settlement_id, "ln": line.line_no, "x": line.external_id, "g": line.gross, "f": line.fees},
        )
        order = _find_order(session, report.channel_id, line.external_id)
        if order is None:
            results.append(
                SettlementLineResult(line_no=line.line_no, external_id=line.external_id, status="unmatched")
            )
        else:
            results.append(_post_line(session, head, line, order))
    return settlement_id, results


def match(session: Session, req: SettlementMatch) -> SettlementLineResult:
    """A person matched an unmatched line to an order's external id: post it now."""
    head = _head(session, req.settlement_id)
    row = (
        session.connection()
        .execute(
            text("SELECT gross, fees FROM settlement_line WHERE settlement_id = :s AND line_no = :ln"),
            {"s": req.settlement_id, "ln": req.line_no},
        )
        .one()
    )
    order = _find_order(session, head.channel_id, req.external_id)
    if order is None:
        raise NotFound("payload.external_id", f"no shipped order {req.external_id!r} on this channel")
    line = SettlementLineIn(line_no=req.line_no, external_id=req.external_id, gross=row[0], fees=row[1])
    return _post_line(session, head, line, order)


def dismiss(session: Session, settlement_id: int, line_no: int) -> None:
    """Leave a line unposted on purpose (e.g. a marketplace error the marketplace will correct)."""
    session.connection().execute(
        text("UPDATE settlement_line SET status = 'dismissed' WHERE settlement_id = :s AND line_no = :ln"),
        {"s": settlement_id, "ln": line_no},
    )
