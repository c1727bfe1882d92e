"""What an ignored update keeps in the inbox (``bot.telegram.inbox.audit_copy``)."""

from __future__ import annotations

import json

from bot.telegram.inbox import PREFIX, audit_copy

LONG = "x" * 4000


def test_a_pressed_button_keeps_who_where_and_its_data_cut_short() -> None:
    raw = {
        "update_id": 9,
        "callback_query": {
            "id": "77",
            "from": {"id": 7001, "is_bot": False, "first_name": LONG, "last_name": LONG},
            "chat_instance": LONG,
            "data": LONG,
            "message": {"message_id": 3, "date": 1, "chat": {"id": 7001, "type": "private"}},
        },
    }
    kept = audit_copy(raw)
    assert len(json.dumps(kept)) < 600
    query = kept["callback_query"]
    assert query["from"] == {"id": 7001, "is_bot": False, "first_name": LONG[:PREFIX]}
    assert query["data"] == LONG[:PREFIX] and query["message"]["chat"]["id"] == 7001
    assert kept["update_id"] == 9


def test_an_edited_captioned_message_keeps_a_prefix_and_drops_the_rest() -> None:
    raw = {
        "update_id": 10,
        "edited_message": {
            "message_id": 4,
            "date": 2,
            "edit_date": 3,
            "chat": {"id": -100200, "type": "supergroup", "title": LONG},
            "from": {"id": 7002, "is_bot": False, "first_name": "Sari"},
            "caption": LONG,
            "photo": [{"file_id": LONG, "file_unique_id": "u", "width": 1, "height": 1}],
            "entities": [{"type": "bold", "offset": 0, "length": 4000}],
        },
    }
    kept = audit_copy(raw)["edited_message"]
    assert kept == {
        "message_id": 4,
        "date": 2,
        "chat": {"id": -100200, "type": "supergroup"},
        "from": {"id": 7002, "is_bot": False, "first_name": "Sari"},
        "caption": LONG[:PREFIX],
    }
