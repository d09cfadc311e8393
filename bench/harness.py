"""Benchmark plumbing: a fresh embedded database, timing, and the results table."""

import json
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from erp.db import make_engine
from erp.embedded import ensure_database, start_postgres
from erp.migrate import upgrade


@dataclass
class Result:
    """One benchmark line: the measured figure, its baseline from the same run, and their ratio."""

    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """value / baseline (for throughputs <1 means slower than the baseline)."""
        return self.value / self.baseline if self.baseline else None


@contextmanager
def fresh_database() -> Iterator[tuple[str, Engine]]:
    """A migrated database on a throwaway embedded server."""
    tmp = tempfile.mkdtemp(prefix="erp-bench-")
    server = start_postgres(Path(tmp) / "pg")
    url = ensure_database(server.get_uri(), f"bench_{uuid.uuid4().hex[:6]}")
    upgrade(url)
    engine = make_engine(url, app_role="erp_app", pool_size=20)
    try:
        yield url, engine
    finally:
        engine.dispose()


def timed(fn: Callable[[], Any]) -> float:
    """Wall seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (0-100) of samples."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[max(0, min(98, int(p) - 1))]


def report(results: list[Result], path: Path) -> None:
    """Print a table and write the JSON file."""
    print(f"\nmachine: {platform.machine()} {platform.processor() or ''}, python {platform.python_version()}")
    print(f"{'benchmark':<52} {'value':>12} {'unit':<14} {'baseline':>12} {'ratio':>7}")
    for r in results:
        base = f"{r.baseline:,.1f}" if r.baseline is not None else "-"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        print(f"{r.name:<52} {r.value:>12,.1f} {r.unit:<14} {base:>12} {ratio:>7}")
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": platform.platform(),
        "cpus": __import__("os").cpu_count(),
        "results": [{**asdict(r), "ratio": r.ratio} for r in results],
    }
    path.write_text(json.dumps(payload, indent=2, default=str))
    print(f"\nwritten to {path}")
