"""An operator runs `erp <stream> schedule`: every active entity's schedule is created or updated on the
configured task queue, and the command prints one line per entity saying what happened to it."""

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

import pytest
from temporalio.client import Client

import erp.db
import erp.schedules
import erp.settings
import erp.temporal
from erp.cli.schedule_all import schedule_every_entity
from models.contracts.close import EntityInfo

ENTITIES = [
    EntityInfo(entity_id=1, entity_code="EU01", currency="EUR", time_zone="Europe/Berlin"),
    EntityInfo(entity_id=2, entity_code="UK01", currency="GBP", time_zone="Europe/London"),
]


def test_one_line_per_entity_on_the_configured_queue(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = object()

    async def connect() -> Any:
        return client

    monkeypatch.setattr(erp.db, "app_engine", lambda: "engine")
    monkeypatch.setattr(
        erp.schedules, "active_entities", lambda engine: ENTITIES if engine == "engine" else []
    )
    monkeypatch.setattr(erp.settings, "get_settings", lambda: SimpleNamespace(task_queue="erp-q"))
    monkeypatch.setattr(erp.temporal, "connect", connect)
    seen: list[tuple[Any, list[str], str]] = []

    async def ensure(c: Client, entities: Sequence[EntityInfo], task_queue: str) -> dict[str, str]:
        seen.append((c, [e.entity_code for e in entities], task_queue))
        return {"EU01": "created", "UK01": "updated"}

    schedule_every_entity(ensure, "replenishment")

    assert seen == [(client, ["EU01", "UK01"], "erp-q")]
    assert capsys.readouterr().out.splitlines() == [
        "replenishment schedule of EU01: created",
        "replenishment schedule of UK01: updated",
    ]
