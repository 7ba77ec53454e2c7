"""Whom the limits count as one client, from the address uvicorn gives (behind a trusted proxy, its X-Forwarded-For):
the log-in and join limits (server.accounts.attempts) and the bodies of requests without a session
(server.web.anonymous) count the same way. Below both: it knows neither HTTP nor the database."""

from __future__ import annotations

import ipaddress

__all__ = ["site", "subscriber"]


def subscriber(address: str) -> str:
    """Whom the limits count as one client: an IPv4 address, or an IPv6 address's /64. One phone or one home line
    gets a whole /64 (a carrier hands each phone its own), and chooses any address in it at will: counted per
    address, a script took as many new guests as it liked from one phone (a stranger's second review of issue 15).
    An IPv4 address written as IPv6 (::ffff:192.0.2.1) is that IPv4 address. Anything else is kept as it is."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if ip.version == 6 and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def site(address: str) -> str:
    """An IPv6 client's /48: one site (a firm, a cloud account, a carrier's gateway), 65,536 phone lines. Wrong join
    codes are counted over it too, or 400 of its /64s would each guess 20 codes a window. "" for IPv4: an IPv4
    network is a carrier's NAT pool shared by thousands, left to the limit of everyone together."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return ""
    if ip.version == 6 and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/48", strict=False))
    return ""
