"""Where the ERP may send outbound HTTP (webhooks): public addresses only, unless an operator allow-lists
an on-premise receiver. Pure: DNS resolution is passed in, so the rule is tested without a network."""

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from rules.errors import RuleViolation

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# (host, port) -> the addresses the name resolves to; raises OSError when it does not resolve.
Resolver = Callable[[str, int], Iterable[str]]

# Ranges no webhook may reach: the ERP's own host, its private network, the cloud's metadata service.
DENIED_NETWORKS: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "unspecified ('this network')"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local (cloud metadata)"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol assignments"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("100::/64", "discard"),
    ("2001:db8::/32", "documentation"),
    ("fc00::/7", "unique local (private)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_DENIED = tuple((ipaddress.ip_network(net), why) for net, why in DENIED_NETWORKS)
# Names that mean "this machine" or a cloud's internal service whatever DNS says about them.
DENIED_NAMES = ("localhost", "metadata", "metadata.google.internal", "instance-data")
DENIED_SUFFIXES = (".localhost", ".internal", ".local")
_NUMBER = re.compile(r"^(0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$")


@dataclass(frozen=True, slots=True)
class AllowList:
    """Operator exceptions for on-premise receivers: exact host names and address ranges."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, text: str) -> "AllowList":
        """'wms.corp.example, 10.20.0.0/16, 127.0.0.1' -> hosts and networks (comma or space separated)."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in re.split(r"[,\s]+", text.strip().lower()):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def allows(self, address: IPAddress) -> bool:
        """True when an allow-listed range holds the address."""
        return any(address in net for net in self.networks)


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address of a numeric host in the forms inet_aton accepts (2130706433, 0x7f.1, 0177.0.0.1, 127.1)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_NUMBER.match(p) for p in parts):
        return None
    try:
        numbers = [
            int(p, 16) if p.startswith("0x") else int(p, 8) if p.startswith("0") else int(p) for p in parts
        ]
    except ValueError:  # '0x' alone
        return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        return None
    value = last
    for i, n in enumerate(head):
        value |= n << (8 * (3 - i))
    return ipaddress.IPv4Address(value)


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally ([::1], 127.0.0.1, 2130706433), or None for a DNS name."""
    bare = host.strip("[]").split("%", 1)[0]
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        return legacy_ipv4(bare)


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address carried inside an IPv6 one (mapped, 6to4, Teredo, NAT64), which is where it goes."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def denial(address: IPAddress) -> str | None:
    """Why an address may not be reached, or None when it is public."""
    inner = embedded_ipv4(address)
    if inner is not None:
        why = denial(inner)
        return None if why is None else f"{why} (inside {address})"
    for net, why in _DENIED:
        if address.version == net.version and address in net:
            return f"{address} is {why}"
    return None


def _name_denial(host: str) -> str | None:
    if host in DENIED_NAMES or host.endswith(DENIED_SUFFIXES):
        return f"{host} is an internal host name"
    return None


def check_target(url: str, resolve: Resolver, allow: AllowList = AllowList()) -> tuple[str, ...]:
    """The addresses a webhook URL reaches, or RuleViolation('url', why) when it may not be called.

    Every address the name resolves to must be public (or allow-listed): one private answer is enough
    to refuse, since the sender could connect to any of them."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https"):
        raise RuleViolation("url", "only http and https receivers are supported")
    if parts.username is not None or parts.password is not None:
        raise RuleViolation("url", "credentials in the URL are not accepted; the request is signed instead")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise RuleViolation("url", "the URL has no host")
    try:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    except ValueError as exc:
        raise RuleViolation("url", f"bad port: {exc}") from exc
    if host in allow.hosts:
        return ()
    literal = literal_address(host)
    if literal is None:
        why = _name_denial(host)
        if why is not None:
            raise RuleViolation("url", f"{why}; ask an operator to allow-list an on-premise receiver")
        try:
            answers = [str(a) for a in resolve(host, port)]
        except OSError as exc:
            raise RuleViolation("url", f"{host} does not resolve ({exc})") from exc
        addresses = [literal_address(a) for a in answers]
    else:
        addresses = [literal]
    if not addresses:
        raise RuleViolation("url", f"{host} does not resolve")
    for address in addresses:
        if address is None:
            raise RuleViolation("url", f"{host} resolved to something that is not an address")
        why = denial(address)
        if why is not None and not allow.allows(address):
            raise RuleViolation(
                "url", f"{host} reaches {why}; ask an operator to allow-list an on-premise receiver"
            )
    return tuple(str(a) for a in addresses if a is not None)


@dataclass(frozen=True, slots=True)
class Pinned:
    """A request aimed at the checked address: the URL to connect to, the Host header and the TLS name."""

    url: str
    host_header: str | None = None
    tls_name: str | None = None


def pin(url: str, address: str | None) -> Pinned:
    """Connect to the address that was checked, not to whatever DNS answers a moment later (rebinding);
    the receiver still sees its own host name (Host header, TLS server name and certificate check)."""
    if address is None:  # an allow-listed name: the operator vouches for it, connect as usual
        return Pinned(url)
    parts = urlsplit(url)
    host = parts.hostname or ""
    if literal_address(host) is not None:
        return Pinned(url)
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    target = f"[{ip}]" if ip.version == 6 else str(ip)
    port = f":{parts.port}" if parts.port else ""
    pinned = parts._replace(netloc=f"{target}{port}").geturl()
    tls = host if parts.scheme.lower() == "https" else None
    return Pinned(pinned, host_header=f"{host}{port}", tls_name=tls)
