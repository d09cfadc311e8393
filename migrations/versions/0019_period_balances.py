"""period balances: journal line totals per entity, period, account, currency, kept as lines post.

Revision ID: 0019
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The grouping every writer of the table uses; ORDER BY the key so concurrent posters lock rows in one order.
_ROLLUP = """
SELECT l.entity_id, e.period, l.account_id, l.currency, l.partner_type IS NOT NULL,
       sum(l.amount), sum(l.amount_func),
       COALESCE(sum(l.amount_func) FILTER (WHERE l.amount_func > 0), 0),
       COALESCE(-sum(l.amount_func) FILTER (WHERE l.amount_func < 0), 0),
       count(*)
  FROM {lines} l JOIN journal_entry e ON e.id = l.entry_id
 GROUP BY 1, 2, 3, 4, 5
 ORDER BY 1, 2, 3, 4, 5
"""
_COLUMNS = "entity_id, period, account_id, currency, partnered, amount, amount_func, debit_func, credit_func, lines"

# A statement-level trigger sees every insert path (the posting service, bulk posting, COPY) once per
# statement; SECURITY DEFINER because the application role may read the balances but never write them.
_TRIGGER = f"""
CREATE OR REPLACE FUNCTION erp_roll_period_balance() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO ledger_period_balance AS b ({_COLUMNS})
  {_ROLLUP.format(lines="new_lines")}
  ON CONFLICT (entity_id, period, account_id, currency, partnered) DO UPDATE
     SET amount = b.amount + EXCLUDED.amount, amount_func = b.amount_func + EXCLUDED.amount_func,
         debit_func = b.debit_func + EXCLUDED.debit_func, credit_func = b.credit_func + EXCLUDED.credit_func,
         lines = b.lines + EXCLUDED.lines;
  RETURN NULL;
END $$;

CREATE TRIGGER journal_line_period_balance AFTER INSERT ON journal_line
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION erp_roll_period_balance();
"""

# The checks every entry must pass at commit, naming what is wrong (the body of 0001's function).
_DETAILED_CHECKS = """
  IF (SELECT count(*) FROM journal_line WHERE entry_id = eid) < 2 THEN
    RAISE EXCEPTION 'journal entry % needs at least two lines', eid USING ERRCODE = 'ER003';
  END IF;
  SELECT currency, sum(amount) AS total INTO bad FROM journal_line WHERE entry_id = eid
    GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal entry % is unbalanced in %: debits - credits = %', eid, bad.currency, bad.total
      USING ERRCODE = 'ER003';
  END IF;
  IF (SELECT sum(amount_func) FROM journal_line WHERE entry_id = eid) <> 0 THEN
    RAISE EXCEPTION 'journal entry % is unbalanced in functional currency', eid USING ERRCODE = 'ER003';
  END IF;
  IF EXISTS (SELECT 1 FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
             WHERE l.entry_id = eid AND l.entity_id <> e.entity_id) THEN
    RAISE EXCEPTION 'journal entry % has lines of another entity', eid USING ERRCODE = 'ER003';
  END IF;
"""
_ASSERT_ORIGINAL = f"""
CREATE OR REPLACE FUNCTION erp_assert_entry_balanced(eid bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
{_DETAILED_CHECKS}
END $$;
"""
# Same checks, one query on the passing path: the deferred triggers call this once per line and once per
# entry at commit, so four queries per call were most of the cost of posting (and of any bulk load).
_ASSERT_ONE_PASS = f"""
CREATE OR REPLACE FUNCTION erp_assert_entry_balanced(eid bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  bad record;
  ok boolean;
BEGIN
  SELECT sum(c.n) >= 2 AND sum(c.func) = 0 AND bool_and(c.total = 0) AND bool_and(c.own) INTO ok
    FROM (SELECT count(*) AS n, sum(l.amount_func) AS func, sum(l.amount) AS total,
                 bool_and(l.entity_id = e.entity_id) AS own
            FROM journal_line l JOIN journal_entry e ON e.id = l.entry_id
           WHERE l.entry_id = eid GROUP BY l.currency) c;
  IF ok THEN
    RETURN;
  END IF;
{_DETAILED_CHECKS}
END $$;
"""


def upgrade() -> None:
    """Create the table, backfill it from the journal under a lock, then keep it by trigger."""
    op.create_table(
        "ledger_period_balance",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("partnered", sa.Boolean(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("amount_func", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("debit_func", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("credit_func", sa.Numeric(precision=20, scale=4), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.CheckConstraint("debit_func >= 0 AND credit_func >= 0", name="ledger_period_balance_sides"),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["entity_id"], ["entity.id"]),
        sa.PrimaryKeyConstraint("entity_id", "period", "account_id", "currency", "partnered"),
    )
    # No line may land between the backfill and the trigger: both happen under this lock.
    op.execute("LOCK TABLE journal_line IN SHARE ROW EXCLUSIVE MODE")
    op.execute(f"INSERT INTO ledger_period_balance ({_COLUMNS}) {_ROLLUP.format(lines='journal_line')}")
    op.execute(_TRIGGER)
    op.execute(_ASSERT_ONE_PASS)
    op.execute("GRANT SELECT ON ledger_period_balance TO erp_app")
    op.execute("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON ledger_period_balance FROM erp_app")


def downgrade() -> None:
    """Drop the trigger, its function and the table, and restore the four-query entry check."""
    op.execute(_ASSERT_ORIGINAL)
    op.execute("DROP TRIGGER journal_line_period_balance ON journal_line")
    op.execute("DROP FUNCTION erp_roll_period_balance()")
    op.drop_table("ledger_period_balance")
