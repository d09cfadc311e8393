"""The workflow sandbox with the garbage collector paused while it loads a workflow's modules.

On Python 3.11 a module's import lock is not re-entrant and its bookkeeping breaks when a garbage
collector finalizer imports something while the lock is being taken (CPython gh-91351): the lock
stays held by a thread that has moved on, and the next sandbox that loads the same module waits for
ever, freezing the worker's event loop. The sandbox loads every workflow module afresh for each
new run, so a busy worker takes those locks thousands of times an hour. Pausing the collector for
the load closes that window; the modules that finalizers import late are imported up front so a
finalizer elsewhere never has to load one.
"""

import compileall
import functools
import gc
import importlib.util
import threading
import tracemalloc  # noqa: F401  # imported by warnings' formatter inside finalizers; loaded up front
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from temporalio.worker import WorkflowRunner
from temporalio.worker._workflow_instance import WorkflowInstance, WorkflowInstanceDetails
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner
from temporalio.worker.workflow_sandbox._restrictions import SandboxRestrictions
from temporalio.workflow import _Definition

_pause_lock = threading.Lock()
_pauses = 0
_was_enabled = True


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause automatic garbage collection for the block (nested and thread-safe)."""
    global _pauses, _was_enabled
    with _pause_lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()


# The packages the sandbox loads afresh for every new workflow run.
SANDBOXED_PACKAGES = ("workflows", "rules", "models")


@functools.cache
def warm_bytecode() -> bool:
    """Write the bytecode of the sandboxed packages once per process; True when every file compiled.

    Each new workflow run loads these modules again, and without bytecode on disk (PYTHONDONTWRITEBYTECODE
    is set on these machines, and a fresh checkout has none) every load compiles them from source: about a
    tenth of a busy worker's CPU in the order benchmark. compileall writes atomically and skips what is
    current; a read-only install just keeps compiling."""
    done = True
    for name in SANDBOXED_PACKAGES:
        spec = importlib.util.find_spec(name)
        for folder in spec.submodule_search_locations or [] if spec else []:
            done = bool(compileall.compile_dir(Path(folder), quiet=2)) and done
    return done


class GuardedSandboxRunner(WorkflowRunner):
    """The standard sandboxed runner; module loads happen with the collector paused."""

    def __init__(self, inner: SandboxedWorkflowRunner | None = None) -> None:
        warm_bytecode()
        self._inner = inner or SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default)

    def prepare_workflow(self, defn: _Definition) -> None:
        """Validate the workflow in a throw-away sandbox."""
        with collector_paused():
            self._inner.prepare_workflow(defn)

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        """Load the workflow's modules into a new sandbox for one run."""
        with collector_paused():
            return self._inner.create_instance(det)

    def set_worker_level_failure_exception_types(self, types: Sequence[type[BaseException]]) -> None:
        """Pass the worker's failure types to the sandbox."""
        self._inner.set_worker_level_failure_exception_types(types)
