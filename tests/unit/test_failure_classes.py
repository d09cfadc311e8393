"""An activity failed: is it bad data (stop retrying, ask a person), a passing outage (retry a while), or a
business refusal the activity decided itself (leave it exactly as raised)?"""

import decimal

import psycopg
import pytest
from psycopg import errors as pg
from pydantic import BaseModel
from sqlalchemy import exc as sa_exc
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from erp.failures import Kind, classify, data_failure, describe, sqlstate
from models.contracts.errors import CONFLICT, DATA
from rules.errors import RuleViolation
from services.core.errors import InsufficientStock


def _wrapped(cls: type[sa_exc.DBAPIError], orig: BaseException) -> sa_exc.DBAPIError:
    """What SQLAlchemy raises around a driver error."""
    return cls("UPDATE purchase_order SET ...", {"qty": -1}, orig)


class _Line(BaseModel):
    qty: int


def _validation_error() -> Exception:
    try:
        _Line.model_validate({"qty": "many"})
    except Exception as exc:
        return exc
    raise AssertionError("validation passed")


CASES: list[tuple[str, BaseException, Kind]] = [
    ("check constraint", _wrapped(sa_exc.IntegrityError, pg.CheckViolation("violates check")), "data"),
    ("foreign key", _wrapped(sa_exc.IntegrityError, pg.ForeignKeyViolation("no such item")), "data"),
    ("not null", _wrapped(sa_exc.IntegrityError, pg.NotNullViolation("null qty")), "data"),
    ("numeric overflow", _wrapped(sa_exc.DataError, pg.NumericValueOutOfRange("overflow")), "data"),
    ("bad text to number", _wrapped(sa_exc.DataError, pg.InvalidTextRepresentation("x")), "data"),
    ("undefined column", _wrapped(sa_exc.ProgrammingError, pg.UndefinedColumn("no column")), "data"),
    ("raw psycopg data error", pg.StringDataRightTruncation("too long"), "data"),
    ("pydantic validation", _validation_error(), "data"),
    ("decimal conversion", decimal.InvalidOperation(), "data"),
    ("value error", ValueError("bad"), "data"),
    ("business rule escaped unwrapped", RuleViolation("qty", "must be positive"), "data"),
    ("stock rule escaped unwrapped", InsufficientStock("qty", "only 2 on hand"), "data"),
    ("type error", TypeError("unsupported operand"), "data"),
    ("missing key", KeyError("line_no"), "data"),
    (
        "duplicate key: a concurrent attempt",
        _wrapped(sa_exc.IntegrityError, pg.UniqueViolation("dup")),
        "transient",
    ),
    (
        "serialization failure",
        _wrapped(sa_exc.OperationalError, pg.SerializationFailure("retry")),
        "transient",
    ),
    ("deadlock", _wrapped(sa_exc.OperationalError, pg.DeadlockDetected("deadlock")), "transient"),
    ("statement timeout", _wrapped(sa_exc.OperationalError, pg.QueryCanceled("timeout")), "transient"),
    ("server shutting down", _wrapped(sa_exc.OperationalError, pg.AdminShutdown("bye")), "transient"),
    (
        "connection lost",
        _wrapped(sa_exc.OperationalError, psycopg.OperationalError("server closed")),
        "transient",
    ),
    ("interface error", _wrapped(sa_exc.InterfaceError, psycopg.InterfaceError("closed")), "transient"),
    ("pool exhausted", sa_exc.TimeoutError("QueuePool limit"), "transient"),
    ("connection refused", ConnectionRefusedError(111, "refused"), "transient"),
    ("builtin timeout", TimeoutError(), "transient"),
    ("temporal unavailable", RPCError("unavailable", RPCStatusCode.UNAVAILABLE, b""), "transient"),
    ("anything unknown", RuntimeError("?"), "transient"),
    ("business refusal", ApplicationError("PO is closed", type=CONFLICT, non_retryable=True), "business"),
    ("retryable application error", ApplicationError("try later"), "business"),
]


@pytest.mark.parametrize(("exc", "kind"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_each_failure_lands_in_its_class(exc: BaseException, kind: Kind) -> None:
    assert classify(exc) == kind


def test_the_sqlstate_is_read_through_sqlalchemy_and_the_cause_chain() -> None:
    check = _wrapped(sa_exc.IntegrityError, pg.CheckViolation("violates"))
    assert sqlstate(check) == "23514"
    try:
        try:
            raise check
        except sa_exc.IntegrityError as inner:
            raise RuntimeError("while persisting") from inner
    except RuntimeError as outer:
        assert sqlstate(outer) == "23514" and classify(outer) == "data"
    assert sqlstate(ValueError("x")) is None


def test_a_data_error_becomes_a_non_retryable_typed_failure() -> None:
    failure = data_failure(_wrapped(sa_exc.DataError, pg.NumericValueOutOfRange("numeric field overflow")))
    assert failure is not None
    assert failure.type == DATA and failure.non_retryable
    assert "SQLSTATE 22003" in failure.message and "UPDATE" not in failure.message  # no SQL, no values
    assert failure.details[0]["sqlstate"] == "22003"
    assert data_failure(ConnectionRefusedError()) is None
    assert data_failure(ApplicationError("refused", type=CONFLICT, non_retryable=True)) is None


def test_a_python_error_is_described_on_one_short_line() -> None:
    text = describe(_validation_error())
    assert text.startswith("ValidationError: 1 validation error for _Line") and "\n" not in text
    assert len(describe(ValueError("x" * 5000))) == 500


def test_a_conversion_error_before_the_statement_names_no_sql_or_values() -> None:
    bind = sa_exc.StatementError(
        "could not convert", "INSERT INTO po_line ...", {"qty": "ten"}, TypeError("bad qty")
    )
    assert classify(bind) == "data"
    assert describe(bind) == "TypeError: bad qty"
