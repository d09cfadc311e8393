"""Custom search attributes operators filter on in the Temporal Web UI (no personal data here)."""

from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributeKey, SearchAttributeUpdate

DOCUMENT_TYPE = SearchAttributeKey.for_keyword("ErpDocumentType")
DOCUMENT_NUMBER = SearchAttributeKey.for_keyword("ErpDocumentNumber")
ENTITY = SearchAttributeKey.for_keyword("ErpEntity")
SUPPLIER = SearchAttributeKey.for_keyword("ErpSupplier")
CHANNEL = SearchAttributeKey.for_keyword("ErpChannel")
STAGE = SearchAttributeKey.for_keyword("ErpStage")
PENDING_ON = SearchAttributeKey.for_keyword("ErpPendingOn")
AMOUNT = SearchAttributeKey.for_float("ErpAmount")
DUE_DATE = SearchAttributeKey.for_datetime("ErpDueDate")

# Set by Temporal on every workflow a schedule starts: the nominal fire time (also for backfills).
SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")

ALL = (DOCUMENT_TYPE, DOCUMENT_NUMBER, ENTITY, SUPPLIER, CHANNEL, STAGE, PENDING_ON, AMOUNT, DUE_DATE)

# The CLI's --search-attribute type names for each key's indexed value type.
CLI_TYPE = {"KEYWORD": "Keyword", "DOUBLE": "Double", "DATETIME": "Datetime", "TEXT": "Text", "INT": "Int"}


def cli_flags() -> list[str]:
    """`--search-attribute Name=Type` flags for `temporal server start-dev`."""
    flags: list[str] = []
    for key in ALL:
        kind = CLI_TYPE[key.indexed_value_type.name.removeprefix("INDEXED_VALUE_TYPE_")]
        flags += ["--search-attribute", f"{key.name}={kind}"]
    return flags


def code_or(key: SearchAttributeKey[str], fallback: str) -> SearchAttributeUpdate[str]:
    """In workflow code: keep the business code the starter set (UK01, NORDTEX), else `fallback` (an id).

    The command edge sets ErpEntity/ErpSupplier to codes when it starts a workflow; a workflow started
    before it did (or by a test without them) keeps its id. Only the upserted value differs, so replay
    of recorded histories is unaffected."""
    return key.value_set(workflow.info().typed_search_attributes.get(key) or fallback)


def show_stage(stage: str, pending_on: str, details: str) -> None:
    """In workflow code: the stage and whom it waits on (ErpStage, ErpPendingOn), and the details the Web UI shows."""
    workflow.upsert_search_attributes([STAGE.value_set(stage), PENDING_ON.value_set(pending_on)])
    workflow.set_current_details(details)


def scheduled_or_now() -> datetime:
    """In workflow code: the schedule's nominal fire time (right for backfills), else the workflow's now."""
    return workflow.info().typed_search_attributes.get(SCHEDULED_START) or workflow.now()
