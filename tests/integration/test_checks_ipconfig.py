"""SOP step 3 (IP settings): read the real interfaces, routes and DNS, compare with config."""

from __future__ import annotations

import json
from pathlib import Path

from checks import sysnet
from checks.config import CheckConfig
from checks.ipconfig import check_ipconfig
from tests.support.netns import diagnose_in, netns, require_netns

ROUTE = """Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT
eth1\t00000000\t0164A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0
eth0\t00000000\t010200C0\t0003\t0\t0\t100\t00000000\t0\t0\t0
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0
"""


def test_default_routes_and_dns_from_files(tmp_path: Path) -> None:
    route, resolv = tmp_path / "route", tmp_path / "resolv.conf"
    route.write_text(ROUTE)
    resolv.write_text(
        "# comment\nsearch example\nnameserver 10.0.0.53\nnameserver ::1\n"
        "nameserver 10.0.0.53\nnameserver bogus\n"
    )
    routes = sysnet.default_routes(route)
    assert [(r.interface, r.gateway) for r in routes] == [
        ("eth0", "192.0.2.1"),
        ("eth1", "192.168.100.1"),
    ]
    assert sysnet.dns_servers(resolv) == ["10.0.0.53", "::1"]
    assert sysnet.default_routes(tmp_path / "missing") == []
    assert sysnet.dns_servers(tmp_path / "missing") == []


async def test_reports_this_machines_loopback_and_routes() -> None:
    result = await check_ipconfig(CheckConfig())
    lo = result.details["interfaces"]["lo"]
    assert lo["up"] is True
    assert "127.0.0.1/8" in lo["addresses"]
    assert result.details["dns_servers"] == sysnet.dns_servers()
    routes = sysnet.default_routes()
    assert result.details["default_gateway"] == (routes[0].gateway if routes else None)


NS_NET = """[network]
interface = "v0"
address = "{address}"
gateway = "{gateway}"
dns = ["127.0.0.1"]
"""


def _step3(ns, tmp_path: Path, address: str, gateway: str) -> dict:
    proc = diagnose_in(
        ns, NS_NET.format(address=address, gateway=gateway), "--json", "--step", "3", cwd=tmp_path
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout)["results"][0]


def test_expected_settings_match_then_each_mismatch_is_found(tmp_path: Path) -> None:
    require_netns()
    with netns(gateway="198.51.100.254", resolv="nameserver 127.0.0.1\n") as ns:
        ok = _step3(ns, tmp_path, "198.51.100.1/24", "198.51.100.254")
        subnet = _step3(ns, tmp_path, "10.20.30.5/24", "198.51.100.254")
        addr = _step3(ns, tmp_path, "198.51.100.9/24", "198.51.100.254")
        gw = _step3(ns, tmp_path, "198.51.100.1/24", "198.51.100.253")
        ns.ip("link", "set", "v1", "down")  # the other end unplugged: no carrier on v0
        down = _step3(ns, tmp_path, "198.51.100.1/24", "198.51.100.254")
        ns.ip("route", "del", "default")
        nogw = _step3(ns, tmp_path, "198.51.100.1/24", "198.51.100.254")
    assert ok["status"] == "ok", ok["findings"]
    assert ok["details"]["default_gateway"] == "198.51.100.254"
    assert ok["details"]["interfaces"]["v0"]["addresses"][0] == "198.51.100.1/24"
    assert [f["code"] for f in subnet["findings"]] == ["ip.wrong_subnet"]
    assert subnet["status"] == "fail"
    assert [f["code"] for f in addr["findings"]] == ["ip.wrong_address"]
    assert [f["code"] for f in gw["findings"]] == ["ip.wrong_gateway"]
    assert [f["code"] for f in down["findings"]] == ["ip.link_down"]
    assert "ip.no_gateway" in [f["code"] for f in nogw["findings"]]


def test_missing_dns_and_interface_are_found(tmp_path: Path) -> None:
    require_netns()
    with netns(gateway="198.51.100.254", resolv="# none\n") as ns:
        proc = diagnose_in(
            ns, '[network]\ninterface = "eth9"\n', "--json", "--step", "3", cwd=tmp_path
        )
    codes = {f["code"] for f in json.loads(proc.stdout)["results"][0]["findings"]}
    assert codes == {"ip.no_interface", "ip.no_dns"}
