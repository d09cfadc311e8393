"""The approver goes on holiday and the admin lets a controller act for her on PO approvals: the controller's
inbox shows her approvals (named as hers), his decision is recorded as acting for her, a delegation for
other task kinds shows nothing, and once revoked the controller neither sees nor decides her tasks."""

from datetime import date, timedelta

from fastapi.testclient import TestClient
from temporalio.worker import Worker

from tests.factories import Factory
from tests.onboarding.company import Company


def test_a_delegate_sees_and_decides_for_the_delegator_until_revoked(
    api: TestClient, erp_worker: Worker, factory: Factory
) -> None:
    co = Company(api, factory.user("admin")[1])
    e = co.new_entity()["id"]
    co.hire("buyer", e)
    ann = co.hire("approver", e, approval_limit="50000")
    carl = co.hire("controller", e, key="carl")
    cleo = co.hire("controller", e, key="cleo")
    today, week = date.today().isoformat(), (date.today() + timedelta(days=7)).isoformat()
    period = {"valid_from": today, "valid_to": week, "entity_id": e}

    def delegate(to: str, **kw: object) -> dict[str, object]:
        return co.create("/delegations", {"delegator": ann, "delegate": to, **period, **kw})

    # The admin checks who and when: nobody delegates to themselves, both must work for the entity.
    for body, field in [
        ({"delegator": ann, "delegate": ann, **period}, "delegate"),
        ({"delegator": ann, "delegate": carl, **period, "valid_to": "2020-01-01"}, "valid_to"),
        ({"delegator": ann, "delegate": factory.user("controller")[0].username, **period}, "delegate"),
    ]:
        refused = api.post("/delegations", json=body, headers=co.headers("admin"))
        assert (refused.status_code, refused.json()["detail"][0]["loc"][-1]) == (422, field), refused.text
    assert (
        api.post(
            "/delegations", json={"delegator": ann, "delegate": carl, **period}, headers=co.headers("carl")
        ).status_code
        == 403
    )

    to_carl = delegate(carl, task_kinds=["po_approval"])
    delegate(cleo, task_kinds=["match_exception"])
    setup = co.buying(e)
    first = co.order(e, setup, "10")
    lent = co.task("carl", "po_approval", first)
    assert lent["delegated_by"] == ann and lent["candidate_role"] == "approver"
    assert all(t["subject_id"] != first for t in co.call("cleo", "GET", "/tasks"))

    decided = co.call("carl", "POST", f"/tasks/{lent['id']}/decision", json={"decision": "approve"})
    assert (decided["decided_by"], decided["acting_for"]) == (carl, ann)
    po = co.until("buyer", f"/purchase-orders/{first}", lambda p: p["stage"] == "issued", "PO issued")
    assert [(t["decided_by"], t["acting_for"]) for t in po["tasks"]] == [(carl, ann)]

    revoked = co.call("admin", "POST", f"/delegations/{to_carl['id']}/revoke")
    assert revoked["revoked_by"] == co.call("admin", "GET", "/me")["username"]
    assert [d["delegate"] for d in co.call("admin", "GET", "/delegations", params={"entity_id": e})] == [cleo]
    second = co.order(e, setup, "10")
    task = co.task("approver", "po_approval", second)
    assert all(t["subject_id"] != second for t in co.call("carl", "GET", "/tasks"))
    refused = api.post(
        f"/tasks/{task['id']}/decision", json={"decision": "approve"}, headers=co.headers("carl")
    )
    assert refused.status_code == 403, refused.text
