"""Proof by simulation: days of retail business through the real API while a seeded schedule injects
faults (worker SIGKILL, API process killed, PostgreSQL crashed, Temporal server restarted, a slow
database, duplicated and reordered requests, client timeouts and retries), with every invariant
checked after every simulated day.

The same seed gives the same business and the same fault schedule; a failure prints the seed, the
day and the step. `python -m tests.chaos.soak --days 60 --faults 300 --seed 1` (`make soak`) runs the
long proof on its own embedded PostgreSQL; the suite runs a short one (tests/chaos/test_soak.py).

Simulated days are business dates carried by every command (order, receipt and invoice dates), as in
`erp simulate`: the Temporal dev server's clock cannot be moved, and the time-skipping test server
cannot run the API and worker as separate processes, which the process faults need."""

import argparse
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from erp.db import make_engine
from erp.demo.simulation_state import SimulationError
from erp.embedded import ensure_database, start_postgres
from tests.chaos.daily_checks import DayChecks, check_day
from tests.chaos.edge import System
from tests.chaos.fault_plan import fault_plan, tally
from tests.chaos.faults import STARTUP_SECONDS, Injector, stop_postgres
from tests.chaos.soak_client import SoakSimulator
from tests.chaos.soak_clock import PhaseClock
from tests.demo.system import copy_database, seeded_template


@dataclass
class SoakReport:
    """What a run did: days, documents, faults by kind, checks passed, and the first day that failed."""

    seed: int
    days: int = 0
    planned: dict[str, int] = field(default_factory=dict)
    injected: dict[str, int] = field(default_factory=dict)
    revived: dict[str, int] = field(default_factory=dict)
    worker_exits: list[int] = field(default_factory=list)
    documents: dict[str, int] = field(default_factory=dict)
    checks_passed: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    phases: str = ""

    @property
    def faults(self) -> int:
        """Faults injected in all."""
        return sum(self.injected.values())

    def lines(self) -> list[str]:
        """The summary, one fact per line."""
        return [
            f"seed {self.seed}: {self.days} simulated day(s) in {self.seconds:.0f} s",
            "documents: " + ", ".join(f"{k} {v}" for k, v in self.documents.items()),
            f"faults injected: {self.faults} " + str(self.injected),
            f"processes brought back by the supervisor: {self.revived}, worker exit codes {self.worker_exits}",
            f"invariant checks passed: {self.checks_passed}",
            f"where the time went: {self.phases}",
            *(f"FAILED: {f}" for f in self.failed),
        ]


def run_soak(
    admin_url: str, template: str, pg: object, workdir: Path, seed: int, days: int, faults: int
) -> SoakReport:
    """A fresh copy of the demo retailer, its own Temporal, API and worker; `days` days under `faults` faults."""
    started = time.monotonic()
    plan = fault_plan(seed, days, faults)
    report = SoakReport(seed=seed, planned=tally(plan))
    workdir.mkdir(parents=True, exist_ok=True)
    system = System(copy_database(admin_url, template), workdir, update_timeout=3.0)
    engine = make_engine(system.database_url, app_role="erp_app")
    injector = Injector(system, pg, random.Random(f"timing-{seed}"))
    clock = PhaseClock()
    try:
        system.start_temporal()
        system.start_api(timeout=STARTUP_SECONDS)
        system.start_worker()
        sim = SoakSimulator(system.api_url, seed, plan, injector, clock)
        address = system.env["TEMPORAL_ADDRESS"]

        def end_of_day(done: int) -> None:
            sim.step = f"day {done}, end of day"
            sim.faults_left_today()
            checks: DayChecks = check_day(
                done, engine, address, sim.accepted, seed, sim.refused, clock, sim.counted
            )
            report.days, report.checks_passed = done, report.checks_passed + checks.passed
            report.failed += [f"day {done}: {v}" for v in checks.violations + sim.day_findings()]
            if report.failed:
                raise SimulationError("invariants broken")
            sim.day, sim.at = done, 0
            print(
                f"soak seed {seed}: day {done} done at {time.monotonic() - started:.0f} s ({clock.table(6)})",
                flush=True,
            )

        try:
            summary = sim.run(days, progress=end_of_day)
            report.documents = {label: count for label, count in summary.rows()}
        except SimulationError as exc:
            if not report.failed:
                report.failed.append(f"{sim.step}: {exc}")
            report.failed.append(
                f"replay with: python -m tests.chaos.soak --seed {seed} --days {days} --faults {faults}"
            )
    finally:
        report.phases = clock.table()
        report.injected, report.revived = dict(injector.injected), dict(injector.revived)
        report.worker_exits = list(injector.exits)
        injector.close()
        engine.dispose()
        system.stop()
        report.seconds = time.monotonic() - started
    return report


def main() -> None:
    """`make soak`: the long run on its own embedded PostgreSQL; exit 1 when an invariant broke."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--faults", type=int, default=300)
    parser.add_argument("--seed", type=int, default=int(os.environ.get("ERP_SOAK_SEED", "20261130")))
    parser.add_argument(
        "--keep", type=Path, help="keep the database, Temporal file and logs in this directory"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="erp-soak-") as tmp:
        where = args.keep or Path(tmp)
        pg = start_postgres(where / "pg", keep_running=args.keep is not None)
        admin = ensure_database(pg.get_uri(), "erp_soak_admin")
        template = seeded_template(admin)
        try:
            report = run_soak(admin, template, pg, where / "run", args.seed, args.days, args.faults)
        finally:
            if args.keep is None:
                stop_postgres(pg)
    print("\n".join(report.lines()))
    sys.exit(1 if report.failed else 0)


if __name__ == "__main__":
    main()
