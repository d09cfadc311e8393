"""Custom search attributes operators filter on in the Temporal Web UI (no personal data here)."""

from temporalio.common import SearchAttributeKey

DOCUMENT_TYPE = SearchAttributeKey.for_keyword("ErpDocumentType")
DOCUMENT_NUMBER = SearchAttributeKey.for_keyword("ErpDocumentNumber")
ENTITY = SearchAttributeKey.for_keyword("ErpEntity")
SUPPLIER = SearchAttributeKey.for_keyword("ErpSupplier")
CHANNEL = SearchAttributeKey.for_keyword("ErpChannel")
STAGE = SearchAttributeKey.for_keyword("ErpStage")
PENDING_ON = SearchAttributeKey.for_keyword("ErpPendingOn")
AMOUNT = SearchAttributeKey.for_float("ErpAmount")
DUE_DATE = SearchAttributeKey.for_datetime("ErpDueDate")

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
