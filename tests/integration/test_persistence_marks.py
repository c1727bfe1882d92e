"""python-telegram-bot's marks for a persistence the bot has not got (issue 20):
dropped after each update, so memory does not grow with every reporter ever seen."""

from __future__ import annotations

from pathlib import Path

from telegram import Update
from telegram.ext import Application, CommandHandler, PicklePersistence

from bot.telegram.inbox import forget_persistence_marks
from tests.support.botapi_stub import BotApiStub


async def test_the_ids_marked_for_a_persistence_the_bot_lacks_are_dropped(
    stub: BotApiStub, tmp_path: Path
) -> None:
    """python-telegram-bot keeps every update's chat and user id for a persistence; the
    bot has none, so they would stay for the process's life, one per reporter."""

    def updates(app: Application) -> list[Update]:  # type: ignore[type-arg]
        return [
            Update.de_json(
                {
                    "update_id": i,
                    "message": {
                        "message_id": i,
                        "date": 1,
                        "chat": {"id": 5000 + i, "type": "private"},
                        "from": {"id": 5000 + i, "is_bot": False, "first_name": "Staf"},
                        "text": "/lapor",
                        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                    },
                },
                app.bot,
            )
            for i in range(1, 201)
        ]

    async def noop(update: object, context: object) -> None:
        return None

    bare = Application.builder().token(stub.token).base_url(stub.base_url).build()
    bare.add_handler(CommandHandler("lapor", noop))
    await bare.initialize()
    for update in updates(bare):
        await bare.process_update(update)
    marked = bare._user_ids_to_be_updated_in_persistence
    assert len(marked) == 200, "python-telegram-bot marks every reporter (else drop the fix)"
    forget_persistence_marks(bare)
    assert not bare._user_ids_to_be_updated_in_persistence
    assert not bare._chat_ids_to_be_updated_in_persistence

    store = PicklePersistence(tmp_path / "ptb.pickle")
    kept = (
        Application.builder().token(stub.token).base_url(stub.base_url).persistence(store).build()
    )
    kept.add_handler(CommandHandler("lapor", noop))
    await kept.initialize()
    for update in updates(kept)[:3]:
        await kept.process_update(update)
    forget_persistence_marks(kept)
    assert len(kept._user_ids_to_be_updated_in_persistence) == 3, "a persistence keeps its marks"
