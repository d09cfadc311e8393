"""Typed payloads of task decisions: each workflow's decide validator parses the keys its decision reads.

A decision's `payload` arrives as free JSON; parsing it in the validator refuses a bad value with a 422
naming `payload.<key>` before the update is accepted, so the handler only ever reads checked values.
Unknown keys are ignored (clients send the same payload shape for every option of a task)."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from models.contracts.bounds import QuantityOrZero, Sku


class DecisionPayload(BaseModel):
    """Base of decision payloads: immutable, unknown keys ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, str_strip_whitespace=True)


class KeepWaitingPayload(DecisionPayload):
    """`keep_waiting` on a backorder: wait `days` more (the order's grace days when omitted)."""

    days: Annotated[int, Field(ge=1, le=365)] | None = None


class SubstitutePayload(DecisionPayload):
    """`substitute` on a backorder: ship this SKU instead."""

    sku: Sku


class MatchPayload(DecisionPayload):
    """`match` on an unmatched payout line: the order's external id."""

    external_id: Annotated[str, Field(min_length=1, max_length=60)]


class CountsPayload(DecisionPayload):
    """`submit` on a cycle count: the counted quantity of every item, by item id."""

    counts: dict[int, QuantityOrZero] = Field(max_length=1000)
