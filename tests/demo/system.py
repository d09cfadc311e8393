"""A whole demo system for one test: its own seeded database (copied from a template), its own
Temporal dev server, and the API and a worker as processes, exactly as `erp up` runs them."""

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from sqlalchemy import make_url
from sqlmodel import Session

from erp.db import make_engine
from erp.demo.seed import seed_demo
from erp.embedded import start_temporal_dev_server, stop_process, wait_for_port
from erp.migrate import upgrade
from erp.settings import PROJECT_ROOT


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _admin(url: str) -> str:
    """A libpq conninfo to the server's maintenance database."""
    return (
        make_url(url).set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    )


def seeded_template(url: str) -> str:
    """A migrated database holding the demo retailer, to copy from; returns its name."""
    name = f"demo_tpl_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    tpl = make_url(url).set(database=name).render_as_string(hide_password=False)
    upgrade(tpl)
    engine = make_engine(tpl, app_role="erp_app")
    with Session(engine) as session:
        assert seed_demo(session)
        session.commit()
    engine.dispose()  # CREATE DATABASE ... TEMPLATE needs the template without connections
    return name


# The copy holds each sequence's page as the template had it, with values the template logged ahead but the
# copy never logged: after a crash the copy's sequences would go back and hand out ids again (the soak found
# a duplicate fifo_layer id after a PostgreSQL restart). setval writes each sequence's value to the WAL.
_RELOG_SEQUENCES = """
DO $$ DECLARE s regclass; BEGIN
  FOR s IN SELECT c.oid::regclass FROM pg_class c WHERE c.relkind = 'S' LOOP
    EXECUTE format('SELECT setval(%L, last_value, is_called) FROM %s', s, s);
  END LOOP;
END $$
"""


def copy_database(url: str, template: str) -> str:
    """A fresh copy of the template, its sequences logged as its own; returns its SQLAlchemy URL."""
    name = f"demo_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_admin(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    copy = make_url(url).set(database=name)
    conninfo = copy.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(_RELOG_SEQUENCES)
    return copy.render_as_string(hide_password=False)


@dataclass(frozen=True)
class DemoSystem:
    """Where the running demo system answers."""

    api: str
    database_url: str


@contextmanager
def demo_system(url: str, template: str) -> Iterator[DemoSystem]:
    """Start Temporal, a worker and the API on a fresh copy of the seeded database; stop them after."""
    db = copy_database(url, template)
    temporal_port, api_port = free_port(), free_port()
    temporal = start_temporal_dev_server(None, port=temporal_port, ui_port=None)
    env = {
        **os.environ,
        "DATABASE_URL": db,
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "ERP_WORKER_METRICS_PORT": "0",
    }
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for args in (["worker"], ["api", "--port", str(api_port)]):
            procs.append(
                subprocess.Popen([sys.executable, "-m", "erp.cli.main", *args], cwd=PROJECT_ROOT, env=env)
            )
        wait_for_port("127.0.0.1", api_port, timeout=60, proc=procs[-1])
        yield DemoSystem(f"http://127.0.0.1:{api_port}", db)
    finally:
        for proc in reversed(procs):
            stop_process(proc)
        stop_process(temporal)
