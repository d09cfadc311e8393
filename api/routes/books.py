"""Read the books: journal entries, trial balance, stock balances, the audit trail of a document."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Any, NamedTuple

from fastapi import APIRouter, Depends, Query
from sqlalchemy import text

from api.deps import PrincipalDep, SessionDep, check_entity, require
from api.errors import responses
from api.schemas.base import PathId, QueryId, many
from api.schemas.books import AuditRow, JournalEntryView, StockBalanceView, TrialBalance
from rules.visibility import Reader, may_read_audit_row
from services.core import audit_scope
from services.core.auth import Principal

router = APIRouter(tags=["books"], responses=responses(401, 422))
finance = Depends(require("controller", "ap_clerk"))


class _Balance(NamedTuple):
    """An account's balance in the trial balance (debit > 0)."""

    code: str
    name: str
    type: str
    role: str | None
    balance: Decimal

    @property
    def debit(self) -> Decimal:
        """The debit balance (zero for a credit balance)."""
        return max(self.balance, Decimal(0))

    @property
    def credit(self) -> Decimal:
        """The credit balance, positive (zero for a debit balance)."""
        return max(-self.balance, Decimal(0))


@router.get(
    "/entities/{entity_id}/trial-balance",
    summary="Trial balance of an entity up to a date",
    response_model=TrialBalance,
    responses=responses(403, 404),
)
def trial_balance(
    entity_id: PathId, session: SessionDep, who: Principal = finance, as_of: date | None = None
) -> dict[str, Any]:
    """Debit and credit per account of an entity up to a date (all postings when no date); controllers and AP."""
    check_entity(who, entity_id)
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT a.code, a.name, a.type, a.role, sum(l.amount_func) AS balance
              FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
             WHERE l.entity_id = :e AND (CAST(:d AS date) IS NULL OR e.posting_date <= :d)
             GROUP BY a.code, a.name, a.type, a.role ORDER BY a.code
            """
            ),
            {"e": entity_id, "d": as_of},
        )
        .all()
    )
    balances = [_Balance(*r) for r in rows]
    debits = sum((b.debit for b in balances), Decimal(0))
    credits = sum((b.credit for b in balances), Decimal(0))
    return {
        "entity_id": entity_id,
        "as_of": as_of,
        "lines": [
            {
                "code": b.code,
                "name": b.name,
                "type": b.type,
                "role": b.role,
                "debit": b.debit,
                "credit": b.credit,
            }
            for b in balances
        ],
        "total_debit": debits,
        "total_credit": credits,
        "balanced": debits == credits,
    }


@router.get(
    "/journal-entries",
    summary="Journal entries of a source document",
    response_model=many(JournalEntryView),
    responses=responses(403),
)
def journal_entries(
    session: SessionDep,
    who: Principal = finance,
    source_type: str | None = None,
    source_id: str | None = None,
    limit: int = Query(100, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Journal entries of your entities, newest first, filtered by the document that posted them."""
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT e.id, e.entity_id, e.idempotency_key, e.posting_date, e.memo, e.source_type, e.source_id,
                   e.reverses_entry_id,
                   json_agg(json_build_object('account', a.code, 'role', a.role, 'currency', l.currency,
                            'amount', l.amount, 'amount_func', l.amount_func) ORDER BY l.id)
              FROM journal_entry e JOIN journal_line l ON l.entry_id = e.id JOIN account a ON a.id = l.account_id
             WHERE e.entity_id = ANY(:ents) AND (CAST(:st AS text) IS NULL OR e.source_type = :st)
               AND (CAST(:si AS text) IS NULL OR e.source_id = :si)
             GROUP BY e.id ORDER BY e.id DESC LIMIT :lim
            """
            ),
            {"ents": list(who.entity_ids), "st": source_type, "si": source_id, "lim": limit},
        )
        .all()
    )
    keys = (
        "id",
        "entity_id",
        "idempotency_key",
        "posting_date",
        "memo",
        "source_type",
        "source_id",
        "reverses_entry_id",
        "lines",
    )
    return [dict(zip(keys, r, strict=True)) for r in rows]


@router.get(
    "/stock/balances",
    summary="On hand, reserved, inbound, in transit and value per item x location",
    response_model=many(StockBalanceView),
    responses=responses(404),
)
def stock_balances(
    session: SessionDep,
    who: PrincipalDep,
    entity_id: QueryId,
    item_id: QueryId | None = None,
    limit: int = Query(200, ge=1, le=5000),
) -> list[dict[str, Any]]:
    """Per item and location of an entity: on hand, reserved, inbound, in transit, available, projected, value."""
    check_entity(who, entity_id)
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT b.item_id, i.sku, b.location_id, l.code, b.on_hand, b.reserved, b.inbound, b.in_transit, b.value,
                   b.on_hand - b.reserved AS available, b.on_hand + b.inbound + b.in_transit - b.reserved AS projected
              FROM stock_balance b JOIN item i ON i.id = b.item_id JOIN location l ON l.id = b.location_id
             WHERE b.entity_id = :e AND (CAST(:i AS bigint) IS NULL OR b.item_id = :i)
             ORDER BY i.sku, l.code LIMIT :lim
            """
            ),
            {"e": entity_id, "i": item_id, "lim": limit},
        )
        .all()
    )
    keys = (
        "item_id",
        "sku",
        "location_id",
        "location",
        "on_hand",
        "reserved",
        "inbound",
        "in_transit",
        "value",
        "available",
        "projected",
    )
    return [dict(zip(keys, r, strict=True)) for r in rows]


@router.get(
    "/audit",
    summary="Who did what to a document, when, acting for whom (admins and controllers: all of their "
    "entities' rows; others: their own acts)",
    response_model=many(AuditRow),
)
def audit(
    session: SessionDep,
    who: PrincipalDep,
    subject_type: Annotated[str, Query(min_length=1, max_length=40)],
    subject_id: Annotated[str, Query(min_length=1, max_length=80)],
) -> list[dict[str, Any]]:
    """The audit trail of one document, oldest first; an empty list when you may not see the document."""
    if not audit_scope.subject_visible(session, who, subject_type, subject_id):
        return []
    rows = (
        session.connection()
        .execute(
            text(
                """
            SELECT at, actor, acting_for, action, before, after, entity_id FROM audit_event
             WHERE subject_type = :t AND subject_id = :i AND (entity_id IS NULL OR entity_id = ANY(:ents))
             ORDER BY id
            """
            ),
            {"t": subject_type, "i": subject_id, "ents": list(who.entity_ids)},
        )
        .all()
    )
    reader = Reader(who.username, who.roles, who.entity_ids)
    keys = ("at", "actor", "acting_for", "action", "before", "after", "entity_id")
    return [
        dict(zip(keys, r, strict=True))
        for r in rows
        if may_read_audit_row(reader, entity_id=r[6], actor=r[1], acting_for=r[2])
    ]
