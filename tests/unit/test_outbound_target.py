"""A webhook URL is someone else's server, never ours: an admin who registers a receiver cannot make the
ERP call its own database, the private network or the cloud's metadata service, whatever spelling or DNS
name points there; an operator can allow-list an on-premise receiver."""

from collections.abc import Iterable

import pytest

from rules.errors import RuleViolation
from rules.outbound_target import AllowList, Pinned, Resolver, check_target, legacy_ipv4, pin

PUBLIC = "93.184.216.34"


def dns(table: dict[str, list[str]]) -> Resolver:
    """A resolver over a fixed table; unknown names do not resolve."""

    def resolve(host: str, _port: int) -> Iterable[str]:
        if host not in table:
            raise OSError(f"no such host {host}")
        return table[host]

    return resolve


RESOLVE = dns(
    {
        "hooks.example.com": [PUBLIC],
        "rebind.example.com": [PUBLIC, "10.1.2.3"],
        "sneaky.example.com": ["::ffff:169.254.169.254"],
        "wms.corp.example": ["10.20.0.5"],
    }
)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://METADATA.google.internal./",
        "http://127.0.0.1/",
        "http://localhost:5432/",
        "http://foo.localhost/",
        "http://10.0.0.1/",
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:7f00:1::]/",
        "http://[fe80::1%25eth0]/",
        "http://[fd00:ec2::254]/",
        "http://0.0.0.0:8000/",
        "http://100.64.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "https://rebind.example.com/hook",
        "https://sneaky.example.com/hook",
        "https://does-not-exist.example.com/hook",
        "ftp://hooks.example.com/",
        "gopher://hooks.example.com/",
        "https://user:pw@hooks.example.com/",
    ],
)
def test_internal_targets_are_refused(url: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        check_target(url, RESOLVE)
    assert refused.value.field == "url"


def test_a_public_receiver_is_accepted_with_the_addresses_it_reaches() -> None:
    assert check_target("https://hooks.example.com/erp", RESOLVE) == (PUBLIC,)
    assert check_target(f"http://{PUBLIC}:8443/erp", RESOLVE) == (PUBLIC,)


def test_an_allow_listed_on_premise_receiver_is_accepted() -> None:
    allow = AllowList.parse("wms.corp.example, 127.0.0.1 10.99.0.0/16")
    assert check_target("http://wms.corp.example/hook", RESOLVE, allow) == ()
    assert check_target("http://127.0.0.1:8123/hook", RESOLVE, allow) == ("127.0.0.1",)
    assert check_target("http://10.99.4.1/hook", RESOLVE, allow) == ("10.99.4.1",)
    # The allow-list is exact: neighbours stay refused.
    for url in ("http://127.0.0.2/", "http://10.98.0.1/", "http://169.254.169.254/"):
        with pytest.raises(RuleViolation):
            check_target(url, RESOLVE, allow)


def test_numeric_host_forms_decode_like_inet_aton() -> None:
    assert str(legacy_ipv4("2130706433")) == "127.0.0.1"
    assert str(legacy_ipv4("0x7f.1")) == "127.0.0.1"
    assert str(legacy_ipv4("0177.0.0.01")) == "127.0.0.1"
    assert str(legacy_ipv4("10.1")) == "10.0.0.1"
    assert legacy_ipv4("hooks.example.com") is None
    assert legacy_ipv4("256.1.1.1") is None


def test_a_request_is_pinned_to_the_checked_address_with_the_receivers_own_name() -> None:
    pinned = pin("https://hooks.example.com:8443/erp?x=1", PUBLIC)
    assert pinned == Pinned(f"https://{PUBLIC}:8443/erp?x=1", "hooks.example.com:8443", "hooks.example.com")
    v6 = pin("http://hooks.example.com/erp", "2606:2800:220:1::1")
    assert v6 == Pinned("http://[2606:2800:220:1::1]/erp", "hooks.example.com", None)
    # A literal address or an allow-listed name (no checked address) goes out as written.
    assert pin(f"http://{PUBLIC}/erp", PUBLIC) == Pinned(f"http://{PUBLIC}/erp")
    assert pin("http://wms.corp.example/hook", None) == Pinned("http://wms.corp.example/hook")
