"""Short CLI commands that used a Temporal client end with os._exit.

The SDK's Rust runtime keeps threads that can call into Python while the interpreter finalizes;
about one exit in ten then aborts with "PyGILState_Release" (seen with `erp close schedule` and
`erp temporal-setup`). The work is done and flushed by then, so we skip finalization."""

import functools
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import click
import typer

F = TypeVar("F", bound=Callable[..., Any])


def exits_hard(command: F) -> F:
    """Run the command, flush output, and leave without interpreter finalization."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        code = 0
        try:
            command(*args, **kwargs)
        except (click.exceptions.Exit, typer.Exit) as exc:  # typer's own Exit is not click's in every release
            code = exc.exit_code
        except click.ClickException as exc:
            exc.show()
            code = exc.exit_code
        except Exception:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)

    return wrapper  # type: ignore[return-value]
