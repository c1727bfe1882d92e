"""Which language the operator reads on the terminal, before the settings are known.

A setting that stops start-up must still be told in the office's language: read
NETMAINT_LANG directly (environment, then the ``.env`` file), default Indonesian.
"""

from __future__ import annotations

import os
from pathlib import Path

from bot.render import render
from bot.settings.environment import SettingsError
from checks.config import ConfigError


def operator_lang(explicit: str | None, env_file: Path | None) -> str:
    """``--lang``, else NETMAINT_LANG from the environment or the file, else ``id``."""
    if explicit:
        return explicit
    value = os.environ.get("NETMAINT_LANG")
    if value is None and env_file is not None:
        from dotenv import dotenv_values

        value = dotenv_values(env_file).get("NETMAINT_LANG")
    return value if value in ("id", "en") else "id"


def setup_error(lang: str, exc: SettingsError | ConfigError, source: str) -> str:
    """The error that stops start-up, worded in ``lang`` (``source``: "env" or the file)."""
    return render(lang, "setup_error.txt.j2", source=source, problems=exc.problems, detail=str(exc))
