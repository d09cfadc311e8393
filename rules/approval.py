"""Approval policy: amount bands, segregation of duties, limits and anti-splitting caps (domain.md 5)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from rules.errors import RuleViolation

RefusalCode = Literal[
    "wrong_actor",
    "own_document",
    "no_limit",
    "over_limit",
    "over_window_cap",
    "sod_receipt",
    "sod_supplier",
]


class ApprovalRefused(RuleViolation):
    """An approver may not take this decision; `code` says which rule refused."""

    def __init__(self, code: RefusalCode, reason: str) -> None:
        super().__init__("approver", reason)
        self.code: RefusalCode = code
        # Keep args equal to the constructor's so the exception survives pickling.
        self.args = (code, reason)


@dataclass(frozen=True, slots=True)
class ApprovalLevel:
    """One step of a chain: anyone holding `role`, or one named `user` (exactly one of the two)."""

    role: str | None
    user: str | None

    def __post_init__(self) -> None:
        """Refuse a level naming both or neither."""
        if (self.role is None) == (self.user is None):
            raise RuleViolation("level", "an approval level names exactly one of role or user")


@dataclass(frozen=True, slots=True)
class ApprovalBand:
    """Levels required for amounts in [min_amount, max_amount), optionally for a category/entity only."""

    min_amount: Decimal
    max_amount: Decimal | None
    category: str | None
    entity: str | None
    levels: tuple[ApprovalLevel, ...]


def _specificity(band: ApprovalBand) -> int:
    """entity+category (3) > category (2) > entity (1) > generic (0)."""
    return (2 if band.category is not None else 0) + (1 if band.entity is not None else 0)


def _covers(band: ApprovalBand, amount: Decimal, category: str | None, entity: str | None) -> bool:
    """True when the band applies to this amount, category and entity."""
    in_range = band.min_amount <= amount and (band.max_amount is None or amount < band.max_amount)
    return in_range and band.category in (None, category) and band.entity in (None, entity)


def levels_for(
    amount: Decimal, category: str | None, entity: str | None, bands: Sequence[ApprovalBand]
) -> tuple[ApprovalLevel, ...]:
    """Levels of the most specific band covering the amount; a band with no levels means auto-approve."""
    matching = [band for band in bands if _covers(band, amount, category, entity)]
    if not matching:
        # No band is a configuration gap; failing closed beats approving silently.
        raise RuleViolation(
            "amount", f"no approval band covers {amount} (category={category}, entity={entity})"
        )
    best = max(_specificity(band) for band in matching)
    winners = [band for band in matching if _specificity(band) == best]
    if len(winners) > 1:
        raise RuleViolation("bands", f"{len(winners)} equally specific bands overlap at amount {amount}")
    return winners[0].levels


@dataclass(frozen=True, slots=True)
class Approver:
    """Who acts. When `delegate_for` is set, roles and limits are the delegator's (authority is lent)."""

    username: str
    roles: frozenset[str]
    approval_limit: Decimal | None
    approved_in_window: Decimal
    delegate_for: str | None = None


@dataclass(frozen=True, slots=True)
class Document:
    """The facts about a document that segregation-of-duties rules look at."""

    requester: str
    amount: Decimal
    received_by: frozenset[str] = frozenset()
    supplier_created_by: str | None = None


def check_decision(
    approver: Approver,
    level: ApprovalLevel,
    document: Document,
    window_cap: Decimal | None,
    *,
    limit_required: bool = True,
) -> None:
    """Raise ApprovalRefused unless `approver` may decide `document` at `level`.

    With `limit_required` (the default) a person without an approval limit commits no amount at all:
    a missing limit is a setup gap, and failing closed beats approving any amount. A decision that
    commits nothing (amount 0, e.g. a rejection) needs no limit.
    """
    # SoD binds the person at the keyboard and the person they act for alike.
    people = {approver.username} | ({approver.delegate_for} if approver.delegate_for else set())
    acting_as = (
        f"{approver.username} (for {approver.delegate_for})" if approver.delegate_for else approver.username
    )
    if level.role is not None and level.role not in approver.roles:
        raise ApprovalRefused("wrong_actor", f"{acting_as} does not hold role {level.role}")
    if level.user is not None and level.user not in people:
        raise ApprovalRefused("wrong_actor", f"this step is assigned to {level.user}, not {acting_as}")
    if document.requester in people:
        raise ApprovalRefused("own_document", f"{acting_as} requested this document")
    if people & document.received_by:
        raise ApprovalRefused("sod_receipt", f"{acting_as} received the goods on this document")
    if document.supplier_created_by is not None and document.supplier_created_by in people:
        raise ApprovalRefused("sod_supplier", f"{acting_as} created this supplier")
    if approver.approval_limit is None and limit_required and document.amount > 0:
        raise ApprovalRefused(
            "no_limit", f"{acting_as} has no approval limit: an administrator must set one before approving"
        )
    if approver.approval_limit is not None and document.amount > approver.approval_limit:
        raise ApprovalRefused(
            "over_limit", f"amount {document.amount} exceeds the approval limit {approver.approval_limit}"
        )
    if window_cap is not None and approver.approved_in_window + document.amount > window_cap:
        raise ApprovalRefused(
            "over_window_cap",
            f"{approver.approved_in_window} approved in the window + {document.amount} "
            f"exceeds the cap {window_cap}",
        )


def escalation_role(level_role: str, chain: Mapping[str, str]) -> str | None:
    """Role an overdue task escalates to, or None at the top of the chain."""
    target = chain.get(level_role)
    return None if target == level_role else target


def extra_level_for_low_score(
    levels: tuple[ApprovalLevel, ...],
    supplier_score: Decimal | None,
    threshold: Decimal,
    role: str,
    *,
    score_unavailable: bool = False,
) -> tuple[ApprovalLevel, ...]:
    """Append a `role` level when the supplier's scorecard is below `threshold` or could not be computed.

    An unscored supplier (None: no delivered history) adds nothing: absence of history is not evidence
    of poor service; a caller that wants new suppliers reviewed passes a score of 0. A score that could
    not be computed (`score_unavailable`: the query failed) is not absence of history: the control
    fails closed and the level is added. A role already in the chain is not added twice.
    """
    low = supplier_score is not None and supplier_score < threshold
    return with_role_level(levels, role) if low or score_unavailable else levels


def with_role_level(levels: tuple[ApprovalLevel, ...], role: str) -> tuple[ApprovalLevel, ...]:
    """The chain with a `role` level appended, unless that role is in it already."""
    if any(level.role == role for level in levels):
        return levels
    return (*levels, ApprovalLevel(role=role, user=None))
