"""The 60-day soak (seed 20261130) stopped on day 38: two PostgreSQL crashes were due at the end of the
day, both ran at once, and the second `pg_ctl restart` shut down the server the first had just started.
Process faults now take turns: here two crashes are injected at once, both happen, and the server is up."""

import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import psycopg
from sqlalchemy import make_url

from erp.embedded import ensure_database, start_postgres
from tests.chaos.faults import Injector, stop_postgres


def test_two_postgres_crashes_due_at_once_both_happen_and_the_server_comes_back(tmp_path: Path) -> None:
    pg = start_postgres(tmp_path / "pg")
    try:
        url = ensure_database(pg.get_uri(), "two_faults")
        injector = Injector(cast(Any, SimpleNamespace(database_url=url)), pg, random.Random("20261130"))
        threads = [injector.during_next_request("postgres_restart") for _ in range(3)]
        for thread in threads:
            thread.join(300)
        injector.close()
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            answer = conn.execute("SELECT 1").fetchone()
    finally:
        stop_postgres(pg)
    assert injector.errors == []
    assert injector.injected["postgres_restart"] == 3
    assert answer == (1,)
