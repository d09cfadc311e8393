"""Run Alembic migrations programmatically (what `erp migrate` and the fixtures call), then make sure the
ledgers' monthly partitions reach far enough ahead."""

from datetime import date

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from erp.settings import PROJECT_ROOT

# Months ahead whose journal and stock partitions every migration run makes sure of: a month's lines that
# arrive before its partition land in the default partition, and the partition can then no longer be added
# without moving them (docs/controls.md).
MONTHS_AHEAD = 24


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision` (idempotent); at head, the partitions of the months ahead too."""
    command.upgrade(alembic_config(url), revision)
    if revision == "head":
        add_partitions_ahead(url)


def add_partitions_ahead(url: str, today: date | None = None, months: int = MONTHS_AHEAD) -> list[str]:
    """Add the journal and stock partitions of this month and the `months` after it that are missing and whose
    rows are not already in a default partition; returns the months added."""
    first = (today or date.today()).replace(day=1)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            added = conn.execute(text(_ADD_AHEAD), {"first": first, "months": months}).scalars().all()
    finally:
        engine.dispose()
    return [str(p) for p in added]


# A month is skipped when a default partition already holds its rows (an owner moves them first); the functions
# return at once for a partition that exists.
_ADD_AHEAD = """
WITH months AS (
  SELECT to_char(m, 'YYYY-MM') AS p
    FROM generate_series(CAST(:first AS date), CAST(:first AS date) + make_interval(months => :months),
                         interval '1 month') AS m),
missing AS (
  SELECT p FROM months
   WHERE (to_regclass('journal_line_' || replace(p, '-', '_')) IS NULL
          OR to_regclass('stock_move_' || replace(p, '-', '_')) IS NULL)
     AND NOT EXISTS (SELECT 1 FROM journal_line_default d WHERE d.period = p)
     AND NOT EXISTS (SELECT 1 FROM stock_move_default d WHERE to_char(d.posting_date, 'YYYY-MM') = p))
SELECT p FROM missing, LATERAL (SELECT erp_add_period_partitions(p)) AS added ORDER BY p
"""
