"""The books never disagree: checks a controller (and the crash tests) run at any moment."""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session


@dataclass(frozen=True, slots=True)
class BooksCheck:
    """Totals that must agree for one entity."""

    stock_ledger_value: Decimal
    stock_balance_value: Decimal
    inventory_gl: Decimal
    debits_minus_credits: Decimal
    balance_rows_off_ledger: int
    negative_or_over_reserved: int
    period_balances_off: int = 0

    @property
    def consistent(self) -> bool:
        """True when stock ledger == balances == inventory GL, the GL balances, and no row is off
        (stock balances vs moves, period balances vs journal lines)."""
        return (
            self.stock_ledger_value == self.stock_balance_value == self.inventory_gl
            and self.debits_minus_credits == 0
            and self.balance_rows_off_ledger == 0
            and self.negative_or_over_reserved == 0
            and self.period_balances_off == 0
        )


def check_books(session: Session, entity_id: int) -> BooksCheck:
    """Compute every invariant of an entity's books with set-based SQL."""
    row = (
        session.connection()
        .execute(
            text(
                """
            SELECT
              (SELECT COALESCE(sum(value), 0) FROM stock_move WHERE entity_id = :e),
              (SELECT COALESCE(sum(value), 0) FROM stock_balance WHERE entity_id = :e),
              (SELECT COALESCE(sum(l.amount_func), 0) FROM journal_line l JOIN account a ON a.id = l.account_id
                WHERE l.entity_id = :e AND a.role = 'inventory'),
              (SELECT COALESCE(sum(amount_func), 0) FROM journal_line WHERE entity_id = :e),
              (SELECT count(*) FROM stock_balance b
                 LEFT JOIN (SELECT item_id, location_id, sum(qty) AS q, sum(value) AS v FROM stock_move
                             WHERE entity_id = :e GROUP BY item_id, location_id) m
                   ON m.item_id = b.item_id AND m.location_id = b.location_id
                WHERE b.entity_id = :e AND (b.on_hand <> COALESCE(m.q, 0) OR b.value <> COALESCE(m.v, 0))),
              (SELECT count(*) FROM stock_balance
                WHERE entity_id = :e AND ((on_hand < 0 AND NOT allow_negative) OR reserved < 0
                      OR reserved > GREATEST(on_hand, 0))),
              (SELECT count(*) FROM (SELECT * FROM ledger_period_balance WHERE entity_id = :e) b FULL JOIN (
                 SELECT e.period, l.account_id, l.currency, l.partner_type IS NOT NULL AS partnered,
                        sum(l.amount) AS amount, sum(l.amount_func) AS amount_func,
                        COALESCE(sum(l.amount_func) FILTER (WHERE l.amount_func > 0), 0) AS debit_func,
                        COALESCE(-sum(l.amount_func) FILTER (WHERE l.amount_func < 0), 0) AS credit_func,
                        count(*) AS lines
                   FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
                  WHERE l.entity_id = :e GROUP BY 1, 2, 3, 4) j
                 ON b.period = j.period AND b.account_id = j.account_id AND b.currency = j.currency
                    AND b.partnered = j.partnered
                WHERE (b.amount, b.amount_func, b.debit_func, b.credit_func, b.lines)
                      IS DISTINCT FROM (j.amount, j.amount_func, j.debit_func, j.credit_func, j.lines))
            """
            ),
            {"e": entity_id},
        )
        .one()
    )
    return BooksCheck(
        Decimal(row[0]),
        Decimal(row[1]),
        Decimal(row[2]),
        Decimal(row[3]),
        int(row[4]),
        int(row[5]),
        int(row[6]),
    )
