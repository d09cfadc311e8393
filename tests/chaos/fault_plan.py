"""The soak's fault schedule: which fault comes before which command of which simulated day.

Pure and seeded: the same seed, days and count give the same schedule, so a failing run can be replayed
from the seed it prints. Faults are placed by command number within a day (not by wall time), so the
business and the faults line up the same way on a fast and on a slow machine."""

import random
from dataclasses import dataclass

# Process faults hit a running part of the system; request faults change how the client sends one command.
PROCESS_FAULTS = ("worker_kill", "api_restart", "postgres_restart", "temporal_restart", "slow_db")
REQUEST_FAULTS = ("duplicate", "reorder", "client_timeout")
FAULT_KINDS = PROCESS_FAULTS + REQUEST_FAULTS

# A simulated day sends roughly this many commands (orders, shipments, POs, approvals, receipts, invoices).
COMMANDS_PER_DAY = 40


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault: before command number `at` of day `day` (both from 0), inject `kind`."""

    day: int
    at: int
    kind: str


def fault_plan(seed: int, days: int, faults: int) -> list[Fault]:
    """`faults` faults spread over `days` days; every kind comes at least once when `faults` allows."""
    if days < 1 or faults < 0:
        raise ValueError("days must be at least 1 and faults not negative")
    rng = random.Random(f"faults-{seed}")
    kinds = list(FAULT_KINDS)
    rng.shuffle(kinds)
    chosen = (kinds * (faults // len(kinds) + 1))[: min(faults, len(kinds))]
    chosen += [rng.choice(FAULT_KINDS) for _ in range(faults - len(chosen))]
    rng.shuffle(chosen)
    plan = [
        Fault(day=i * days // max(faults, 1), at=rng.randrange(COMMANDS_PER_DAY), kind=kind)
        for i, kind in enumerate(chosen)
    ]
    return sorted(plan, key=lambda f: (f.day, f.at))


def tally(plan: list[Fault]) -> dict[str, int]:
    """How many faults of each kind a plan holds (every kind listed, zeros included)."""
    counts = dict.fromkeys(FAULT_KINDS, 0)
    for fault in plan:
        counts[fault.kind] += 1
    return counts
