"""Webhook targets checked against the outbound rule with the system's DNS and the operator's allow-list."""

import socket
from collections.abc import Iterable

from erp.settings import get_settings
from rules.outbound_target import AllowList, Resolver, check_target


def system_resolve(host: str, port: int) -> Iterable[str]:
    """Every address the system resolver gives for the host (both families), as strings."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def allow_list() -> AllowList:
    """The operator's allow-list (ERP_WEBHOOK_ALLOWED_TARGETS), read at each call so tests can change it."""
    return AllowList.parse(get_settings().webhook_allowed_targets)


def check_webhook_url(url: str, resolve: Resolver | None = None) -> tuple[str, ...]:
    """The addresses a subscription URL reaches, or RuleViolation('url', ...) when it may not be called."""
    return check_target(url, resolve or system_resolve, allow_list())
