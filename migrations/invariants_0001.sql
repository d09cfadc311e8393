-- Ledger invariants enforced by the database itself, not only by the application.

-- 1. Append-only ledgers: no UPDATE, DELETE or TRUNCATE, whoever connects.
CREATE OR REPLACE FUNCTION erp_forbid_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'table % is append-only: correct it with a reversing entry', TG_TABLE_NAME
    USING ERRCODE = 'ER001';
END $$;

CREATE TRIGGER journal_entry_append_only BEFORE UPDATE OR DELETE ON journal_entry
  FOR EACH ROW EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER journal_line_append_only BEFORE UPDATE OR DELETE ON journal_line
  FOR EACH ROW EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER stock_move_append_only BEFORE UPDATE OR DELETE ON stock_move
  FOR EACH ROW EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
  FOR EACH ROW EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER journal_entry_no_truncate BEFORE TRUNCATE ON journal_entry
  FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER journal_line_no_truncate BEFORE TRUNCATE ON journal_line
  FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER stock_move_no_truncate BEFORE TRUNCATE ON stock_move
  FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
  FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change();

-- 2. An entry's period follows its business date, and nothing is posted into a closed period.
CREATE OR REPLACE FUNCTION erp_check_entry_period() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.period := to_char(NEW.posting_date, 'YYYY-MM');
  IF EXISTS (SELECT 1 FROM fiscal_period fp
             WHERE fp.entity_id = NEW.entity_id AND fp.period = NEW.period AND fp.status = 'closed') THEN
    RAISE EXCEPTION 'period % is closed: post into an open period', NEW.period USING ERRCODE = 'ER002';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER journal_entry_period BEFORE INSERT ON journal_entry
  FOR EACH ROW EXECUTE FUNCTION erp_check_entry_period();

-- 3. Every entry balances per currency (and in functional currency) at commit, with >= 2 lines.
CREATE OR REPLACE FUNCTION erp_assert_entry_balanced(eid bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  bad record;
BEGIN
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
END $$;

CREATE OR REPLACE FUNCTION erp_check_line_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM erp_assert_entry_balanced(NEW.entry_id);
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION erp_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM erp_assert_entry_balanced(NEW.id);
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER journal_line_balanced AFTER INSERT ON journal_line
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION erp_check_line_entry_balanced();
CREATE CONSTRAINT TRIGGER journal_entry_has_lines AFTER INSERT ON journal_entry
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION erp_check_entry_balanced();

-- 4. The application role: everything it needs, but never UPDATE/DELETE/TRUNCATE on ledgers.
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'erp_app') THEN
    CREATE ROLE erp_app NOLOGIN;
  END IF;
END $$;
