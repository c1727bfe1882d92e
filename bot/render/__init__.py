"""Render user-visible text from jinja2 templates, per language.

All wording lives in ``bot/render/templates/<lang>/``: the office can change it
without touching code. ``*.html.j2`` templates are autoescaped (Telegram HTML
parse mode, user text escaped); ``*.txt.j2`` are plain text (the terminal).
A template missing in ``en`` falls back to the ``id`` one.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.domain.events import EventKind

LANGS = ("id", "en")
DEFAULT_LANG = "id"


@cache
def environment(lang: str = DEFAULT_LANG) -> Environment:
    """The jinja2 environment for one language (built once)."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {', '.join(LANGS)}")
    loaders = [PackageLoader("bot.render", f"templates/{lang}")]
    if lang != DEFAULT_LANG:
        loaders.append(PackageLoader("bot.render", f"templates/{DEFAULT_LANG}"))
    env = Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.globals["lang"] = lang
    env.globals["kind"] = EventKind  # timeline kinds: a misspelt one fails, never misses
    return env


def render(lang: str, name: str, **context: Any) -> str:
    """Render template ``name`` in ``lang`` with ``context``."""
    return environment(lang).get_template(name).render(**context).strip()
