"""The base of every contract: strict (no unknown fields), immutable, pydantic-converter friendly."""

from pydantic import BaseModel, ConfigDict


class Contract(BaseModel):
    """Frozen, extra-forbidding model; fields can be added with defaults without breaking histories."""

    model_config = ConfigDict(extra="forbid", frozen=True)
