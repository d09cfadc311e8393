"""Request bodies forbid unknown fields (no mass assignment of status, amounts or approver)."""

from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import BaseModel, ConfigDict, Field

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
