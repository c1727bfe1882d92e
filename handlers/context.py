"""Typed access to what every handler needs, kept in python-telegram-bot's ``bot_data``."""

from __future__ import annotations

from typing import Any, cast

from telegram.ext import Application, ContextTypes

from bot.services import Services

Ctx = ContextTypes.DEFAULT_TYPE
App = Application[Any, Any, Any, Any, Any, Any]  # the stock types; our state is in Services
_KEY = "services"


def attach(bot_data: dict[object, object], services: Services) -> None:
    """Put the services where ``services_of`` finds them (once, while wiring)."""
    bot_data[_KEY] = services


def services_of(context: Ctx) -> Services:
    """The SOP's services for this update."""
    return cast(Services, context.bot_data[_KEY])


def services_of_app(app: App) -> Services:
    """The SOP's services outside a handler (the fetch loop, the webhook)."""
    return cast(Services, app.bot_data[_KEY])
