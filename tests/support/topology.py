"""A path to SIAK with real routing, in network namespaces a test creates and removes.

Each site namespace reaches the data center the way a Disdukcapil office does, one
part after the other (issue 21)::

    site-1 ─┐                 (LAN)          (ISP)            (VPN)         (pusat)
    site-2 ─┼─ veth ─ router ─ veth ─ isp ─ veth ─ pusat: 172.16.0.2 + SIAK on 10.200.0.10
    site-n ─┘   10.1.N.1/24      100.64.0.1/30       172.16.0.1/30

IPv4 forwarding is switched on inside the router and ISP namespaces only. The checks
of a site's parts are real addresses: the LAN gateway (``lan``), the ISP's side of the
line (``isp``), the VPN end in the data center (``vpn``), all pinged, and the SIAK
TCP listener in the pusat namespace (``SIAK_PORT``). ``break_part`` takes one part
down as a fault would (the gateway address gone, a veth down, the listener closed)
and ``mend`` undoes it.
Nothing leaves the namespaces; every name carries the run's pid and a random suffix.

Reuse: ``with topology(sites=2) as net: net.break_part("vpn"); net.site(0).python(...)``
or ``with entered(net.site(0)): ...`` to run this thread (the bot, its checks, a
stand-in created there) inside a site.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.netns import IP, Netns, _ip

PARTS = ("lan", "isp", "vpn", "pusat")  # nearest first, as a site's path names them
ISP_ADDRESS = "100.64.0.1"  # the ISP's side of the office line
VPN_ADDRESS = "172.16.0.2"  # the data center's VPN end
SIAK_ADDRESS = "10.200.0.10"  # SIAK inside the data center
SIAK_PORT = 8443
CLONE_NEWNET = 0x40000000
# A TCP listener that accepts and closes, like a service that answers (run in pusat).
_LISTENER = (
    "import socket,sys\n"
    "s=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
    "s.bind((sys.argv[1],int(sys.argv[2])));s.listen(64);print('ready',flush=True)\n"
    "while True:\n c,_=s.accept();c.close()\n"
)


def gateway(i: int) -> str:
    """Site ``i``'s LAN gateway: the router's address on its veth."""
    return f"10.1.{i + 1}.1"


def server(i: int) -> str:
    """Site ``i``'s own server on its LAN (where its agent listens)."""
    return f"10.1.{i + 1}.2"


@dataclass
class Topology:
    """The namespaces of one run and the faults set on them."""

    sites: list[Netns]
    router: Netns
    isp: Netns
    pusat: Netns
    _listener: subprocess.Popen[str] | None = field(default=None, repr=False)

    def site(self, i: int) -> Netns:
        return self.sites[i]

    def break_part(self, part: str, site: int = 0) -> None:
        """Take ``part`` down: the site's gateway address (at the router), the router's line to
        the ISP, the ISP's line to the data center, or SIAK's listener."""
        if part == "lan":  # the gateway stops answering; the site's own link stays up
            self.router.ip("addr", "del", f"{gateway(site)}/24", "dev", f"s{site}")
        elif part == "isp":
            self.router.ip("link", "set", "up0", "down")
        elif part == "vpn":
            self.isp.ip("link", "set", "dc0", "down")
        elif part == "pusat":
            self.close_siak()
        else:
            raise ValueError(f"unknown part {part!r}; expected one of {PARTS}")

    def mend(self) -> None:
        """Every link up and SIAK listening again (routes restored with the links)."""
        for i in range(len(self.sites)):
            self.router.ip("addr", "replace", f"{gateway(i)}/24", "dev", f"s{i}")
        self.router.ip("link", "set", "up0", "up")
        self.isp.ip("link", "set", "dc0", "up")
        _routes(self)
        self.open_siak()

    def open_siak(self) -> None:
        """Start SIAK's TCP listener in the pusat namespace (no-op when it runs)."""
        if self._listener is not None and self._listener.poll() is None:
            return
        argv = [IP, "netns", "exec", self.pusat.name, "python3", "-c", _LISTENER]
        proc = subprocess.Popen(
            [*argv, SIAK_ADDRESS, str(SIAK_PORT)], stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        self._listener = proc

    def close_siak(self) -> None:
        """Stop the listener: a connect to SIAK is refused, the VPN still answers pings."""
        if self._listener is not None:
            self._listener.kill()
            self._listener.wait(timeout=10)
            if self._listener.stdout is not None:
                self._listener.stdout.close()
            self._listener = None


def _veth(a: Netns, a_if: str, b: Netns, b_if: str) -> None:
    _ip("-n", a.name, "link", "add", a_if, "type", "veth", "peer", "name", b_if, "netns", b.name)
    a.ip("link", "set", a_if, "up")
    b.ip("link", "set", b_if, "up")


def _routes(net: Topology) -> None:
    """The routes a link down removed come back when it is up again (``replace``)."""
    for i, ns in enumerate(net.sites):
        with contextlib.suppress(subprocess.CalledProcessError):
            ns.ip("route", "replace", "default", "via", gateway(i))
    for ns, args in (
        (net.router, ("default", "via", ISP_ADDRESS)),
        (net.isp, ("10.1.0.0/16", "via", "100.64.0.2")),
        (net.isp, ("10.200.0.0/24", "via", VPN_ADDRESS)),
        (net.pusat, ("default", "via", "172.16.0.1")),
    ):
        with contextlib.suppress(subprocess.CalledProcessError):
            ns.ip("route", "replace", *args)


def _build(names: dict[str, Netns], sites: list[Netns]) -> Topology:
    router, isp, pusat = names["router"], names["isp"], names["pusat"]
    for ns in (*sites, router, isp, pusat):
        ns.ip("link", "set", "lo", "up")
    for i, ns in enumerate(sites):
        _veth(ns, "lan0", router, f"s{i}")
        ns.ip("addr", "add", f"{server(i)}/24", "dev", "lan0")
        router.ip("addr", "add", f"{gateway(i)}/24", "dev", f"s{i}")
    _veth(router, "up0", isp, "cust0")
    router.ip("addr", "add", "100.64.0.2/30", "dev", "up0")
    isp.ip("addr", "add", f"{ISP_ADDRESS}/30", "dev", "cust0")
    _veth(isp, "dc0", pusat, "vpn0")
    isp.ip("addr", "add", "172.16.0.1/30", "dev", "dc0")
    pusat.ip("addr", "add", f"{VPN_ADDRESS}/30", "dev", "vpn0")
    pusat.ip("addr", "add", f"{SIAK_ADDRESS}/32", "dev", "lo")
    for ns in (router, isp):  # forwarding only where a packet must cross
        ns.sysctl("net.ipv4.ip_forward", "1")
    for ns in sites:  # this venv's unprivileged ICMP, as in an office server
        ns.sysctl("net.ipv4.ping_group_range", "0 2147483647")
    net = Topology(sites=sites, router=router, isp=isp, pusat=pusat)
    _routes(net)
    net.open_siak()
    return net


@contextlib.contextmanager
def topology(sites: int = 1) -> Iterator[Topology]:
    """Create ``sites`` site namespaces, the router, the ISP and pusat; remove them after."""
    run = f"nmp-{os.getpid()}-{secrets.token_hex(2)}"
    made: list[str] = []
    net: Topology | None = None
    try:
        roles = [*(f"s{i}" for i in range(sites)), "router", "isp", "pusat"]
        for role in roles:
            name = f"{run}-{role}"
            _ip("netns", "add", name)
            made.append(name)
        spaces = {role: Netns(f"{run}-{role}") for role in roles}
        net = _build(spaces, [spaces[f"s{i}"] for i in range(sites)])
        yield net
    finally:
        if net is not None:
            net.close_siak()
        for name in made:
            with contextlib.suppress(subprocess.CalledProcessError):
                _ip("netns", "del", name)


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def entered(ns: Netns) -> Iterator[None]:
    """Move the calling thread into ``ns`` (sockets, and threads and processes it starts,
    live there) and back afterwards. Only this thread moves; the rest of the process
    stays where it was."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{ns.name}", os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)


SITES = ("Kecamatan Koto XI Tarusan", "Kecamatan Batang Kapas")
LAN = ("LAN Tarusan", "LAN Batang Kapas")
ISP_LINK, VPN_LINK, PUSAT_LINK = "Internet Kabupaten", "VPN SIAK", "SIAK Terpusat"
NAMED = {"isp": ISP_LINK, "vpn": VPN_LINK, "pusat": PUSAT_LINK}  # the part each fault breaks


def part_name(part: str, site: int = 0) -> str:
    """The [[links]] name of ``part`` on site ``site``'s path."""
    return LAN[site] if part == "lan" else NAMED[part]


def checks_toml(sites: int = 1) -> str:
    """The checks of the parts' addresses (what a site's agent needs), fast thresholds."""
    lans = "".join(
        f'\n[[targets]]\nname = "{LAN[i]}"\nhost = "{gateway(i)}"\n' for i in range(sites)
    )
    return (
        lans
        + f"""
[[targets]]
name = "{ISP_LINK}"
host = "{ISP_ADDRESS}"

[[targets]]
name = "{VPN_LINK}"
host = "{VPN_ADDRESS}"

[[services]]
name = "{PUSAT_LINK}"
host = "{SIAK_ADDRESS}"
port = {SIAK_PORT}

[thresholds]
ping_count = 1
ping_interval_s = 0.0
ping_timeout_s = 0.3
tcp_timeout_s = 0.5
"""
    )


def office_toml(sites: int = 1, agents: Sequence[tuple[str, Path]] = ()) -> str:
    """The office: the checks, and each site's path running LAN, ISP line, VPN, SIAK;
    ``agents``: each site's agent URL and CA file (its token in ``SITE<i>_AGENT_TOKEN``)."""
    where = [
        f'agent_url = "{agents[i][0]}"\nagent_token_env = "SITE{i}_AGENT_TOKEN"\n'
        f'agent_ca_file = "{agents[i][1]}"\n'
        if i < len(agents)
        else ""
        for i in range(sites)
    ]
    paths = "".join(
        f'\n[[links]]\nname = "{LAN[i]}"\nkind = "lan"\ncheck = "{LAN[i]}"\n'
        f'\n[[sites]]\nname = "{SITES[i]}"\n{where[i]}'
        f'path = ["{LAN[i]}", "{ISP_LINK}", "{VPN_LINK}", "{PUSAT_LINK}"]\n'
        for i in range(sites)
    )
    return (
        checks_toml(sites)
        + paths
        + f"""
[[vendors]]
name = "ISP Telkom"
phone = "147"

[[vendors]]
name = "Helpdesk SIAK Kemendagri"
phone = "021 000"

[[links]]
name = "{ISP_LINK}"
kind = "isp"
check = "{ISP_LINK}"
vendor = "ISP Telkom"
service_id = "4700123456"

[[links]]
name = "{VPN_LINK}"
kind = "vpn"
check = "{VPN_LINK}"
vendor = "ISP Telkom"
service_id = "4700999888"

[[links]]
name = "{PUSAT_LINK}"
kind = "pusat"
check = "{PUSAT_LINK}"
vendor = "Helpdesk SIAK Kemendagri"
"""
    )
