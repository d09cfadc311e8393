"""Grants for the application role; each migration calls it after creating tables."""

from alembic import op

APPEND_ONLY = ("journal_entry", "journal_line", "stock_move", "audit_event")
# Kept by database triggers only: the app role reads them.
TRIGGER_KEPT = ("ledger_period_balance", "journal_check_batch", "stock_move_key")


def grant_app_role(append_only: tuple[str, ...] = APPEND_ONLY) -> None:
    """The app role may read and write everything except rewriting the append-only ledgers."""
    op.execute("GRANT erp_app TO CURRENT_USER")
    op.execute("GRANT USAGE ON SCHEMA public TO erp_app")
    op.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO erp_app")
    op.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO erp_app")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(append_only)} FROM erp_app")
    for table in TRIGGER_KEPT:
        # A migration older than the table runs before it exists.
        op.execute(
            f"DO $$ BEGIN IF to_regclass('{table}') IS NOT NULL THEN"
            f" REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {table} FROM erp_app; END IF; END $$"
        )
    # Partitions of a ledger (0020, 0024) take writes only through their parent, whose statement triggers check them.
    parents = ", ".join(f"'{t}'" for t in append_only)
    op.execute(
        "DO $$ DECLARE part regclass; BEGIN FOR part IN SELECT inhrelid::regclass FROM pg_inherits"
        f" WHERE inhparent::regclass::text IN ({parents}) LOOP"
        " EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %s FROM erp_app', part); END LOOP; END $$"
    )
