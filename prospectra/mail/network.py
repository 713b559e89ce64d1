"""Where the server may connect for a user's relay: public addresses, or networks ops allow.

A user types a host name; the server connects. Without these checks any logged-in user could point
the relay at the metadata service (169.254.169.254), the database next door or the app itself, and
read the answers back as error messages. So the name is resolved once, every address it has is
checked, and the connection goes to one of those checked addresses: a second resolution could give
another answer (DNS rebinding). ``getaddrinfo`` also turns every spelling of an address (``0``,
``2130706433``, ``0x7f000001``, ``127.1``) into the usual one, so no spelling slips past.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from collections.abc import Iterable

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
# IPv6 prefixes whose addresses carry an IPv4 address a gateway would forward to.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# What host_problem() finds.
NOT_A_NAME, ADDRESS_AS_NAME = "not a host name or IP address", "an address spelled as a name"


class Refused(Exception):
    """The relay's host resolves to an address this service does not connect to."""


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` has for a TCP connection, in the resolver's order, without repeats.

    The one place a relay's name is looked up; tests replace it with a fake resolver.

    :raises OSError: (``socket.gaierror``) the name has no address.
    """
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """The networks of ``[mail] allowed_relay_networks``.

    :raises ValueError: a value is not a network in CIDR form (host bits set included).
    """
    return tuple(ipaddress.ip_network(value, strict=True) for value in values)


def checked(addresses: Iterable[str], allowed: tuple[Network, ...]) -> list[Address]:
    """The addresses, parsed, if every one of them may be connected to.

    :raises Refused: one of them is not public and not in ``allowed`` (a name with one public and
        one private address is refused whole: the resolver may hand out either).
    """
    result = []
    for text in addresses:
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            raise Refused(text) from None
        if not allowed_address(address, allowed):
            raise Refused(text)
        result.append(address)
    if not result:
        raise Refused("no address")
    return result


def allowed_address(address: Address, allowed: tuple[Network, ...]) -> bool:
    """Whether the server may connect to ``address``: it is public, or inside a network ops allow."""
    address = _unmapped(address)
    if any(address in network for network in allowed):
        return True
    return _public(address)


def _unmapped(address: Address) -> Address:
    """``::ffff:127.0.0.1`` is 127.0.0.1 to the kernel: judge it as such."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _public(address: Address) -> bool:
    # is_global alone lets multicast, reserved and (IPv6) site-local addresses through.
    if not address.is_global or address.is_multicast or address.is_reserved:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return True
    if address.is_site_local:
        return False
    # An IPv4 address inside an IPv6 one (6to4, NAT64, the deprecated "compatible" form) is
    # where a gateway may deliver the connection: it must be public too.
    embedded = address.sixtofour
    if embedded is None and (address in _NAT64 or int(address) >> 32 == 0):
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return embedded is None or _public(embedded)


def host_problem(host: str) -> str | None:
    """Why ``host`` is neither a DNS name nor an IP address in its usual spelling (NOT_A_NAME,
    ADDRESS_AS_NAME), or None.

    ``0``, ``2130706433``, ``0x7f000001`` and ``127.1`` are addresses to the resolver but look like
    names: they are refused when saved, so that what the user reads is what the server reaches.
    """
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if not host or not all(_LABEL.fullmatch(label) for label in labels):
        return NOT_A_NAME
    if labels[-1].isdigit() or _is_inet_aton_spelling(host):
        return ADDRESS_AS_NAME
    return None


def known_addresses(host: str, port: int) -> list[str]:
    """The addresses of ``host`` when no name server needs asking: an IP address, or ``localhost``
    (the hosts file); empty for any other name, which is resolved only when sending."""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    if host.lower() != "localhost":
        return []
    try:
        return resolve(host, port)
    except OSError:
        return []


def _is_inet_aton_spelling(host: str) -> bool:
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    return True


def connect(addresses: list[Address], port: int, remaining: Callable[[], float]) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that accepts one.

    :param remaining: the seconds left to the caller's deadline (raising TimeoutError past it).
    :raises OSError: none accepted (the last error).
    """
    error: OSError = OSError("no address")
    for address in addresses:
        family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(remaining())
            sock.connect((str(address), port))
            return sock
        except OSError as e:
            sock.close()
            error = e
    raise error
