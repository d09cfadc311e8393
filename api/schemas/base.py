"""Request bodies forbid unknown fields (no mass assignment of status, amounts or approver)."""

from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    """Base of every request body."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
