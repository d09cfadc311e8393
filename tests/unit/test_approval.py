"""Approvals: Alice (buyer) raises a 12,000 EUR PO; who may approve it, and who may not."""

import pickle
from decimal import Decimal as D

import pytest

from rules.approval import (
    ApprovalBand,
    ApprovalLevel,
    ApprovalRefused,
    Approver,
    Document,
    check_decision,
    escalation_role,
    extra_level_for_low_score,
    levels_for,
)
from rules.errors import RuleViolation

LEAD = ApprovalLevel(role="buyer_lead", user=None)
FINANCE = ApprovalLevel(role="finance_manager", user=None)
CFO = ApprovalLevel(role="cfo", user=None)

# < 5k: buyer lead; 5k-50k: + finance manager; >= 50k: + CFO (domain.md section 5).
BANDS = (
    ApprovalBand(D(0), D(5000), None, None, (LEAD,)),
    ApprovalBand(D(5000), D(50000), None, None, (LEAD, FINANCE)),
    ApprovalBand(D(50000), None, None, None, (LEAD, FINANCE, CFO)),
    ApprovalBand(D(0), D(5000), "electronics", None, (ApprovalLevel("category_manager", None),)),
    ApprovalBand(D(0), None, None, "DE", (ApprovalLevel("de_controller", None),)),
    ApprovalBand(D(0), None, "electronics", "DE", (ApprovalLevel("de_electronics_lead", None),)),
)


def test_generic_bands_by_amount_with_inclusive_lower_bound() -> None:
    assert levels_for(D("4999.99"), None, "FR", BANDS) == (LEAD,)
    assert levels_for(D("5000"), None, "FR", BANDS) == (LEAD, FINANCE)
    assert levels_for(D("50000"), "furniture", "FR", BANDS) == (LEAD, FINANCE, CFO)


def test_most_specific_band_wins() -> None:
    assert levels_for(D(1000), "electronics", "FR", BANDS) == (ApprovalLevel("category_manager", None),)
    assert levels_for(D(1000), "furniture", "DE", BANDS) == (ApprovalLevel("de_controller", None),)
    assert levels_for(D(1000), "electronics", "DE", BANDS) == (ApprovalLevel("de_electronics_lead", None),)
    # The electronics band stops at 5,000, so a 6,000 electronics PO in FR falls back to the generic band.
    assert levels_for(D(6000), "electronics", "FR", BANDS) == (LEAD, FINANCE)


def test_no_covering_band_fails_closed() -> None:
    with pytest.raises(RuleViolation) as exc:
        levels_for(D(100), None, None, BANDS[1:3])
    assert exc.value.field == "amount"


def test_overlapping_equally_specific_bands_are_a_config_error() -> None:
    bands = (ApprovalBand(D(0), D(100), None, None, (LEAD,)), ApprovalBand(D(50), None, None, None, (CFO,)))
    with pytest.raises(RuleViolation) as exc:
        levels_for(D(60), None, None, bands)
    assert exc.value.field == "bands"


def test_level_names_exactly_one_of_role_or_user() -> None:
    with pytest.raises(RuleViolation) as exc:
        ApprovalLevel(role="cfo", user="zoe")
    assert exc.value.field == "level"
    with pytest.raises(RuleViolation):
        ApprovalLevel(role=None, user=None)


PO = Document(requester="alice", amount=D(12000))
BOB = Approver("bob", frozenset({"finance_manager"}), D(20000), D(30000))


def refusal(approver: Approver, level: ApprovalLevel, doc: Document, cap: D | None = D(50000)) -> str:
    """The refusal code, or 'ok'."""
    try:
        check_decision(approver, level, doc, cap)
    except ApprovalRefused as err:
        assert err.field == "approver"
        return err.code
    return "ok"


def test_finance_manager_within_limit_and_window_approves() -> None:
    # 30,000 already approved this window + 12,000 = 42,000 <= 50,000 cap; 12,000 <= 20,000 limit.
    assert refusal(BOB, FINANCE, PO) == "ok"


def test_window_cap_is_inclusive_and_blocks_po_splitting() -> None:
    # 38,000 + 12,000 = 50,000: allowed; 40,000 + 12,000 = 52,000: the fourth slice of a split PO is refused.
    assert refusal(Approver("bob", BOB.roles, D(20000), D(38000)), FINANCE, PO) == "ok"
    assert refusal(Approver("bob", BOB.roles, D(20000), D(40000)), FINANCE, PO) == "over_window_cap"
    assert refusal(Approver("bob", BOB.roles, D(20000), D(40000)), FINANCE, PO, cap=None) == "ok"


def test_over_personal_limit() -> None:
    # The limit is inclusive: a 12,000 limit approves a 12,000 PO, not 12,000.01.
    assert refusal(Approver("bob", BOB.roles, D(12000), D(0)), FINANCE, PO) == "ok"
    assert refusal(Approver("bob", BOB.roles, D("11999.99"), D(0)), FINANCE, PO) == "over_limit"
    assert refusal(Approver("bob", BOB.roles, D(10000), D(0)), FINANCE, PO) == "over_limit"


def test_an_approver_without_a_limit_approves_nothing() -> None:
    # A new finance manager whose limit was never set: not "any amount", but nothing until one is given.
    newcomer = Approver("nina", BOB.roles, None, D(0))
    assert refusal(newcomer, FINANCE, PO) == "no_limit"
    assert refusal(newcomer, FINANCE, Document(requester="alice", amount=D("0.01"))) == "no_limit"
    # Rejecting commits no money: it needs no limit.
    assert refusal(newcomer, FINANCE, Document(requester="alice", amount=D(0))) == "ok"
    # A delegate borrowing a limitless delegator's authority gets no limit either.
    assert refusal(Approver("erin", BOB.roles, None, D(0), delegate_for="nina"), FINANCE, PO) == "no_limit"
    # Callers that bound the decision otherwise (match tolerances) may waive the requirement.
    try:
        check_decision(newcomer, FINANCE, PO, None, limit_required=False)
    except ApprovalRefused as err:  # pragma: no cover - the assertion below names the failure
        raise AssertionError(err.code) from err


def test_wrong_actor_and_own_document() -> None:
    assert refusal(Approver("carol", frozenset({"buyer"}), None, D(0)), FINANCE, PO) == "wrong_actor"
    assert (
        refusal(Approver("alice", frozenset({"finance_manager"}), None, D(0)), FINANCE, PO) == "own_document"
    )


def test_named_user_level_and_delegation() -> None:
    dave_step = ApprovalLevel(role=None, user="dave")
    assert refusal(Approver("bob", frozenset(), None, D(0)), dave_step, PO) == "wrong_actor"
    # Erin covers for Dave while he is on leave: allowed, and audited as acting for dave.
    assert refusal(Approver("erin", frozenset(), D(20000), D(0), delegate_for="dave"), dave_step, PO) == "ok"
    # Nobody may approve, even by delegation, on behalf of the requester.
    alice_step = ApprovalLevel(role=None, user="alice")
    assert (
        refusal(Approver("erin", frozenset(), None, D(0), delegate_for="alice"), alice_step, PO)
        == "own_document"
    )


def test_segregation_of_duties_on_invoices() -> None:
    received = Document(requester="alice", amount=D(900), received_by=frozenset({"bob"}))
    assert refusal(BOB, FINANCE, received) == "sod_receipt"
    new_supplier = Document(requester="alice", amount=D(900), supplier_created_by="bob")
    assert refusal(BOB, FINANCE, new_supplier) == "sod_supplier"
    # The delegator's history binds the delegate too.
    assert (
        refusal(Approver("erin", BOB.roles, None, D(0), delegate_for="bob"), FINANCE, received)
        == "sod_receipt"
    )


def test_refusal_survives_pickling() -> None:
    back = pickle.loads(pickle.dumps(ApprovalRefused("over_limit", "too much")))
    assert (back.code, back.field, back.reason) == ("over_limit", "approver", "too much")


def test_escalation_chain() -> None:
    chain = {"buyer_lead": "purchasing_manager", "purchasing_manager": "cfo", "cfo": "cfo"}
    assert escalation_role("buyer_lead", chain) == "purchasing_manager"
    assert escalation_role("purchasing_manager", chain) == "cfo"
    assert escalation_role("cfo", chain) is None
    assert escalation_role("unknown", chain) is None


def test_low_supplier_score_adds_a_quality_review() -> None:
    qa = ApprovalLevel(role="quality_manager", user=None)
    assert extra_level_for_low_score((LEAD,), D("55"), D("60"), "quality_manager") == (LEAD, qa)
    assert extra_level_for_low_score((LEAD,), D("60"), D("60"), "quality_manager") == (LEAD,)
    assert extra_level_for_low_score((LEAD,), None, D("60"), "quality_manager") == (LEAD,)
    assert extra_level_for_low_score((LEAD, qa), D("10"), D("60"), "quality_manager") == (LEAD, qa)


def test_a_score_that_could_not_be_computed_adds_the_level() -> None:
    # A failed query is not "no history": the control fails closed and the review level is added.
    qa = ApprovalLevel(role="quality_manager", user=None)
    assert extra_level_for_low_score((LEAD,), None, D("60"), "quality_manager", score_unavailable=True) == (
        LEAD,
        qa,
    )
    assert extra_level_for_low_score(
        (LEAD, qa), None, D("60"), "quality_manager", score_unavailable=True
    ) == (
        LEAD,
        qa,
    )
