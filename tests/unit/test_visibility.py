"""Who reads a task or an audit row, and which subscriptions an admin manages: the warehouse user of the
same company does not read a PO approval with its amount, the controller supervising it does, a
delegate reads what they may decide; an admin of UK01 never manages EU01's subscriptions."""

import pytest

from rules.entity_scope import check_entity_list, covers
from rules.errors import RuleViolation
from rules.visibility import Reader, TaskFacts, may_read_audit_row, may_read_task

EU, UK = 1, 2
PO_APPROVAL = TaskFacts(
    entity_id=EU, candidate_user=None, candidate_role="approver", requested_by="bob.buyer"
)


def reader(
    name: str,
    *roles: str,
    entities: tuple[int, ...] = (EU,),
    delegators: tuple[tuple[str, frozenset[str]], ...] = (),
) -> Reader:
    return Reader(name, frozenset(roles), frozenset(entities), delegators)


def test_a_po_approval_is_read_by_its_approvers_requester_and_supervisors_only() -> None:
    assert may_read_task(reader("ann", "approver"), PO_APPROVAL)
    assert may_read_task(reader("bob.buyer", "buyer"), PO_APPROVAL)  # the requester follows it
    assert may_read_task(reader("carla", "controller"), PO_APPROVAL)
    assert may_read_task(reader("root", "admin"), PO_APPROVAL)
    assert not may_read_task(reader("walt", "warehouse"), PO_APPROVAL)
    assert not may_read_task(reader("other.buyer", "buyer"), PO_APPROVAL)
    # A supervisor of another entity reads nothing of EU.
    assert not may_read_task(reader("uk.controller", "controller", entities=(UK,)), PO_APPROVAL)


def test_a_delegate_reads_the_tasks_of_whoever_delegated_to_them() -> None:
    addressed = TaskFacts(entity_id=EU, candidate_user="ann", candidate_role=None)
    delegate = reader("dan", "buyer", delegators=(("ann", frozenset({"approver"})),))
    assert may_read_task(delegate, addressed)
    assert may_read_task(delegate, PO_APPROVAL)  # ann's role is addressed
    assert not may_read_task(reader("dan", "buyer"), addressed)


def test_the_person_who_decided_still_reads_the_task() -> None:
    decided = TaskFacts(EU, None, "approver", decided_by="dan", acting_for="ann")
    assert may_read_task(reader("dan", "buyer"), decided)
    assert may_read_task(reader("ann", "buyer"), decided)


def test_audit_rows_supervisors_see_their_entities_others_their_own_acts() -> None:
    assert may_read_audit_row(reader("carla", "controller"), entity_id=EU, actor="bob", acting_for=None)
    assert not may_read_audit_row(
        reader("carla", "controller", entities=(UK,)), entity_id=EU, actor="bob", acting_for=None
    )
    assert may_read_audit_row(reader("bob", "buyer"), entity_id=EU, actor="bob", acting_for=None)
    assert may_read_audit_row(reader("ann", "approver"), entity_id=EU, actor="dan", acting_for="ann")
    assert not may_read_audit_row(reader("walt", "warehouse"), entity_id=EU, actor="bob", acting_for=None)
    assert not may_read_audit_row(reader("walt", "warehouse"), entity_id=None, actor="root", acting_for=None)


def test_subscription_entities_must_all_be_the_callers_and_never_empty() -> None:
    assert covers({EU}, [EU], every_entity=[EU, UK])
    assert not covers({UK}, [EU], every_entity=[EU, UK])
    assert not covers({EU}, [EU, UK], every_entity=[EU, UK])
    # An old subscription with no entities means every entity: only a caller of all of them sees it.
    assert not covers({EU}, [], every_entity=[EU, UK])
    assert covers({EU, UK}, [], every_entity=[EU, UK])
    check_entity_list({EU}, [EU])
    for entities in ([], [UK], [EU, UK]):
        with pytest.raises(RuleViolation) as refused:
            check_entity_list({EU}, entities)
        assert refused.value.field == "entity_ids"
