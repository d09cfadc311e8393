"""Pure helpers over PO contracts: totals and the approval chain (no I/O, safe in the sandbox)."""

from decimal import Decimal

from models.contracts.purchasing import ApprovalPolicy, LevelSnapshot, PoLine
from rules.approval import (
    ApprovalBand,
    ApprovalLevel,
    extra_level_for_low_score,
    levels_for,
    with_role_level,
)
from rules.money import convert, quantize


def po_total(lines: list[PoLine], currency: str) -> Decimal:
    """Sum of the extended line values in the PO currency."""
    return sum((quantize(line.qty * line.price, currency) for line in lines), quantize(Decimal(0), currency))


def func_total(total: Decimal, fx_rate: Decimal, entity_currency: str) -> Decimal:
    """The PO total in the entity's functional currency (what approval bands are expressed in)."""
    return convert(total, fx_rate, entity_currency)


def approval_chain(
    policy: ApprovalPolicy, lines: list[PoLine], amount: Decimal, entity_id: int
) -> list[LevelSnapshot]:
    """Levels for every category on the PO, strictest first-come order, each level once.

    A PO mixing categories needs every category's approvers: taking only the dominant category
    would let a buyer hide an electronics line inside a large apparel order.
    """
    bands = [
        ApprovalBand(
            min_amount=b.min_amount,
            max_amount=b.max_amount,
            category=b.category,
            entity=b.entity,
            levels=tuple(ApprovalLevel(role=lv.role, user=lv.user) for lv in b.levels),
        )
        for b in policy.bands
    ]
    chain: list[LevelSnapshot] = []
    for category in sorted({line.category for line in lines}):
        for level in levels_for(amount, category, str(entity_id), bands):
            snap = LevelSnapshot(role=level.role, user=level.user)
            if snap not in chain:
                chain.append(snap)
    levels = tuple(ApprovalLevel(role=lv.role, user=lv.user) for lv in chain)
    if policy.score_role is not None and policy.score_threshold is not None:
        levels = extra_level_for_low_score(
            levels,
            policy.supplier_score,
            policy.score_threshold,
            policy.score_role,
            score_unavailable=policy.score_unavailable is not None,
        )
    if policy.budget_over is not None and policy.budget_role is not None:
        # Over a category budget: the same review a replenishment draft over budget gets before it starts.
        levels = with_role_level(levels, policy.budget_role)
    return [LevelSnapshot(role=lv.role, user=lv.user) for lv in levels]


def level_reasons(policy: ApprovalPolicy, level: LevelSnapshot) -> list[str]:
    """Why a policy flag put this level in the chain (empty for a level the bands asked for alone)."""
    reasons = []
    if policy.score_unavailable is not None and level.role == policy.score_role:
        reasons.append(policy.score_unavailable)
    if policy.budget_over is not None and level.role == policy.budget_role:
        reasons.append(policy.budget_over)
    return reasons
