"""Request bodies forbid unknown fields (no mass assignment of status, amounts or approver)."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Path, Query
from fastapi.encoders import jsonable_encoder
from pydantic import BaseModel, ConfigDict, Field, create_model
from sqlmodel import SQLModel

# Database ids are positive 32-bit integers; anything else is refused with 422 before a query runs.
MAX_ID = 2_147_483_647
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
QueryId = Annotated[int, Query(ge=1, le=MAX_ID)]
# Document numbers and codes in a path: as long as the longest number column (sales_order.number, 80).
PathKey = Annotated[str, Path(min_length=1, max_length=80)]


class Body(BaseModel):
    """Base of every request body."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def examples(*bodies: dict[str, Any]) -> ConfigDict:
    """A body model's config carrying whole-body examples for the OpenAPI docs."""
    # Pydantic merges this with the parent's config, so `extra="forbid"` still applies. Examples use the
    # demo retailer's codes and ids (EU01 is entity 1, WH-CENTRAL location 1, APP-0001 item 1, NORDTEX
    # supplier 1) so "Try it out" on a fresh `make run` is accepted.
    return ConfigDict(json_schema_extra={"examples": list(bodies)})


class Reply(BaseModel):
    """Base of every response body: the fields a client can rely on, named and typed.

    A route's `response_model` validates what the handler returns and serializes it (Decimals as exact
    strings, as before); keys a model does not name are dropped, so a model lists every key a handler gives.
    """

    model_config = ConfigDict(extra="ignore")


class OpenReply(Reply):
    """A body whose keys depend on the record (a task payload, a workflow's result): named keys plus the rest."""

    model_config = ConfigDict(extra="allow")


def reply_examples(*bodies: dict[str, Any]) -> ConfigDict:
    """A response model's config carrying examples for the OpenAPI docs."""
    return ConfigDict(json_schema_extra={"examples": list(bodies)})


def record_model(
    table: type[SQLModel],
    name: str | None = None,
    *,
    only: tuple[str, ...] | None = None,
    iso_text: bool = False,
    **more: Any,
) -> type[Reply]:
    """The response model of a table's row (all its columns, or `only` these), named and typed, plus `more` fields.

    `more` takes create_model's (type, default or Field) pairs, for joined columns and nested lists.
    `iso_text`: the route sends timestamps as the text jsonable_encoder made of them ("+00:00"), so they
    stay text here (a datetime field would re-render them with "Z")."""
    columns = table.model_fields if only is None else {c: table.model_fields[c] for c in only}
    fields: dict[str, Any] = {}
    for column, info in columns.items():
        annotation = info.annotation
        if iso_text and annotation in (datetime, datetime | None):
            annotation = str if annotation is datetime else str | None
            info = Field(description="ISO 8601 timestamp with offset")
        fields[column] = (annotation, Field(description=info.description))
    fields.update(more)  # a joined or nested value may take a column's name (a count becomes the list)
    doc = (table.__doc__ or table.__name__).strip()
    return create_model(name or f"{table.__name__}Record", __base__=Reply, __doc__=doc, **fields)


def many(model: type[BaseModel]) -> Any:
    """`list[model]` as a response model (built at run time, so type checkers accept a created model)."""
    return list[model]  # type: ignore[valid-type]


def exact_json(value: Any) -> Any:
    """JSON-ready data with Decimals as exact strings (never floats)."""
    return jsonable_encoder(value, custom_encoder={Decimal: str})
