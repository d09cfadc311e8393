"""Where a soak's wall time goes: seconds per phase (commands, waits for workflows, faults, each daily check).

The soak prints the table with its summary, so a slow day can be told from a slow machine."""

import time
from collections.abc import Iterator
from contextlib import contextmanager


class PhaseClock:
    """Seconds spent per named phase; phases may nest (the outer one includes the inner)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Time the block under `name`."""
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - started

    def table(self, top: int = 12) -> str:
        """The slowest phases, one line: `name 12.3 s; ...`."""
        return "; ".join(
            f"{name} {secs:.1f} s" for name, secs in sorted(self.seconds.items(), key=lambda kv: -kv[1])[:top]
        )
