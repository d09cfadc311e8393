"""A short soak in every CI run: two simulated days of the demo retailer's business through the API
while one fault of every kind is injected (worker SIGKILL, API killed, PostgreSQL crashed, Temporal
restarted, slow database, duplicated, reordered and timed-out requests), and every invariant is
checked at the end of each day. The business includes a marketplace payout report, a transfer that
spends the night in transit, a cycle count and the close of last month with its sign-off.
`make soak` runs the long proof (60 days, 300 faults)."""

from pathlib import Path

import pytest

from erp.embedded import ensure_database, start_postgres
from tests.chaos.daily_checks import CHECKS_PER_DAY
from tests.chaos.fault_plan import FAULT_KINDS
from tests.chaos.faults import stop_postgres
from tests.chaos.soak import run_soak
from tests.demo.system import seeded_template

pytestmark = pytest.mark.slow


def test_two_days_of_business_under_every_kind_of_fault_keep_every_invariant(tmp_path: Path) -> None:
    # Its own PostgreSQL: the soak crashes and restarts it, which the suite's shared server must not see.
    pg = start_postgres(tmp_path / "pg")
    try:
        admin = ensure_database(pg.get_uri(), "erp_soak")
        template = seeded_template(admin)
        report = run_soak(admin, template, pg, tmp_path / "run", seed=11, days=2, faults=len(FAULT_KINDS))
    finally:
        stop_postgres(pg)
    print("\n" + "\n".join(report.lines()))
    assert not report.failed, report.failed
    assert report.days == 2
    assert all(report.injected[kind] >= 1 for kind in FAULT_KINDS), report.injected
    assert report.checks_passed == 2 * CHECKS_PER_DAY
    assert report.documents["orders"] > 0 and report.documents["supplier invoices"] > 0, report.documents
    for stream in ("orders settled", "transfers", "transfers received", "cycle counts", "closes signed off"):
        assert report.documents[stream] > 0, report.documents
