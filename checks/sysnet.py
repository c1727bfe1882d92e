"""Read this machine's routes and DNS servers from the kernel and resolv.conf.

No outside lookups: the default targets of a run with no config file are the
machine's own gateway and DNS servers, read from local files only.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass
from pathlib import Path

ROUTE_PATH = Path("/proc/net/route")
RESOLV_PATH = Path("/etc/resolv.conf")

_RTF_UP = 0x1
_RTF_GATEWAY = 0x2


@dataclass(frozen=True)
class DefaultRoute:
    """An IPv4 default route: which interface, via which gateway."""

    interface: str
    gateway: str
    metric: int


def default_routes(path: Path = ROUTE_PATH) -> list[DefaultRoute]:
    """IPv4 default routes, lowest metric first (empty if none or unreadable)."""
    try:
        lines = path.read_text(encoding="ascii").splitlines()[1:]
    except OSError:
        return []
    routes = []
    for line in lines:
        fields = line.split()
        if len(fields) < 8:
            continue
        iface, dest, gateway, flags, metric, mask = (
            fields[0],
            fields[1],
            fields[2],
            fields[3],
            fields[6],
            fields[7],
        )
        try:
            if int(dest, 16) or int(mask, 16):
                continue
            if not int(flags, 16) & _RTF_UP or not int(flags, 16) & _RTF_GATEWAY:
                continue
            gw = socket.inet_ntoa(struct.pack("<I", int(gateway, 16)))
            routes.append(DefaultRoute(iface, gw, int(metric)))
        except ValueError:
            continue
    return sorted(routes, key=lambda r: r.metric)


def dns_servers(path: Path = RESOLV_PATH) -> list[str]:
    """Nameserver addresses listed in resolv.conf, in order, without duplicates."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return []
    servers: list[str] = []
    for line in lines:
        fields = line.split("#", 1)[0].split(";", 1)[0].split()
        if len(fields) >= 2 and fields[0] == "nameserver":
            try:
                addr = str(ipaddress.ip_address(fields[1].split("%", 1)[0]))
            except ValueError:
                continue
            if addr not in servers:
                servers.append(addr)
    return servers
