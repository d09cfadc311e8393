"""A POST that starts a workflow once and answers with the workflow's first answer (an import, a payment run):
201 when this request started it, 200 when an earlier one did, 202 while it works."""

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from temporalio.client import Client, WorkflowFailureError

from api import workflow_calls
from services.core.auth import Principal


@dataclass(frozen=True)
class StartOnce:
    """A workflow started once by a POST (an import, a payment run): its id, entity, how answers name it, and
    what the 202 says while it works."""

    workflow_id: str
    entity_id: int
    subject: str
    default_field: str
    waiting: tuple[tuple[str, Any], ...] = (("status", "pending"),)
    ended: Any = None  # a query with the first answer's type, for a workflow that ends before it is read


class Started(NamedTuple):
    """The first answer of a workflow a POST started: its JSON body, and whether this request started it."""

    body: dict[str, Any]
    created: bool


async def start_once(
    client: Client,
    who: Principal,
    run: Any,
    inp: Any,
    what: StartOnce,
    imported: Any,
) -> JSONResponse | Started:
    """Start the workflow once and read its first answer (its body, created now), or the answer to
    give while the start is pending or was refused."""
    command, fresh = await workflow_calls.submit(
        "start",
        client,
        run,
        inp,
        workflow_id=what.workflow_id,
        update_id=None,
        subject=what.subject,
        username=who.username,
        entity_id=what.entity_id,
        default_field=what.default_field,
    )
    named = {"workflow_id": what.workflow_id}
    if command.status == "pending":
        return workflow_calls.pending_answer(command, named)
    if command.status == "rejected":
        return workflow_calls.outcome_answer(command)
    handle = client.get_workflow_handle_for(run, what.workflow_id)
    try:
        answer = await workflow_calls.read_update(handle, imported, subject=what.subject, ended=what.ended)
    except HTTPException as ended:
        # An import with nothing for a person to decide ends as soon as it has posted, possibly before its
        # first answer is read: its result is that answer.
        if ended.status_code != status.HTTP_409_CONFLICT:
            raise
        try:
            result = await handle.result()
        except WorkflowFailureError:
            raise ended from None
        if not isinstance(result, BaseModel):
            raise
        answer = JSONResponse(result.model_dump(mode="json"), status_code=200)
    if answer is None or answer.status_code != 200:
        return answer or JSONResponse({**named, **dict(what.waiting)}, status_code=202)
    created = fresh and isinstance(command.result, dict) and bool(command.result.get("started"))
    return Started(json_body(answer), created)


def json_body(answer: JSONResponse) -> dict[str, Any]:
    """The JSON body of an answer built here."""
    return dict(json.loads(bytes(answer.body)))
