"""A busy worker never freezes on an import lock when garbage is collected while it loads a workflow.

Python 3.11 breaks a module's import lock when a garbage-collector finalizer imports while two
threads contend for that lock (CPython gh-91351): the sandbox reports KeyError(<thread id>) and
the lock stays held for ever, so the next load of the same workflow module waits for ever and the
worker's event loop freezes. The suite's CI run froze exactly so. The worker and every replayer
use the guarded runner, which pauses the collector while a sandbox loads.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def stress(mode: str, rounds: int) -> dict[str, object]:
    """Run the stress script in its own process (a broken lock must not reach this one)."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.workflows.sandbox_load_stress", mode, str(rounds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_plain_sandbox_breaks_its_import_lock_under_this_load() -> None:
    """The hazard is real here: the unguarded sandbox breaks within a few rounds."""
    plain = stress("plain", 8)
    assert plain["errors"] or plain["frozen"], plain
    assert any("KeyError" in e for e in plain["errors"]) or plain["frozen"]  # type: ignore[attr-defined]


def test_the_guarded_sandbox_loads_cleanly_under_the_same_load() -> None:
    """The guarded runner survives as many rounds as break the plain one several times over."""
    guarded = stress("guarded", 4)
    assert guarded == {"rounds": 4, "errors": [], "frozen": False}
