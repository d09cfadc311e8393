"""Postings of the close: month-end accruals and FX revaluation, each with its day-1 reversal."""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from rules.accounts import AccountRole
from rules.money import quantize
from rules.periods import next_period, period_bounds
from rules.posting_rules import accrual, fx_revaluation
from services.core import fx, ledger
from services.core.ledger import LineIn, PostedEntry, PostingRequest

SOURCE_ACCRUAL = "period_close_accrual"
SOURCE_FX = "fx_revaluation"
CLOSE_ACTOR = "close"
# Foreign-currency balances the close revalues: payables, receivables, and the intercompany ones (left at
# their booking rate, they would no longer eliminate against the other entity's side at the closing rate).
REVALUED = (AccountRole.AP, AccountRole.AR, AccountRole.IC_RECEIVABLE, AccountRole.IC_PAYABLE)


def _post_with_reversal(
    session: Session,
    *,
    entity_id: int,
    key: str,
    period: str,
    source_type: str,
    source_id: str,
    currency: str,
    lines: Sequence[LineIn],
    memo: str,
) -> tuple[PostedEntry, PostedEntry]:
    """Post at period end and mirror it on day 1 of the next period (partner tags kept on both)."""
    _, end = period_bounds(period)
    first_of_next, _ = period_bounds(next_period(period))
    common: dict[str, Any] = {
        "entity_id": entity_id,
        "source_type": source_type,
        "source_id": source_id,
        "currency": currency,
        "fx_rate": Decimal(1),
        "actor": CLOSE_ACTOR,
        # The period is soft-closed by now: the close itself is a closer.
        "actor_is_closer": True,
    }
    posted = ledger.post(
        session, PostingRequest(idempotency_key=key, posting_date=end, lines=lines, memo=memo, **common)
    )
    mirrored = [
        LineIn(x.account, -x.amount, f"reversal: {x.memo}", x.partner_type, x.partner_id) for x in lines
    ]
    # ledger.reverse drops partner tags, which would leave next month's subledger short: post the mirror.
    back = ledger.post(
        session,
        PostingRequest(
            idempotency_key=f"{key}:reversal",
            posting_date=first_of_next,
            lines=mirrored,
            memo=f"reversal: {memo}",
            reverses_entry_id=posted.entry_id,
            **common,
        ),
    )
    return posted, back


def post_accruals(
    session: Session, entity_id: int, entity_code: str, period: str, currency: str
) -> list[dict[str, Any]]:
    """Post every requested accrual of the period once, with its automatic reversal on day 1."""
    rows = (
        session.connection()
        .execute(
            text(
                "SELECT id, n, description, expense_role, amount FROM close_accrual"
                " WHERE entity_id = :e AND period = :p ORDER BY n FOR UPDATE"
            ),
            {"e": entity_id, "p": period},
        )
        .all()
    )
    done: list[dict[str, Any]] = []
    for r in rows:
        draft = accrual(Decimal(r.amount), AccountRole(r.expense_role), currency)
        posted, back = _post_with_reversal(
            session,
            entity_id=entity_id,
            key=f"close:{entity_code}:{period}:accrual:{r.n}",
            period=period,
            source_type=SOURCE_ACCRUAL,
            source_id=f"{entity_code}-{period}-{r.n}",
            currency=currency,
            lines=[LineIn(d.role, d.amount, d.memo) for d in draft.lines],
            memo=r.description,
        )
        session.connection().execute(
            text(
                "UPDATE close_accrual SET status = 'posted', entry_id = :a, reversal_entry_id = :b WHERE id = :i"
            ),
            {"a": posted.entry_id, "b": back.entry_id, "i": r.id},
        )
        done.append(
            {
                "n": r.n,
                "description": r.description,
                "amount": f"{Decimal(r.amount):.2f}",
                "entry_id": posted.entry_id,
                "reversal_entry_id": back.entry_id,
            }
        )
    return done


def _accounts_of(session: Session, entity_id: int, roles: tuple[str, ...]) -> list[int]:
    """The ids of an entity's accounts with these roles (known ids let the lines be read by index)."""
    rows = session.connection().execute(
        text("SELECT id FROM account WHERE entity_id = :e AND role = ANY(CAST(:r AS text[]))"),
        {"e": entity_id, "r": list(roles)},
    )
    return [int(r[0]) for r in rows]


def _has_foreign_open_items(session: Session, entity_id: int, period: str, currency: str) -> bool:
    """Whether any AP/AR (or intercompany) line up to the period is in a currency other than the functional one."""
    return bool(
        session.connection()
        .execute(
            text(
                "SELECT EXISTS (SELECT 1 FROM ledger_period_balance b JOIN account a ON a.id = b.account_id"
                " WHERE b.entity_id = :e AND b.period <= :p AND b.currency <> :func AND a.role = ANY(CAST(:roles AS text[])))"
            ),
            {"e": entity_id, "p": period, "func": currency, "roles": list(REVALUED)},
        )
        .scalar_one()
    )


def grni_open(session: Session, entity_id: int, as_of: date) -> list[dict[str, Any]]:
    """Goods received not invoiced at a date, per purchase document (already a liability at receipt)."""
    rows = session.connection().execute(
        text(
            """
            SELECT e.source_type, e.source_id, -sum(l.amount_func) AS open_value
              FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
             WHERE l.entity_id = :e AND e.posting_date <= :d
               AND l.account_id = ANY(CAST(:accounts AS int[])) AND a.role = 'grni'
             GROUP BY e.source_type, e.source_id HAVING sum(l.amount_func) <> 0
             ORDER BY 3 DESC, 2 LIMIT 200
            """
        ),
        {"e": entity_id, "d": as_of, "accounts": _accounts_of(session, entity_id, ("grni",))},
    )
    return [{"source_type": r[0], "source_id": r[1], "open_value": f"{Decimal(r[2]):.2f}"} for r in rows]


# Foreign-currency open items per partner and currency, what realised exchange differences already moved on them
# (posted in the functional currency, so not in `open_items`), and what this period's revaluations already booked.
# A partner owed in two currencies is revalued per currency, so each functional amount belongs to one of them:
# a realised difference to the currency of the payment (or receipt) it was realised on, on the same account and
# partner (a run's `payrun:{run}:invoice:{id}:fx` sits next to its `...:payment`, the PO's own payment likewise,
# a receipt's `je:{receipt entry}:{role}:realised_fx` names the receipt); one that names no payment (a manual
# journal) to the partner's first open currency, so it still counts once. A revaluation line names its currency
# last in its memo (`_line_memo`).
_OPEN_ITEMS = """
WITH open_items AS (
  SELECT a.role, l.partner_type, l.partner_id, l.currency, sum(l.amount) AS amount, sum(l.amount_func) AS func
    FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
   WHERE l.entity_id = :e AND a.role = ANY(CAST(:roles AS text[])) AND l.currency <> :func AND e.posting_date <= :d
   GROUP BY a.role, l.partner_type, l.partner_id, l.currency HAVING sum(l.amount) <> 0),
realised_lines AS (
  SELECT a.role, l.partner_type, l.partner_id, paid.currency, l.amount_func AS func
    FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
    LEFT JOIN LATERAL (
      SELECT min(pl.currency) AS currency FROM journal_entry p JOIN journal_line pl ON pl.entry_id = p.id
       WHERE (p.idempotency_key = regexp_replace(e.idempotency_key, :fx_tail, :payment_tail)
              OR p.id = CAST(substring(e.idempotency_key FROM :receipt_ref) AS bigint))
         AND pl.account_id = l.account_id AND pl.currency <> :func
         AND pl.partner_type IS NOT DISTINCT FROM l.partner_type AND pl.partner_id IS NOT DISTINCT FROM l.partner_id
    ) paid ON true
   WHERE l.entity_id = :e AND a.role = ANY(CAST(:roles AS text[])) AND l.currency = :func AND e.posting_date <= :d
     AND e.source_type <> :src
     AND EXISTS (SELECT 1 FROM journal_line g JOIN account ga ON ga.id = g.account_id
                  WHERE g.entry_id = e.id AND ga.role = 'fx_gain_loss')),
realised AS (
  SELECT r.role, r.partner_type, r.partner_id,
         COALESCE(r.currency, (SELECT min(f.currency) FROM open_items f
                                WHERE f.role = r.role AND f.partner_type IS NOT DISTINCT FROM r.partner_type
                                  AND f.partner_id IS NOT DISTINCT FROM r.partner_id)) AS currency,
         sum(r.func) AS func
    FROM realised_lines r GROUP BY 1, 2, 3, 4),
booked AS (
  SELECT a.role, l.partner_type, l.partner_id, right(l.memo, 3) AS currency, sum(l.amount_func) AS func
    FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id JOIN account a ON a.id = l.account_id
   WHERE l.entity_id = :e AND e.source_type = :src AND e.source_id = :sid AND e.posting_date <= :d
     AND a.role = ANY(CAST(:roles AS text[]))
   GROUP BY 1, 2, 3, 4)
SELECT o.role, o.partner_type, o.partner_id, o.currency, o.amount, o.func + COALESCE(r.func, 0) AS func,
       COALESCE(b.func, 0) AS booked
  FROM open_items o LEFT JOIN booked b ON b.role = o.role AND b.partner_type IS NOT DISTINCT FROM o.partner_type
   AND b.partner_id IS NOT DISTINCT FROM o.partner_id AND b.currency = o.currency
  LEFT JOIN realised r ON r.role = o.role AND r.partner_type IS NOT DISTINCT FROM o.partner_type
   AND r.partner_id IS NOT DISTINCT FROM o.partner_id AND r.currency = o.currency
 ORDER BY o.role, o.partner_type, o.partner_id, o.currency
"""


def _line_memo(memo: str, currency: str) -> str:
    """A revaluation line's memo: the currency it revalues comes last (a later round reads it back)."""
    return f"{memo} {currency}"


def _foreign_open_items(
    session: Session, entity_id: int, period: str, currency: str, source_id: str
) -> list[Any]:
    """The open foreign-currency items per role, partner and currency, with what earlier rounds booked."""
    # Without a foreign-currency AP/AR (or intercompany) line there is nothing to revalue: the period balances tell at once.
    if not _has_foreign_open_items(session, entity_id, period, currency):
        return []
    params = {
        "e": entity_id,
        "func": currency,
        "d": period_bounds(period)[1],
        "src": SOURCE_FX,
        "sid": source_id,
        "roles": list(REVALUED),
        # How a realised difference names its payment (see _OPEN_ITEMS); bound, as the colons are SQL's.
        "fx_tail": ":fx$",
        "payment_tail": ":payment",
        "receipt_ref": "^je:([0-9]+):",
    }
    return list(session.connection().execute(text(_OPEN_ITEMS), params).all())


def revalue_fx(
    session: Session, entity_id: int, entity_code: str, period: str, currency: str, round_no: int
) -> dict[str, Any]:
    """Revalue open foreign-currency payables and receivables (intercompany ones too) at the period-end rate
    (reversed on day 1)."""
    _, end = period_bounds(period)
    source_id = f"{entity_code}-{period}"
    rows = _foreign_open_items(session, entity_id, period, currency, source_id)
    lines: list[LineIn] = []
    items: list[dict[str, Any]] = []
    gain_loss = Decimal(0)
    for r in rows:
        rate = fx.rate(session, r.currency, currency, end)
        target = quantize(Decimal(r.amount) * rate, currency)
        # A second round after a send-back books only what the first did not.
        delta = target - Decimal(r.func) - Decimal(r.booked)
        items.append(
            {
                "role": r.role,
                "partner": f"{r.partner_type}:{r.partner_id}",
                "currency": r.currency,
                "open_amount": f"{Decimal(r.amount):.2f}",
                "rate": str(rate),
                "revaluation": f"{delta:.2f}",
            }
        )
        if delta == 0:
            continue
        for d in fx_revaluation(delta, AccountRole(r.role), currency).lines:
            if d.role == AccountRole.FX_GAIN_LOSS:
                gain_loss += d.amount
            else:
                lines.append(
                    LineIn(d.role, d.amount, _line_memo(d.memo, r.currency), r.partner_type, r.partner_id)
                )
    entry_id: int | None = None
    if lines:
        lines.append(LineIn(AccountRole.FX_GAIN_LOSS, gain_loss, "unrealised FX result"))
        posted, _ = _post_with_reversal(
            session,
            entity_id=entity_id,
            key=f"close:{entity_code}:{period}:fx:r{round_no}",
            period=period,
            source_type=SOURCE_FX,
            source_id=source_id,
            currency=currency,
            lines=lines,
            memo=f"FX revaluation {period}",
        )
        entry_id = posted.entry_id
    return {"open_items": items, "fx_result": f"{-gain_loss:.2f}", "entry_id": entry_id}


__all__ = ["grni_open", "post_accruals", "revalue_fx"]
