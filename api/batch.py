"""Batch intake: many records in one request, each accepted or refused on its own (207-style, answered 200).

Each record is validated against its body model and handled in its own savepoint, so a refused record
leaves nothing behind while the others are kept; the route commits once at the end.
"""

from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

from fastapi import HTTPException, status
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from api.schemas.base import examples
from rules.errors import RuleViolation

MAX_RECORDS = 1000
M = TypeVar("M", bound=BaseModel)


class BatchRequest(BaseModel):
    """The batch form of an inbound API: `records` holds what the single-record endpoint takes."""

    model_config = examples(
        {
            "records": [
                {
                    "sku": "APP-0901",
                    "name": "Merino crew neck, navy, M",
                    "category": "apparel",
                    "list_price": "59.90",
                },
                {"sku": "APP-0001", "name": "Apparel item 1", "category": "apparel", "list_price": "29.90"},
            ]
        }
    )

    records: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_RECORDS)


class RecordError(BaseModel):
    """Why one record was refused: the field at fault and a sentence."""

    field: str
    reason: str


class RecordResult(BaseModel):
    """One record's outcome, by its position in the request."""

    index: int
    status: str
    id: int | str | None = None
    error: RecordError | None = None


class BatchResult(BaseModel):
    """Counts and per-record outcomes; the HTTP status is 200 even when some records were refused."""

    accepted: int
    rejected: int
    results: list[RecordResult]


class Accepted(BaseModel):
    """What a handler returns for a record it took: e.g. status "created" or "updated", and the id."""

    status: Literal["created", "updated", "unchanged", "accepted"]
    id: int | str | None = None


def run_batch(
    session: Session,
    records: Sequence[dict[str, Any]],
    model: type[M],
    handler: Callable[[Session, M], Accepted],
    max_records: int = MAX_RECORDS,
) -> BatchResult:
    """Validate and handle each record in its own savepoint; collect a result per record."""
    if len(records) > max_records:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"at most {max_records} records per batch")
    results: list[RecordResult] = []
    for index, raw in enumerate(records):
        error: RecordError | None = None
        outcome: Accepted | None = None
        try:
            body = model.model_validate(raw)
            with session.begin_nested():
                outcome = handler(session, body)
        except ValidationError as exc:
            error = _validation_error(exc)
        except RuleViolation as exc:
            error = RecordError(field=exc.field, reason=exc.reason)
        except HTTPException as exc:
            error = RecordError(field="record", reason=str(exc.detail))
        except IntegrityError as exc:
            error = _integrity_error(exc)
        except DBAPIError as exc:
            # A trigger's refusal (closed period, append-only ledger) names its reason in the message.
            diag = getattr(exc.orig, "diag", None)
            error = RecordError(
                field="record", reason=str(getattr(diag, "message_primary", None) or exc.orig)
            )
        if error is not None or outcome is None:
            results.append(RecordResult(index=index, status="rejected", error=error))
        else:
            results.append(RecordResult(index=index, status=outcome.status, id=outcome.id))
    rejected = sum(1 for r in results if r.status == "rejected")
    return BatchResult(accepted=len(results) - rejected, rejected=rejected, results=results)


def _validation_error(exc: ValidationError) -> RecordError:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "record"
    return RecordError(field=field, reason=first["msg"])


def _integrity_error(exc: IntegrityError) -> RecordError:
    diag = getattr(exc.orig, "diag", None)
    message = getattr(diag, "message_detail", None) or getattr(diag, "message_primary", None) or str(exc.orig)
    if "Key (" in message:
        field = message.split("Key (", 1)[1].split(")", 1)[0]
    else:
        field = getattr(diag, "constraint_name", None) or "record"
    return RecordError(field=field, reason=message)
