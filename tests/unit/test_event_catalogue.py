"""The event contract receivers build on: stable ids, a JSON schema per type and version that the
envelopes we send actually satisfy."""

import uuid
from datetime import UTC, datetime

import jsonschema  # type: ignore[import-untyped]  # no stubs in the dev extra

from models.contracts.events import CATALOGUE, EventEnvelope, event_id_for, json_schema, lookup, validate_data


def test_the_event_id_is_derived_from_the_business_key_and_never_changes() -> None:
    assert event_id_for("po:PO-1:issued") == event_id_for("po:PO-1:issued")
    assert event_id_for("po:PO-1:issued") != event_id_for("po:PO-2:issued")
    assert event_id_for("po:PO-1:issued").version == 5
    # Pinned: a change here would re-number every event subscribers have already seen.
    assert str(event_id_for("po:PO-1:issued")) == str(
        uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, "urn:retail-erp:event"), "po:PO-1:issued")
    )


def test_every_catalogued_schema_is_a_valid_json_schema() -> None:
    for event in CATALOGUE.values():
        jsonschema.Draft202012Validator.check_schema(json_schema(event))
        assert event.description, event.name


def test_an_envelope_as_sent_validates_against_its_published_schema() -> None:
    data = validate_data(
        "sales_order.shipped", 1,
        {"order_number": "SO-1", "shipment_key": "so:SO-1:ship:1", "carrier": "dhl", "shipped_on": "2026-10-06",
         "lines": [{"line_no": 1, "sku": "TEE-1", "qty": "2.5"}]},
    )  # fmt: skip
    envelope = EventEnvelope(
        event_id=event_id_for("so:SO-1:ship:1"), type="sales_order.shipped", version=1,
        occurred_at=datetime(2026, 10, 6, 9, 30, tzinfo=UTC), entity="EU01", document_type="sales_order",
        document_id="SO-1", data=data,
    )  # fmt: skip
    sent = envelope.model_dump(mode="json")
    jsonschema.validate(sent, json_schema(lookup("sales_order.shipped")))
    assert sent["data"]["lines"][0]["qty"] == "2.5"
