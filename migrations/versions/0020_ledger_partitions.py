"""ledger partitions: journal lines partitioned by period, entry checks set-based per statement.

Revision ID: 0020
Revises: 0019

Journal lines carry their entry's period and live in one partition per period, so the close and the period
reports read one period. The checks that ran once per row now run once per statement over its transition
table: the period lock when entries are inserted, the line's entry (same id and period) when lines are
inserted, and the balance of every entry a statement touched at commit (one deferred check per statement).
The foreign keys from a line to its entry and entity became those statement checks: entries are append-only
(nothing can delete the row a key would protect), and the commit check already holds a line's entity to its
entry's, whose entity has its foreign key. Two per-row key lookups per line were most of a bulk load's cost.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Periods with a partition from the start; any other period lands in the default partition until an owner
# runs erp_add_journal_partition(period) (the default partition must hold no line of that period then).
FIRST_PERIOD = "2024-01"
LAST_PERIOD = "2030-12"

_COLUMNS = (
    "id, entry_id, entity_id, account_id, currency, amount, amount_func, fx_rate, memo, partner_type,"
    " partner_id, period"
)

_TABLE = """
CREATE TABLE journal_line_partitioned (
  id integer NOT NULL DEFAULT nextval('journal_line_id_seq'),
  entry_id integer NOT NULL,
  entity_id integer NOT NULL,
  account_id integer NOT NULL,
  currency varchar(3) NOT NULL,
  amount numeric(20, 4) NOT NULL,
  amount_func numeric(20, 4) NOT NULL,
  fx_rate numeric(20, 10) NOT NULL,
  memo varchar NOT NULL,
  partner_type varchar(20),
  partner_id varchar(40),
  period varchar(7) NOT NULL
) PARTITION BY LIST (period)
"""

# A partition refuses TRUNCATE like its parent (statement triggers are not cloned), and the application
# role may not write to it directly: inserts go through the parent, whose statement triggers check them.
_ADD_PARTITION = """
CREATE OR REPLACE FUNCTION erp_add_journal_partition(p text) RETURNS void LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
  part text := 'journal_line_' || replace(p, '-', '_');
BEGIN
  IF p !~ '^[0-9]{4}-[0-9]{2}$' THEN
    RAISE EXCEPTION 'period % is not YYYY-MM', p;
  END IF;
  IF to_regclass(part) IS NOT NULL THEN
    RETURN;
  END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF journal_line FOR VALUES IN (%L)', part, p);
  EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change()',
                 part || '_no_truncate', part);
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %I FROM erp_app', part);
END $$;
"""

# Entries a statement touched, checked together at commit by one deferred trigger per statement.
_CHECK_QUEUE = """
CREATE TABLE journal_check_batch (
  id bigserial PRIMARY KEY,
  xact bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
  entry_ids integer[] NOT NULL
);
CREATE INDEX ix_journal_check_batch_xact ON journal_check_batch (xact);

CREATE OR REPLACE FUNCTION erp_check_batch_balanced() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  bad integer;
  ids integer[];
BEGIN
  -- The first check to fire takes every batch of the transaction (an entry and its lines queue the same id);
  -- the later ones find their batch gone.
  WITH taken AS (DELETE FROM journal_check_batch WHERE xact = pg_current_xact_id()::text::bigint RETURNING entry_ids)
  SELECT array_agg(DISTINCT i) INTO ids FROM taken, unnest(taken.entry_ids) AS i;
  IF ids IS NULL THEN
    RETURN NULL;
  END IF;
  -- One pass over the lines of every queued entry; the detailed function names what is wrong.
  SELECT c.id INTO bad
    FROM (SELECT e.id, sum(x.n) AS n, sum(x.func) AS func, bool_and(x.total = 0) AS per_currency,
                 bool_and(x.own) AS own
            FROM journal_entry e
            LEFT JOIN LATERAL (
                 SELECT count(*) AS n, sum(l.amount_func) AS func, sum(l.amount) AS total,
                        bool_and(l.entity_id = e.entity_id) AS own
                   FROM journal_line l
                  WHERE l.entry_id = e.id AND l.period = e.period
                  GROUP BY l.currency) x ON true
           WHERE e.id = ANY(ids)
           GROUP BY e.id) c
   WHERE NOT COALESCE(c.n >= 2 AND c.func = 0 AND c.per_currency AND c.own, false)
   LIMIT 1;
  IF bad IS NOT NULL THEN
    PERFORM erp_assert_entry_balanced(bad);
    RAISE EXCEPTION 'journal entry % is unbalanced', bad USING ERRCODE = 'ER003';
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER journal_check_batch_balanced AFTER INSERT ON journal_check_batch
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION erp_check_batch_balanced();
"""

_ENTRY_TRIGGERS = """
-- The row trigger only derives the period now; the lock is checked once per statement below.
CREATE OR REPLACE FUNCTION erp_check_entry_period() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.period := to_char(NEW.posting_date, 'YYYY-MM');
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION erp_check_new_entries() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  closed text;
BEGIN
  SELECT n.period INTO closed
    FROM new_entries n JOIN fiscal_period fp ON fp.entity_id = n.entity_id AND fp.period = n.period
   WHERE fp.status = 'closed' LIMIT 1;
  IF closed IS NOT NULL THEN
    RAISE EXCEPTION 'period % is closed: post into an open period', closed USING ERRCODE = 'ER002';
  END IF;
  INSERT INTO journal_check_batch (entry_ids) SELECT array_agg(id) FROM new_entries HAVING count(*) > 0;
  RETURN NULL;
END $$;

DROP TRIGGER journal_entry_has_lines ON journal_entry;
CREATE TRIGGER journal_entry_checks AFTER INSERT ON journal_entry
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION erp_check_new_entries();
"""

# Period balances and the balance queue from the lines a statement inserted (their period is on the line).
_LINE_TRIGGERS = """
CREATE OR REPLACE FUNCTION erp_roll_period_balance() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp SET enable_hashjoin = off SET enable_mergejoin = off AS $$
DECLARE
  orphan record;
BEGIN
  -- The foreign key to the entry, once per statement: a line names an entry of its own period (entries are
  -- append-only, so nothing can take the entry away afterwards; the balance check at commit sees the rest).
  SELECT l.entry_id, l.period INTO orphan FROM new_lines l
   WHERE NOT EXISTS (SELECT 1 FROM journal_entry e WHERE e.id = l.entry_id AND e.period = l.period) LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'journal line names entry % in period %, and there is no such entry', orphan.entry_id,
      orphan.period USING ERRCODE = 'foreign_key_violation';
  END IF;
  INSERT INTO ledger_period_balance AS b (entity_id, period, account_id, currency, partnered, amount,
                                          amount_func, debit_func, credit_func, lines)
  SELECT l.entity_id, l.period, l.account_id, l.currency, l.partner_type IS NOT NULL,
         sum(l.amount), sum(l.amount_func),
         COALESCE(sum(l.amount_func) FILTER (WHERE l.amount_func > 0), 0),
         COALESCE(-sum(l.amount_func) FILTER (WHERE l.amount_func < 0), 0),
         count(*)
    FROM new_lines l
   GROUP BY 1, 2, 3, 4, 5
   ORDER BY 1, 2, 3, 4, 5
  ON CONFLICT (entity_id, period, account_id, currency, partnered) DO UPDATE
     SET amount = b.amount + EXCLUDED.amount, amount_func = b.amount_func + EXCLUDED.amount_func,
         debit_func = b.debit_func + EXCLUDED.debit_func, credit_func = b.credit_func + EXCLUDED.credit_func,
         lines = b.lines + EXCLUDED.lines;
  INSERT INTO journal_check_batch (entry_ids)
  SELECT array_agg(DISTINCT entry_id) FROM new_lines HAVING count(*) > 0;
  RETURN NULL;
END $$;

CREATE TRIGGER journal_line_append_only BEFORE UPDATE OR DELETE ON journal_line
  FOR EACH ROW EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER journal_line_no_truncate BEFORE TRUNCATE ON journal_line
  FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER journal_line_period_balance AFTER INSERT ON journal_line
  REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION erp_roll_period_balance();
"""


def upgrade() -> None:
    """Move the lines into a partitioned table under a lock, then replace the per-row checks."""
    op.execute("LOCK TABLE journal_entry, journal_line IN SHARE ROW EXCLUSIVE MODE")
    op.execute(_TABLE)
    op.execute("ALTER TABLE journal_line RENAME TO journal_line_unpartitioned")
    op.execute("ALTER TABLE journal_line_partitioned RENAME TO journal_line")
    op.execute(_ADD_PARTITION)
    op.execute("CREATE TABLE journal_line_default PARTITION OF journal_line DEFAULT")
    op.execute(
        "CREATE TRIGGER journal_line_default_no_truncate BEFORE TRUNCATE ON journal_line_default"
        " FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change()"
    )
    op.execute(
        f"""SELECT erp_add_journal_partition(p) FROM (
              SELECT to_char(m, 'YYYY-MM') AS p
                FROM generate_series(DATE '{FIRST_PERIOD}-01', DATE '{LAST_PERIOD}-01', INTERVAL '1 month') AS m
              UNION SELECT DISTINCT period FROM journal_entry) AS periods ORDER BY p"""
    )
    op.execute(
        f"INSERT INTO journal_line ({_COLUMNS})"
        " SELECT l.id, l.entry_id, l.entity_id, l.account_id, l.currency, l.amount, l.amount_func, l.fx_rate,"
        " l.memo, l.partner_type, l.partner_id, e.period"
        " FROM journal_line_unpartitioned l JOIN journal_entry e ON e.id = l.entry_id"
    )
    op.execute("ALTER SEQUENCE journal_line_id_seq OWNED BY journal_line.id")
    op.execute("DROP TABLE journal_line_unpartitioned")
    op.execute("ALTER TABLE journal_line ADD CONSTRAINT journal_line_pkey PRIMARY KEY (id, period)")
    op.execute(
        "ALTER TABLE journal_line ADD CONSTRAINT journal_line_nonzero CHECK (amount <> 0 OR amount_func <> 0),"
        " ADD CONSTRAINT journal_line_same_sign"
        " CHECK ((amount >= 0) = (amount_func >= 0) OR amount = 0 OR amount_func = 0),"
        " ADD CONSTRAINT journal_line_account_id_fkey FOREIGN KEY (account_id) REFERENCES account (id)"
    )
    op.execute("CREATE INDEX ix_journal_line_entry_id ON journal_line (entry_id)")
    op.execute("CREATE INDEX journal_line_entity_account ON journal_line (entity_id, account_id)")
    op.execute(_CHECK_QUEUE)
    op.execute(_ENTRY_TRIGGERS)
    op.execute(_LINE_TRIGGERS)
    op.execute("GRANT SELECT, INSERT ON journal_line TO erp_app")
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON journal_line FROM erp_app")
    op.execute("REVOKE ALL ON journal_check_batch FROM erp_app")
    op.execute("REVOKE ALL ON FUNCTION erp_add_journal_partition(text) FROM PUBLIC")


def downgrade() -> None:
    """Not supported: restore the database from before 0020 (the partitioned lines cannot be split back cheaply)."""
    raise NotImplementedError("0020 is one-way: restore a backup taken before it")
