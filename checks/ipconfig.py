"""SOP step 3, "Melakukan pengecekan pengaturan alamat IP di dinas": IP settings.

Reads interfaces (addresses, link, speed), the default gateway and the DNS
servers, and compares them with ``[network]`` when the config names them.
Without expectations it still flags what always breaks an office network:
no default gateway, the gateway's interface down, no DNS server.
"""

from __future__ import annotations

import ipaddress
import socket

import psutil

from checks import sysnet
from checks.config import CheckConfig, Network
from checks.models import CheckResult, Finding, Status
from checks.result import StepTimer

STEP = 3


def interfaces() -> dict[str, dict[str, object]]:
    """Every interface with link state, speed, MTU and its IPv4/IPv6 addresses (CIDR)."""
    stats = psutil.net_if_stats()
    out: dict[str, dict[str, object]] = {}
    for name, addrs in psutil.net_if_addrs().items():
        st = stats.get(name)
        cidrs = []
        for a in addrs:
            if a.family in (socket.AF_INET, socket.AF_INET6) and a.netmask:
                try:
                    iface = ipaddress.ip_interface(f"{a.address.split('%', 1)[0]}/{a.netmask}")
                except ValueError:
                    continue
                cidrs.append(str(iface))
        out[name] = {
            "up": bool(st and st.isup),
            "speed_mbps": st.speed if st else 0,
            "mtu": st.mtu if st else 0,
            "addresses": cidrs,
        }
    return out


def _compare(
    net: Network,
    ifaces: dict[str, dict[str, object]],
    gateways: list[str],
    dns: list[str],
    gw_iface: str | None,
) -> list[Finding]:
    """Findings for every expectation in ``[network]`` the machine does not meet."""
    found: list[Finding] = []
    name = net.interface or gw_iface
    info = ifaces.get(name) if name else None
    if net.interface and info is None:
        found.append(
            Finding(
                code="ip.no_interface",
                severity=Status.FAIL,
                subject=net.interface,
                params={"interface": net.interface},
            )
        )
    if info is not None and name:
        addrs = [ipaddress.ip_interface(a) for a in info["addresses"]]  # type: ignore[attr-defined]
        if not info["up"]:
            found.append(
                Finding(
                    code="ip.link_down",
                    severity=Status.FAIL,
                    subject=name,
                    params={"interface": name},
                )
            )
        v4 = [a for a in addrs if a.version == 4]
        if not v4:
            found.append(
                Finding(
                    code="ip.no_address",
                    severity=Status.FAIL,
                    subject=name,
                    params={"interface": name},
                )
            )
        if net.address:
            want = ipaddress.ip_interface(net.address)
            same = [a for a in addrs if a.version == want.version]
            actual = ", ".join(str(a) for a in same) or "-"
            if want not in same:
                in_net = [a for a in same if a.network == want.network]
                code = "ip.wrong_address" if in_net else "ip.wrong_subnet"
                sev = Status.WARN if in_net else Status.FAIL
                found.append(
                    Finding(
                        code=code,
                        severity=sev,
                        subject=name,
                        params={"interface": name, "expected": net.address, "actual": actual},
                    )
                )
        speed = int(info["speed_mbps"])  # type: ignore[call-overload]
        if net.min_speed_mbps and 0 < speed < net.min_speed_mbps:
            found.append(
                Finding(
                    code="ip.slow_link",
                    severity=Status.WARN,
                    subject=name,
                    params={"interface": name, "speed_mbps": speed, "expected": net.min_speed_mbps},
                )
            )
    if not gateways:
        found.append(
            Finding(
                code="ip.no_gateway", severity=Status.FAIL, params={"expected": net.gateway or ""}
            )
        )
    elif net.gateway and net.gateway not in gateways:
        found.append(
            Finding(
                code="ip.wrong_gateway",
                severity=Status.FAIL,
                params={"expected": net.gateway, "actual": ", ".join(gateways)},
            )
        )
    if not dns:
        found.append(Finding(code="ip.no_dns", severity=Status.WARN))
    for want_dns in net.dns:
        if want_dns not in dns:
            found.append(
                Finding(
                    code="ip.dns_missing",
                    severity=Status.WARN,
                    subject=want_dns,
                    params={"expected": want_dns, "actual": ", ".join(dns) or "-"},
                )
            )
    return found


async def check_ipconfig(config: CheckConfig) -> CheckResult:
    """Read the IP settings and compare them with the expected ones."""
    timer = StepTimer(STEP)
    ifaces = interfaces()
    routes = sysnet.default_routes()
    dns = sysnet.dns_servers()
    gateways = [r.gateway for r in routes]
    gw_iface = routes[0].interface if routes else None
    findings = _compare(config.network, ifaces, gateways, dns, gw_iface)
    details = {
        "interfaces": ifaces,
        "default_gateway": gateways[0] if gateways else None,
        "gateway_interface": gw_iface,
        "default_routes": [
            {"interface": r.interface, "gateway": r.gateway, "metric": r.metric} for r in routes
        ],
        "dns_servers": dns,
    }
    summary = (
        f"gateway {gateways[0] if gateways else 'none'} via {gw_iface or '-'}, "
        f"DNS {', '.join(dns) or 'none'}"
    )
    return timer.result(summary, findings, details)
