"""What an activity's exception means: bad data (retrying cannot help), transient, or a business refusal.

The decision, in one place (the worker's activity interceptor applies it to every activity):
- business: any Temporal failure an activity raised itself (`ApplicationError`, retryable or not). The
  activity decided; it is passed through untouched (PO updates turn non-retryable ones into refusals).
- data: SQLSTATE class 22 (data exception: overflow, bad conversion), 23 (constraint violation) and
  42 (a statement the schema does not accept: code and schema disagree), and the Python exceptions of
  bad values or bad code: ValueError (also pydantic's ValidationError and RuleViolation), ArithmeticError
  (decimal.InvalidOperation, division by zero), TypeError, LookupError (KeyError), AttributeError and
  AssertionError. The same input fails the same way on every attempt, so it fails for good at once.
- transient: connection and server trouble (SQLSTATE 08, 40 serialization/deadlock, 53, 55 lock not
  available, 57 statement timeout/shutdown, 58), SQLAlchemy/psycopg OperationalError and
  InterfaceError, pool timeouts, OSError (connection refused, timeouts) and Temporal RPC errors.
  A duplicate key (23505) counts as transient: activities are idempotent by business key, so it is
  almost always a concurrent attempt of the same step, and the retry finds the row.
- anything else is transient: the bounded retry policy (workflows/retry.py) still ends it.
"""

from typing import Any, Literal

import psycopg
from sqlalchemy import exc as sa_exc
from temporalio.exceptions import ApplicationError, FailureError
from temporalio.service import RPCError

from models.contracts.errors import DATA

Kind = Literal["data", "transient", "business"]

_DATA_CLASSES = ("22", "23", "42")
_TRANSIENT_CLASSES = ("08", "40", "53", "55", "57", "58")
_TRANSIENT_STATES = ("23505",)
_TRANSIENT_TYPES: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    OSError,
    RPCError,
)
_DATA_TYPES: tuple[type[BaseException], ...] = (
    sa_exc.IntegrityError,
    sa_exc.DataError,
    sa_exc.ProgrammingError,
    sa_exc.NoResultFound,
    sa_exc.MultipleResultsFound,
    psycopg.IntegrityError,
    psycopg.DataError,
    psycopg.ProgrammingError,
    ValueError,
    ArithmeticError,
    TypeError,
    LookupError,
    AttributeError,
    AssertionError,
)
MAX_MESSAGE = 500


def db_error(exc: BaseException) -> psycopg.Error | None:
    """The driver's error behind an exception (SQLAlchemy wraps it in `.orig`), if any."""
    seen: BaseException | None = exc
    for _ in range(5):  # a short cause chain is plenty; never loop on a cyclic one
        if seen is None:
            return None
        if isinstance(seen, psycopg.Error):
            return seen
        orig = getattr(seen, "orig", None)
        if isinstance(orig, psycopg.Error):
            return orig
        seen = seen.__cause__
    return None


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of the database error behind an exception (e.g. 23514), if the server sent one."""
    err = db_error(exc)
    return err.sqlstate if err is not None else None


def classify(exc: BaseException) -> Kind:
    """data, transient or business (see the module docstring for why each lands where it does)."""
    if isinstance(exc, FailureError):
        return "business"
    state = sqlstate(exc)
    if state:
        if state in _TRANSIENT_STATES or state[:2] in _TRANSIENT_CLASSES:
            return "transient"
        if state[:2] in _DATA_CLASSES:
            return "data"
    if isinstance(exc, _TRANSIENT_TYPES):
        return "transient"
    if isinstance(exc, _DATA_TYPES):
        return "data"
    orig = getattr(exc, "orig", None)
    if isinstance(exc, sa_exc.StatementError) and isinstance(orig, BaseException):
        return classify(orig)  # e.g. a bind parameter that would not convert
    return "transient"


def describe(exc: BaseException) -> str:
    """One line for an operator: what failed and which constraint/table/column, without SQL or values."""
    err = db_error(exc)
    orig = getattr(exc, "orig", None)
    if err is None and isinstance(exc, sa_exc.StatementError) and isinstance(orig, BaseException):
        return describe(orig)  # SQLAlchemy's own text would carry the statement and its values
    if err is None:
        text = " ".join(str(exc).split()) or "no message"
        return f"{type(exc).__name__}: {text}"[:MAX_MESSAGE]
    diag = err.diag
    where = [
        f"{label} {value}"
        for label, value in (
            ("constraint", diag.constraint_name),
            ("table", diag.table_name),
            ("column", diag.column_name),
        )
        if value
    ]
    text = diag.message_primary or " ".join(str(err).split()[:30])
    if diag.message_detail and (err.sqlstate or "").startswith("22"):
        # A data exception's detail explains the limit (precision, format); a constraint's shows the row.
        text += f" ({diag.message_detail})"
    suffix = f" [{'; '.join(where)}]" if where else ""
    return f"{text}{suffix} (SQLSTATE {err.sqlstate})"[:MAX_MESSAGE]


def details(exc: BaseException) -> dict[str, Any]:
    """Machine-readable facts for the failure's details: exception type, SQLSTATE and constraint."""
    err = db_error(exc)
    out: dict[str, Any] = {"exception": type(exc).__name__}
    if err is not None:
        out.update(
            sqlstate=err.sqlstate,
            constraint=err.diag.constraint_name,
            table=err.diag.table_name,
            column=err.diag.column_name,
        )
    return out


def data_failure(exc: BaseException) -> ApplicationError | None:
    """The non-retryable "DataError" an activity should fail with instead of `exc`, or None to keep it."""
    if classify(exc) != "data":
        return None
    return ApplicationError(describe(exc), details(exc), type=DATA, non_retryable=True)
