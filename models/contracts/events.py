"""The stable, versioned envelope of every outbound event and the catalogue of event types.

Every business fact leaves the system as one `EventEnvelope`; `data` follows the JSON schema registered
for (`type`, `version`). Receivers de-duplicate by `event_id`, which is derived from the fact's
idempotency key, so a retried activity or a replayed delivery always carries the same id.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from models.contracts import event_data as d
from models.contracts.base import Contract

# Fixed forever: changing it would change every event id ever sent.
EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:retail-erp:event")


def event_id_for(idempotency_key: str) -> uuid.UUID:
    """The event id of a business fact: uuid5 of its idempotency key (stable across retries)."""
    return uuid.uuid5(EVENT_NAMESPACE, idempotency_key)


class EventEnvelope(Contract):
    """What a webhook receiver gets: the same body on every retry and replay of one event."""

    event_id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    entity: str | None
    document_type: str
    document_id: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventType:
    """One entry of the catalogue: a type name, a version and the model of its data."""

    name: str
    version: int
    data: type[Contract]
    document_type: str

    @property
    def description(self) -> str:
        """The data model's docstring, which says when the event happens."""
        return (self.data.__doc__ or "").split(": ", 1)[-1].strip()


class UnknownEventType(ValueError):
    """An event type/version that is not in the catalogue (add it before emitting it)."""


_TYPES = [
    EventType("purchase_order.approved", 1, d.PurchaseOrderApproved, "purchase_order"),
    EventType("purchase_order.issued", 1, d.PurchaseOrderIssued, "purchase_order"),
    EventType("purchase_order.expedite", 1, d.PurchaseOrderExpedite, "purchase_order"),
    EventType("purchase_order.cancelled", 1, d.PurchaseOrderCancelled, "purchase_order"),
    EventType("goods_receipt.posted", 1, d.GoodsReceived, "purchase_order"),
    EventType("supplier_delay.raised", 1, d.SupplierDelayRaised, "purchase_order"),
    EventType("supplier_invoice.matched", 1, d.SupplierInvoiceMatched, "supplier_invoice"),
    EventType("supplier_invoice.exception", 1, d.SupplierInvoiceException, "supplier_invoice"),
    EventType("supplier_invoice.debit_note", 1, d.SupplierDebitNote, "purchase_order"),
    EventType("sales_order.received", 1, d.SalesOrderReceived, "sales_order"),
    EventType("sales_order.allocated", 1, d.SalesOrderAllocated, "sales_order"),
    EventType("sales_order.backordered", 1, d.SalesOrderBackordered, "sales_order"),
    EventType("sales_order.shipped", 1, d.SalesOrderShipped, "sales_order"),
    EventType("sales_order.cancelled", 1, d.SalesOrderCancelled, "sales_order"),
    EventType("return.received", 1, d.ReturnReceived, "sales_order"),
    EventType("refund.issued", 1, d.RefundIssued, "sales_order"),
    EventType("return.debit_note", 1, d.ReturnDebitNote, "return"),
    EventType("fiscal_period.closed", 1, d.PeriodClosed, "fiscal_period"),
    EventType("payment_run.created", 1, d.PaymentRunCreated, "payment_run"),
    EventType("transfer_order.shipped", 1, d.TransferOrderShipped, "transfer_order"),
    EventType("transfer_order.received", 1, d.TransferOrderReceived, "transfer_order"),
    EventType("cycle_count.posted", 1, d.CycleCountPosted, "cycle_count"),
]
CATALOGUE: dict[tuple[str, int], EventType] = {(t.name, t.version): t for t in _TYPES}


def lookup(name: str, version: int = 1) -> EventType:
    """The catalogue entry of a type and version, or UnknownEventType."""
    try:
        return CATALOGUE[(name, version)]
    except KeyError:
        raise UnknownEventType(f"event type {name!r} version {version} is not in the catalogue") from None


def validate_data(name: str, version: int, data: Any) -> dict[str, Any]:
    """The data checked against its schema, as JSON-ready values (Decimal as string, dates ISO)."""
    model = lookup(name, version).data
    return model.model_validate(data).model_dump(mode="json")


def json_schema(event: EventType) -> dict[str, Any]:
    """The JSON schema of the whole envelope of one event type/version, `data` inlined."""
    schema = EventEnvelope.model_json_schema(mode="serialization")
    data_schema = event.data.model_json_schema(mode="serialization")
    defs = {**schema.pop("$defs", {}), **data_schema.pop("$defs", {})}
    props = schema["properties"]
    props["type"] = {"const": event.name, "title": "Type", "type": "string"}
    props["version"] = {"const": event.version, "title": "Version", "type": "integer"}
    props["document_type"] = {"const": event.document_type, "title": "Document Type", "type": "string"}
    props["data"] = data_schema
    schema["title"] = f"{event.name} v{event.version}"
    schema["description"] = event.description
    if defs:
        schema["$defs"] = defs
    return schema
