"""Threads load workflow sandboxes at once while cyclic garbage whose finalizers import piles up.

Run as a script: `python -m tests.workflows.sandbox_load_stress guarded|plain ROUNDS`. Prints one
JSON line: the rounds run, the import-lock errors seen and whether a loading thread froze. A round
stops at the first error; the run stops at the first broken round.
"""

import asyncio
import gc
import importlib
import json
import os
import sys
import tempfile
import threading
import time
from itertools import count

from temporalio.worker import WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.workflow import _Definition

from erp.sandbox_runner import GuardedSandboxRunner
from workflows.sales.so.workflow import OrderWorkflow

THREADS, LOADS, GARBAGE_PER_LOAD, ROUND_LIMIT_S = 4, 150, 5, 20.0


class ImportingFinalizer:
    """Cyclic garbage whose finalizer loads a module never loaded before, as a late `import` would."""

    def __init__(self, folder: str, number: int) -> None:
        self.me = self
        self.name = f"late_module_{number}"
        with open(os.path.join(folder, self.name + ".py"), "w") as f:
            f.write("LOADED = True\n")

    def __del__(self) -> None:
        importlib.import_module(self.name)


def one_round(guarded: bool, folder: str, numbers: "count[int]") -> tuple[list[str], bool]:
    """Load the sales order workflow LOADS times on each of THREADS threads; errors and frozen."""
    defn = _Definition.must_from_class(OrderWorkflow)
    errors: list[str] = []

    def loads() -> None:
        runner: WorkflowRunner = GuardedSandboxRunner() if guarded else SandboxedWorkflowRunner()

        async def go() -> None:
            for _ in range(LOADS):
                if errors:
                    return
                for _ in range(GARBAGE_PER_LOAD):
                    ImportingFinalizer(folder, next(numbers))
                try:
                    runner.prepare_workflow(defn)
                except Exception as exc:  # the broken lock shows as KeyError(<thread id>) under the sandbox
                    errors.append(repr(exc.__cause__ or exc)[:200])

        asyncio.run(go())

    threads = [threading.Thread(target=loads, daemon=True) for _ in range(THREADS)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + ROUND_LIMIT_S  # a round takes 2 to 3 s; a frozen thread never ends
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    return errors, any(t.is_alive() for t in threads)


def main() -> None:
    """Run rounds until one breaks or ROUNDS have run; print what happened."""
    guarded, rounds = sys.argv[1] == "guarded", int(sys.argv[2])
    folder = tempfile.mkdtemp()
    sys.path.insert(0, folder)
    gc.set_threshold(5, 1, 1)  # collect often, so finalizers run in the middle of imports
    numbers = count(1)
    ran, frozen = 0, False
    errors: list[str] = []
    while ran < rounds and not errors and not frozen:
        errors, frozen = one_round(guarded, folder, numbers)
        ran += 1
    print(json.dumps({"rounds": ran, "errors": errors[:3], "frozen": frozen}), flush=True)
    os._exit(0)  # a frozen thread holds an import lock: do not wait for it at exit


if __name__ == "__main__":
    main()
