"""stock move partitions: the stock ledger partitioned by month of its posting date, keys in one narrow table.

Revision ID: 0024
Revises: 0023

Stock moves live in one partition per month, as journal lines do (0020), so a report or a close check that
reads a date window reads only that window's partitions. The partition key is the posting date itself (RANGE,
one month per partition, named and added by period 'YYYY-MM' like the journal's) rather than a period column
(LIST, as journal lines): a line takes its period from another table (its entry), a move's period is its own
posting date's month. PostgreSQL cannot derive a partition key in a BEFORE ROW trigger on a partitioned table
(a row may not change partition there), so a period column would have to be written by every writer and
checked against the date; and every reader of the stock ledger already filters by posting_date, which prunes
partitions as it is, so results stay identical without rewriting a query.

A partitioned table's unique keys must include its partition key, but an idempotency key must stay unique
across all dates: an activity retried after midnight may post the same key with another posting date. So the
ids and keys of all moves live in `stock_move_key` (id, idempotency_key, posting_date), filled by a statement
trigger on stock_move from its transition table in the same statement; its unique index refuses a duplicate
key as stock_move's did (a unique violation, the statement rolls back). The foreign keys to stock_move(id)
(FIFO layers, shipment, return-disposition and cycle-count lines) now reference stock_move_key(id): the key
table holds exactly the moves (both are append-only, only the trigger writes the keys), so those stay real
foreign keys, checked per row as before, rather than per-statement checks. A lookup by key or by id reads the
key table, then the one partition of the move's posting date.

Append-only holds as before: a row trigger on the parent (cloned onto every partition) refuses UPDATE and
DELETE; TRUNCATE is refused on the parent, each partition and the key table. The application role inserts
through the parent only (whose statement trigger keeps the keys) and may not write the key table.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Months with a partition from the start (as the journal's); any other date lands in the default partition
# until an owner runs erp_add_stock_move_partition(period) (the default partition must hold no move of it then).
FIRST_PERIOD = "2024-01"
LAST_PERIOD = "2030-12"

_COLUMNS = (
    "id, entity_id, item_id, location_id, lot, serial, qty, unit_cost, value, reason, source_type, source_id,"
    " idempotency_key, posting_date, journal_entry_id, created_at"
)

_TABLE = """
CREATE TABLE stock_move_partitioned (
  id integer NOT NULL DEFAULT nextval('stock_move_id_seq'),
  entity_id integer NOT NULL,
  item_id integer NOT NULL,
  location_id integer NOT NULL,
  lot varchar,
  serial varchar,
  qty numeric(18, 4) NOT NULL,
  unit_cost numeric(20, 6) NOT NULL,
  value numeric(20, 4) NOT NULL,
  reason varchar(30) NOT NULL,
  source_type varchar(40) NOT NULL,
  source_id varchar(80) NOT NULL,
  idempotency_key varchar(200) NOT NULL,
  posting_date date NOT NULL,
  journal_entry_id integer,
  created_at timestamptz NOT NULL DEFAULT now()
) PARTITION BY RANGE (posting_date)
"""

# Every move's id and idempotency key, unique across the partitions; written only by the trigger below.
_KEYS = """
CREATE TABLE stock_move_key (
  id integer PRIMARY KEY,
  idempotency_key varchar(200) NOT NULL UNIQUE,
  posting_date date NOT NULL
);

CREATE OR REPLACE FUNCTION erp_register_stock_moves() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  INSERT INTO stock_move_key (id, idempotency_key, posting_date)
  SELECT id, idempotency_key, posting_date FROM new_moves;
  RETURN NULL;
END $$;

CREATE TRIGGER stock_move_key_append_only BEFORE UPDATE OR DELETE ON stock_move_key
  FOR EACH ROW EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER stock_move_key_no_truncate BEFORE TRUNCATE ON stock_move_key
  FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change();
"""

# A partition refuses TRUNCATE like its parent (statement triggers are not cloned) and registers the keys of
# moves inserted into it directly (an owner's insert that bypasses the parent); the application role may not
# write to it: inserts go through the parent, whose statement trigger registers their keys.
_ADD_PARTITION = """
CREATE OR REPLACE FUNCTION erp_add_stock_move_partition(p text) RETURNS void LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
DECLARE
  part text := 'stock_move_' || replace(p, '-', '_');
  first_day date;
BEGIN
  IF p !~ '^[0-9]{4}-(0[1-9]|1[0-2])$' THEN
    RAISE EXCEPTION 'period % is not YYYY-MM', p;
  END IF;
  IF to_regclass(part) IS NOT NULL THEN
    RETURN;
  END IF;
  first_day := to_date(p || '-01', 'YYYY-MM-DD');
  EXECUTE format('CREATE TABLE %I PARTITION OF stock_move FOR VALUES FROM (%L) TO (%L)', part, first_day,
                 (first_day + interval '1 month')::date);
  EXECUTE format('CREATE TRIGGER %I BEFORE TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change()',
                 part || '_no_truncate', part);
  EXECUTE format('CREATE TRIGGER %I AFTER INSERT ON %I REFERENCING NEW TABLE AS new_moves'
                 ' FOR EACH STATEMENT EXECUTE FUNCTION erp_register_stock_moves()', part || '_keys', part);
  EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %I FROM erp_app', part);
END $$;

-- The journal's and the stock ledger's partitions of one period, for the owner who adds the months ahead.
CREATE OR REPLACE FUNCTION erp_add_period_partitions(p text) RETURNS void LANGUAGE plpgsql
SET search_path = public, pg_temp AS $$
BEGIN
  PERFORM erp_add_journal_partition(p);
  PERFORM erp_add_stock_move_partition(p);
END $$;
"""

_DEFAULT_PARTITION = """
CREATE TABLE stock_move_default PARTITION OF stock_move DEFAULT;
CREATE TRIGGER stock_move_default_no_truncate BEFORE TRUNCATE ON stock_move_default
  FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER stock_move_default_keys AFTER INSERT ON stock_move_default REFERENCING NEW TABLE AS new_moves
  FOR EACH STATEMENT EXECUTE FUNCTION erp_register_stock_moves();
"""

_MOVE_TRIGGERS = """
CREATE TRIGGER stock_move_keys AFTER INSERT ON stock_move REFERENCING NEW TABLE AS new_moves
  FOR EACH STATEMENT EXECUTE FUNCTION erp_register_stock_moves();
CREATE TRIGGER stock_move_append_only BEFORE UPDATE OR DELETE ON stock_move
  FOR EACH ROW EXECUTE FUNCTION erp_forbid_change();
CREATE TRIGGER stock_move_no_truncate BEFORE TRUNCATE ON stock_move
  FOR EACH STATEMENT EXECUTE FUNCTION erp_forbid_change();
"""

# The tables whose column named a stock move by id: the key now references stock_move_key(id).
_REFERENCES = (
    ("fifo_layer", "move_id"),
    ("shipment_line", "stock_move_id"),
    ("return_disposition", "stock_move_id"),
    ("cycle_count_line", "stock_move_id"),
)


def upgrade() -> None:
    """Move the stock ledger into a partitioned table under a lock, keys into stock_move_key."""
    tables = ", ".join(["stock_move", *(t for t, _ in _REFERENCES)])
    op.execute(f"LOCK TABLE {tables} IN SHARE ROW EXCLUSIVE MODE")
    for table, column in _REFERENCES:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_{column}_fkey")
    op.execute(_KEYS)
    op.execute(_TABLE)
    op.execute("ALTER TABLE stock_move RENAME TO stock_move_unpartitioned")
    op.execute("ALTER TABLE stock_move_partitioned RENAME TO stock_move")
    op.execute(_ADD_PARTITION)
    op.execute(_DEFAULT_PARTITION)
    op.execute(
        f"""SELECT erp_add_stock_move_partition(p) FROM (
              SELECT to_char(m, 'YYYY-MM') AS p
                FROM generate_series(DATE '{FIRST_PERIOD}-01', DATE '{LAST_PERIOD}-01', INTERVAL '1 month') AS m
              UNION SELECT DISTINCT to_char(posting_date, 'YYYY-MM') FROM stock_move_unpartitioned) AS periods
            ORDER BY p"""
    )
    op.execute(_MOVE_TRIGGERS)
    # The insert through the parent registers every copied move's key.
    op.execute(
        f"INSERT INTO stock_move ({_COLUMNS}) SELECT {_COLUMNS} FROM stock_move_unpartitioned ORDER BY id"
    )
    op.execute("ALTER SEQUENCE stock_move_id_seq OWNED BY stock_move.id")
    op.execute("DROP TABLE stock_move_unpartitioned")
    op.execute("ALTER TABLE stock_move ADD CONSTRAINT stock_move_pkey PRIMARY KEY (id, posting_date)")
    op.execute(
        "ALTER TABLE stock_move ADD CONSTRAINT stock_move_nonzero CHECK (qty <> 0 OR value <> 0),"
        " ADD CONSTRAINT stock_move_entity_id_fkey FOREIGN KEY (entity_id) REFERENCES entity (id),"
        " ADD CONSTRAINT stock_move_item_id_fkey FOREIGN KEY (item_id) REFERENCES item (id),"
        " ADD CONSTRAINT stock_move_location_id_fkey FOREIGN KEY (location_id) REFERENCES location (id),"
        " ADD CONSTRAINT stock_move_journal_entry_id_fkey FOREIGN KEY (journal_entry_id) REFERENCES journal_entry (id)"
    )
    op.execute("CREATE INDEX ix_stock_move_entity_id ON stock_move (entity_id)")
    op.execute("CREATE INDEX stock_move_item_location ON stock_move (item_id, location_id)")
    op.execute("CREATE INDEX stock_move_sales_by_day ON stock_move (entity_id, posting_date) WHERE reason = 'sale'")
    for table, column in _REFERENCES:
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_fkey FOREIGN KEY ({column})"
            " REFERENCES stock_move_key (id)"
        )
    op.execute("GRANT SELECT, INSERT ON stock_move TO erp_app")
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON stock_move FROM erp_app")
    op.execute("GRANT SELECT ON stock_move_key TO erp_app")
    op.execute("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON stock_move_key FROM erp_app")
    op.execute("REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON stock_move_default FROM erp_app")
    op.execute("REVOKE ALL ON FUNCTION erp_add_stock_move_partition(text) FROM PUBLIC")
    op.execute("REVOKE ALL ON FUNCTION erp_add_period_partitions(text) FROM PUBLIC")
    op.execute("ANALYZE stock_move, stock_move_key")


def downgrade() -> None:
    """Not supported: restore the database from before 0024 (the partitioned moves cannot be split back cheaply)."""
    raise NotImplementedError("0024 is one-way: restore a backup taken before it")
