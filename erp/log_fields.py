"""The document and actor a log line names, read from a workflow's or activity's argument (plain getattr)."""

from collections.abc import Sequence
from typing import Any

# Field names that hold a document's number in the workflow inputs and activity requests, most specific first.
DOCUMENT_FIELDS = ("number", "order_number", "rma_number", "reference", "document_number", "po_number")
# Field names that hold the person (or system) acting.
ACTOR_FIELDS = ("actor", "decided_by", "requested_by", "created_by", "by", "username", "user")


def _first_str(arg: Any, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = getattr(arg, name, None)
        if isinstance(value, str) and value:
            return value
    return None


def document_of(args: Sequence[Any]) -> str | None:
    """The document number the first argument names, if it names one."""
    return _first_str(args[0], DOCUMENT_FIELDS) if args else None


def actor_of(args: Sequence[Any]) -> str | None:
    """Who acts, when the first argument says so."""
    return _first_str(args[0], ACTOR_FIELDS) if args else None


def known(**fields: Any) -> dict[str, Any]:
    """The fields that have a value (a log line leaves out what it does not know)."""
    return {k: v for k, v in fields.items() if v is not None}
