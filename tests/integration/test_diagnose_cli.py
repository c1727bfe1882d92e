"""``netmaint diagnose`` as an operator runs it: report text, JSON, exit codes, bad config."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from bot.cli import SUBCOMMANDS
from checks.models import Report
from tests.support import REPO


def diagnose(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NETMAINT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli.diagnose", *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "netmaint.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_wires_the_diagnose_module() -> None:
    assert SUBCOMMANDS["diagnose"][0] == "bot.cli.diagnose"


def test_bad_config_names_the_key_and_exits_unknown(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[[targets]]\nname = "gw"\nhost = "10.0.0.1"\n[[targets]]\nname = "x"\n')
    proc = diagnose("--config", str(cfg), cwd=tmp_path)
    assert proc.returncode == 3
    assert "targets[1].host" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_missing_explicit_config_exits_unknown(tmp_path: Path) -> None:
    proc = diagnose(cwd=tmp_path, env={"NETMAINT_CONFIG": str(tmp_path / "nope.toml")})
    assert proc.returncode == 3
    assert "nope.toml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_an_unknown_report_language_is_named_before_anything_runs(tmp_path: Path) -> None:
    proc = diagnose("--step", "6", cwd=tmp_path, env={"NETMAINT_LANG": "fr"})
    assert proc.returncode == 3
    assert "NETMAINT_LANG=fr" in proc.stderr and "id or en" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_ok_run_exits_0_with_indonesian_report(tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        '[[targets]]\nname = "server SIAK"\nhost = "127.0.0.1"\n[thresholds]\nping_count = 1\n',
    )
    proc = diagnose("--config", str(cfg), "--step", "4", cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("NETMAINT NORMAL")
    assert "Langkah 4: Menge'ping' ke alamat IP yang dituju" in proc.stdout
    assert "server SIAK (127.0.0.1): 1/1 balasan" in proc.stdout


def test_critical_run_exits_2_with_hint_in_english_via_env(tmp_path: Path) -> None:
    port = closed_port()
    cfg = write(tmp_path, f'[[services]]\nname = "Oracle"\nport = {port}\nsoftware = true\n')
    proc = diagnose(
        "--step", "2", cwd=tmp_path, env={"NETMAINT_CONFIG": str(cfg), "NETMAINT_LANG": "en"}
    )
    assert proc.returncode == 2
    assert proc.stdout.splitlines()[0].startswith("NETMAINT PROBLEM")
    assert f"service Oracle (127.0.0.1:{port}) refuses connections" in proc.stdout


def test_json_is_the_report(tmp_path: Path) -> None:
    port = closed_port()
    cfg = write(
        tmp_path,
        f'[[services]]\nname = "app"\nport = {port}\n[[processes]]\nname = "no-such-daemon-xyz"\n',
    )
    proc = diagnose("--json", "--step", "5", "--step", "2", "--config", str(cfg), cwd=tmp_path)
    report = Report.model_validate(json.loads(proc.stdout))
    assert [r.step for r in report.results] == [2, 5]
    codes = sorted(f.code for f in report.results[1].findings)
    assert codes == ["process.missing", "service.closed"]
    assert proc.returncode == report.exit_code == 2


def test_default_config_file_in_cwd_is_used(tmp_path: Path) -> None:
    write(tmp_path, "[thresholds]\nping_count = 0\n")
    proc = diagnose("--step", "6", cwd=tmp_path)
    assert proc.returncode == 3
    assert "thresholds.ping_count" in proc.stderr


def test_example_config_is_valid_and_documents_every_key() -> None:
    from bot.settings.office import OfficeConfig, load_office_config

    text = (REPO / "netmaint.example.toml").read_text(encoding="utf-8")
    load_office_config(REPO / "netmaint.example.toml")

    def keys(model: type, prefix: str = "") -> set[str]:
        out = set()
        for name, field in model.model_fields.items():
            out.add(name)
            ann = field.annotation
            inner = getattr(ann, "__args__", (ann,))[0] if hasattr(ann, "__args__") else ann
            if isinstance(inner, type) and hasattr(inner, "model_fields"):
                out |= keys(inner)
        return out

    import re

    written = set(re.findall(r"^\[{1,2}(\w+)\]{1,2}|^(\w+) =", text, re.M))
    written_keys = {a or b for a, b in written}
    missing = sorted(keys(OfficeConfig) - written_keys)
    assert missing == []


def test_the_offices_sections_are_read_strictly_too(tmp_path: Path) -> None:
    cfg = write(tmp_path, '[[sites]]\nname = "Kantor Dinas"\n[limits]\nwindow_minuets = 5\n')
    proc = diagnose("--config", str(cfg), "--step", "6", cwd=tmp_path)
    assert proc.returncode == 3
    assert "limits.window_minuets" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_configs_refused_since_issue_14_exit_unknown_and_name_the_key(tmp_path: Path) -> None:
    cases = {
        "targets[1].name": '[[targets]]\nname = "Kantor"\nhost = "10.0.0.1"\n'
        '[[targets]]\nname = "kantor"\nhost = "10.0.0.2"\n',
        "targets[0].host": '[[targets]]\nname = "gw"\nhost = "..."\n',
        "thresholds.cpu_warn_pct": "[thresholds]\ncpu_warn_pct = 99\ncpu_fail_pct = 90\n",
        "thresholds.ping_rtt_fail_ms": "[thresholds]\nping_rtt_fail_ms = inf\n",
        "nested": "a = " + "[" * 3000 + "]" * 3000 + "\n",
    }
    for key, text in cases.items():
        proc = diagnose("--config", str(write(tmp_path, text)), cwd=tmp_path)
        assert proc.returncode == 3, (key, proc.stderr)
        assert key in proc.stderr, (key, proc.stderr)
        assert "Traceback" not in proc.stderr + proc.stdout, key
