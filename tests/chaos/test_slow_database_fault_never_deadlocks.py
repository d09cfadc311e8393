"""The 60-day soak (seed 20261130) stopped on day 28: the slow-database fault put its triggers on the
journal and the stock ledger in one transaction, and a posting that held the stock ledger and then wrote
the journal deadlocked with it. Each table now changes in its own transaction: here a posting holds the
stock ledger while the fault is injected, then writes the journal, and both go through."""

import random
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import psycopg
from sqlalchemy import make_url

from erp.embedded import ensure_database, start_postgres
from tests.chaos.faults import Injector, stop_postgres


def _waiting_for_a_lock(conninfo: str) -> bool:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute("SELECT count(*) FROM pg_locks WHERE NOT granted").fetchone()
    return row is not None and row[0] > 0


def test_a_posting_between_the_two_tables_and_the_slow_database_fault_both_go_through(tmp_path: Path) -> None:
    pg = start_postgres(tmp_path / "pg")
    try:
        url = ensure_database(pg.get_uri(), "slow_fault")
        conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute("CREATE TABLE journal_line (id int)")
            conn.execute("CREATE TABLE stock_move (id int)")
        injector = Injector(cast(Any, SimpleNamespace(database_url=url)), pg, random.Random("20261130"))
        posting_failed: list[BaseException] = []
        with psycopg.connect(conninfo) as posting:
            posting.execute("INSERT INTO stock_move VALUES (1)")  # the posting holds the stock ledger
            fault = injector.during_next_request("slow_db")
            deadline = time.monotonic() + 30
            while not _waiting_for_a_lock(conninfo) and time.monotonic() < deadline:
                time.sleep(0.05)  # until the fault waits for the stock ledger
            try:
                posting.execute("INSERT INTO journal_line VALUES (1)")  # then writes the journal
                posting.commit()
            except psycopg.Error as exc:
                posting_failed.append(exc)
            fault.join(60)
        injector.close()
        with psycopg.connect(conninfo, autocommit=True) as conn:
            triggers = conn.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'soak_slow'").fetchone()
    finally:
        stop_postgres(pg)
    assert posting_failed == []
    assert injector.errors == []
    assert injector.injected["slow_db"] == 1
    assert triggers == (0,)  # closing the injector took the slow database away again
