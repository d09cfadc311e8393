"""The test receivers listen on 127.0.0.1, an address webhooks may not reach unless an operator
allow-lists it: these tests do what an on-premise installation does (ERP_WEBHOOK_ALLOWED_TARGETS)."""

import os
from collections.abc import Iterator

import pytest

from erp.settings import get_settings

ALLOW_ENV = "ERP_WEBHOOK_ALLOWED_TARGETS"


@pytest.fixture(autouse=True)
def allow_local_receivers() -> Iterator[None]:
    """Allow-list 127.0.0.1 for the test, then put the operator's setting back."""
    before = os.environ.get(ALLOW_ENV)
    os.environ[ALLOW_ENV] = "127.0.0.1"
    get_settings.cache_clear()
    yield
    if before is None:
        os.environ.pop(ALLOW_ENV, None)
    else:
        os.environ[ALLOW_ENV] = before
    get_settings.cache_clear()
