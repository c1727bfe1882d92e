"""A local Bot API stand-in: a real HTTP server on 127.0.0.1 for end-to-end tests.

Only Telegram's servers are faked. The bot reaches this through
``TELEGRAM_API_BASE_URL`` exactly as it would reach api.telegram.org; tests
fill the update queue (messages, button presses from chosen users in chosen
chats) and read back what each chat holds. Like Telegram it refuses messages
over 4096 characters, HTML it cannot parse, edits that change nothing
("message is not modified") and, on request, a chat that blocked the bot (403).

``enforce_limits`` (or ``BotApiStub(enforce_limits=True)``) makes it refuse, like
Telegram, sendMessage and edits past about 1 a second per chat, 20 a minute
per group (negative chat id) and 30 a second overall: 429 with
``parameters.retry_after``; ``limited`` counts those 429s per chat. Off by
default.

``inject_faults`` makes a share of calls fail the ways Telegram's servers do
(seeded random): 429 with retry_after, 500/502, an answer sent after the
client gave up (the call *was* carried out), a hang (it was not), a connection
reset, "message is not modified" (on edits: carried out, as when an earlier
attempt got through) and 403 for chats chosen as ones that block the bot.
"""

from __future__ import annotations

import collections
import contextlib
import email.parser
import email.policy
import itertools
import json
import math
import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

BOT_USER = {"id": 999000, "is_bot": True, "first_name": "Netmaint", "username": "netmaint_bot"}
ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "a",
    "code",
    "pre",
    "tg-spoiler",
    "blockquote",
    "span",
    "tg-emoji",
}
NUMERIC = {"chat_id", "message_id", "offset", "limit", "timeout", "cache_time"}
OUTBOX_METHODS = ("sendMessage", "editMessageText", "editMessageReplyMarkup")
FAULT_KINDS = ("429", "500", "502", "late", "hang", "reset", "not_modified", "blocked")
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply "
    "markup are exactly the same as a current content and reply markup of the message"
)
JSON_FIELDS = {
    "reply_markup",
    "allowed_updates",
    "commands",
    "link_preview_options",
    "reply_parameters",
    "entities",
    "scope",
}
CHAT_NOT_FOUND = "Bad Request: chat not found"


class _HTMLCheck(HTMLParser):
    """Telegram's HTML parse mode: known tags only, properly nested."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = f'Unmatched end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def visible_text(html_text: str) -> str:
    """What a user sees of an HTML message (tags gone, entities decoded)."""
    p = _HTMLCheck()
    p.feed(html_text)
    p.close()
    return "".join(p.text)


def check_html(text: str) -> str | None:
    """Why Telegram would refuse ``text`` in HTML mode, or None."""
    p = _HTMLCheck()
    p.feed(text)
    p.close()
    if p.error:
        return p.error
    if p.stack:
        return f'Can\'t find end tag corresponding to start tag "{p.stack[-1]}"'
    return None


@dataclass
class FaultPlan:
    """Which calls fail and how: ``share`` of the calls to ``methods``, kinds drawn evenly."""

    share: float
    seed: int = 0
    kinds: tuple[str, ...] = FAULT_KINDS
    methods: tuple[str, ...] = OUTBOX_METHODS
    retry_after: int = 1
    late_s: float = 1.0  # "late" and "hang" answer after this: set it above the client's timeout
    blockable: frozenset[int] = frozenset()  # chats that may turn out to have blocked the bot


@dataclass(frozen=True)
class StubLimits:
    """Telegram's flood limits as the stand-in enforces them.

    ``slack_s`` shortens each window a little: a sender pacing exactly at the limit
    is not refused because two requests arrived a few milliseconds closer than they
    left (Telegram's own limits are not exact either).
    """

    per_chat_s: float = 1.0  # one message per chat in this many seconds
    group_per_min: int = 20  # messages per group (negative chat id) in any minute
    global_per_s: int = 30  # messages overall in any second
    slack_s: float = 0.1


@dataclass
class Injected:
    """One fault the stand-in injected."""

    method: str
    kind: str
    chat_id: int | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Call:
    """One request the bot made."""

    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    carried_out: bool = False  # the method ran (a message was sent or edited)


class BotApiStub:
    """The stand-in server; use as a context manager or start()/stop()."""

    def __init__(
        self,
        token: str = "123456789:TEST-token-for-the-local-stand-in",
        *,
        enforce_limits: bool | StubLimits = False,
    ) -> None:
        self.token = token
        self.limits: StubLimits | None = (
            enforce_limits
            if isinstance(enforce_limits, StubLimits)
            else StubLimits()
            if enforce_limits
            else None
        )
        self.limited: collections.Counter[int] = collections.Counter()  # 429s given, per chat
        self._accepted: dict[int, collections.deque[float]] = {}  # per chat, recent accepts
        self._accepted_all: collections.deque[float] = collections.deque()
        self.calls: list[Call] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.answers: dict[str, dict[str, Any]] = {}
        self.blocked: set[int] = set()
        # Chats Telegram does not know for this bot (a wrong id, a user who never pressed
        # Start): getChat, getChatMember and sendMessage answer 400 "chat not found".
        self.unknown_chats: set[int] = set()
        # The bot's own status in a group (getChatMember): "member" unless set here; "left"
        # or "kicked" also makes sendMessage there fail with 403, as Telegram does.
        self.bot_status: dict[int, str] = {}
        # A group's default permissions (getChat), e.g. {"can_send_messages": False}.
        self.permissions: dict[int, dict[str, Any]] = {}
        self.documents: list[tuple[int, str, bytes]] = []  # (chat, file name, bytes) sent
        # method -> queued failures (status, description, extra JSON) returned before success
        self.faults: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
        self.plan: FaultPlan | None = None
        self.injected: list[Injected] = []
        self._rng = random.Random(0)
        self._closed = threading.Event()
        self._lock = threading.Lock()
        self._updates: list[dict[str, Any]] = []
        self._sent_updates: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._ids = itertools.count(1)
        self._msg_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._closing = False
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                stub._handle(self)

            do_GET = do_POST

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/bot"

    def start(self) -> BotApiStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._closed.set()
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> BotApiStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests feed in ------------------------------------------------------------------

    def _push(self, update: dict[str, Any]) -> int:
        with self._cond:
            update_id = next(self._ids)
            update["update_id"] = update_id
            self._sent_updates[update_id] = update
            self._updates.append(update)
            self._cond.notify_all()
            return update_id

    def redeliver(self, update_id: int) -> None:
        """Deliver an update again, as Telegram does when it was not confirmed."""
        with self._cond:
            self._updates.append(self._sent_updates[update_id])
            self._updates.sort(key=lambda u: u["update_id"])
            self._cond.notify_all()

    @staticmethod
    def user(user_id: int, first_name: str = "User", username: str | None = None) -> dict:
        u: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            u["username"] = username
        return u

    @staticmethod
    def _chat(chat_id: int, user: dict[str, Any]) -> dict[str, Any]:
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": user["first_name"]}
        return {"id": chat_id, "type": "supergroup", "title": f"group {chat_id}"}

    def send_text(self, user: dict[str, Any], text: str, chat_id: int | None = None) -> int:
        """A user writes ``text`` (in their private chat unless ``chat_id`` says otherwise)."""
        chat_id = user["id"] if chat_id is None else chat_id
        msg: dict[str, Any] = {
            "message_id": next(self._msg_ids),
            "date": int(time.time()),
            "chat": self._chat(chat_id, user),
            "from": user,
            "text": text,
        }
        entities = []
        if text.startswith("/"):
            entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
        if entities:
            msg["entities"] = entities
        return self._push({"message": msg})

    def press(self, user: dict[str, Any], chat_id: int, message_id: int, data: str) -> str:
        """A user taps an inline button carrying ``data`` under a message; returns the query id."""
        stored = self.messages.get((chat_id, message_id))
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat(chat_id, user),
            "from": BOT_USER,
            "text": stored["text"] if stored else "?",
        }
        if stored and stored.get("reply_markup"):  # as Telegram does: the buttons it shows
            message["reply_markup"] = stored["reply_markup"]
        query_id = str(next(self._query_ids))
        self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "chat_instance": str(chat_id),
                    "message": message,
                    "data": data,
                }
            }
        )
        return query_id

    # --- what tests read back ----------------------------------------------------------------

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages a chat holds now (after edits), oldest first.

        ``text`` is what the user sees; ``html`` what the bot sent.
        """
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    def texts(self, chat_id: int) -> list[str]:
        return [m["text"] for m in self.chat_messages(chat_id)]

    def find(self, chat_id: int, needle: str) -> dict[str, Any] | None:
        """The newest message in a chat whose text contains ``needle``."""
        found = [m for m in self.chat_messages(chat_id) if needle in m["text"]]
        return found[-1] if found else None

    @staticmethod
    def buttons(message: dict[str, Any]) -> dict[str, str]:
        """Button label -> callback data of a message."""
        markup = message.get("reply_markup") or {}
        return {
            b["text"]: b.get("callback_data", "")
            for row in markup.get("inline_keyboard", [])
            for b in row
        }

    def fail_next(self, method: str, status: int, description: str, **extra: Any) -> None:
        """Make the next call of ``method`` fail like Telegram would (429, 5xx, ...)."""
        self.faults.setdefault(method, []).append((status, description, extra))

    def inject_faults(self, share: float, **options: Any) -> FaultPlan:
        """From now on fail ``share`` of the calls (see ``FaultPlan`` for the options)."""
        plan = FaultPlan(share, **options)
        with self._lock:
            self.plan = plan
            self._rng = random.Random(plan.seed)
        return plan

    def enforce_limits(self, limits: StubLimits | None = StubLimits()) -> None:
        """From now on refuse calls past Telegram's flood limits (None: stop refusing)."""
        with self._lock:
            self.limits = limits

    def stop_faults(self) -> None:
        with self._lock:
            self.plan = None

    def faults_of(self, kind: str) -> list[Injected]:
        return [f for f in self.injected if f.kind == kind]

    def sent(self, chat_id: int) -> list[Call]:
        """The sendMessage calls Telegram carried out for a chat, in order (a resent copy
        shows up twice: this is what the chat's members saw arrive)."""
        return [
            c
            for c in self.calls
            if c.method == "sendMessage" and c.carried_out and c.params.get("chat_id") == chat_id
        ]

    def duplicates(self) -> int:
        """Messages that arrived more than once (same chat and text, carried out twice)."""
        seen: dict[tuple[Any, str], int] = {}
        for c in self.calls:
            if c.method == "sendMessage" and c.carried_out:
                key = (c.params.get("chat_id"), str(c.params.get("text")))
                seen[key] = seen.get(key, 0) + 1
        return sum(n - 1 for n in seen.values())

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def pending_updates(self) -> int:
        with self._cond:
            return len(self._updates)

    # --- the server --------------------------------------------------------------------------

    def _handle(self, req: BaseHTTPRequestHandler) -> None:
        prefix = f"/bot{self.token}/"
        if not req.path.startswith(prefix):
            return self._reply(
                req, 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            )
        method = req.path[len(prefix) :]
        length = int(req.headers.get("Content-Length") or 0)
        raw = req.rfile.read(length) if length else b""
        content_type = req.headers.get("Content-Type", "")
        params = (
            self._multipart(content_type, raw)
            if "multipart/form-data" in content_type
            else self._params(content_type, raw.decode())
        )
        call = Call(method, params)
        self.calls.append(call)
        fault = self.faults.get(method)
        if fault:
            status, description, extra = fault.pop(0)
            return self._reply(
                req,
                status,
                {"ok": False, "error_code": status, "description": description, **extra},
            )
        kind, plan = self._draw(method, params)
        if kind is not None and plan is not None:
            self.injected.append(Injected(method, kind, params.get("chat_id")))
            if kind != "late" and self._fault(req, kind, plan, call):
                return None
        if method in OUTBOX_METHODS and (wait := self._over_limit(params)) is not None:
            return self._reply(
                req,
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {wait}",
                    "parameters": {"retry_after": wait},
                },
            )
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._reply(req, 200, {"ok": True, "result": True})
        status, result = handler(params)
        call.carried_out = status == 200
        if kind == "late" and plan is not None:  # carried out; the answer comes too late
            self._closed.wait(plan.late_s)
        if status == 200:
            return self._reply(req, 200, {"ok": True, "result": result})
        return self._reply(req, status, {"ok": False, "error_code": status, "description": result})

    def _over_limit(self, params: dict[str, Any]) -> int | None:
        """None and the call counts against the limits, or the retry_after of a 429."""
        with self._lock:
            lim = self.limits
            if lim is None:
                return None
            now = time.monotonic()
            chat = int(params.get("chat_id") or 0)
            mine = self._accepted.setdefault(chat, collections.deque())
            waits = []
            if mine and now - mine[-1] < lim.per_chat_s - lim.slack_s:
                waits.append(mine[-1] + lim.per_chat_s - now)
            if chat < 0:
                recent = [t for t in mine if now - t < 60 - lim.slack_s]
                if len(recent) >= lim.group_per_min:
                    waits.append(recent[-lim.group_per_min] + 60 - now)
            while self._accepted_all and now - self._accepted_all[0] >= 1 - lim.slack_s:
                self._accepted_all.popleft()
            if len(self._accepted_all) >= lim.global_per_s:
                waits.append(self._accepted_all[-lim.global_per_s] + 1 - now)
            if waits:
                self.limited[chat] += 1
                return max(1, math.ceil(max(waits)))
            mine.append(now)
            while len(mine) > max(lim.group_per_min, 1):
                mine.popleft()
            self._accepted_all.append(now)
            return None

    def _draw(self, method: str, params: dict[str, Any]) -> tuple[str | None, FaultPlan | None]:
        """Whether this call fails, and how (kinds that make no sense here are redrawn)."""
        with self._lock:
            plan = self.plan
            if plan is None or method not in plan.methods or self._rng.random() >= plan.share:
                return None, plan
            chat = params.get("chat_id")
            kinds = [
                k
                for k in plan.kinds
                if (k != "not_modified" or method.startswith("edit"))
                and (k != "blocked" or chat in plan.blockable)
            ]
            return (self._rng.choice(kinds) if kinds else None), plan

    def _fault(self, req: BaseHTTPRequestHandler, kind: str, plan: FaultPlan, call: Call) -> bool:
        """Answer (or not) as the fault says; False = carry on with the call."""
        if kind == "429":
            self._reply(
                req,
                429,
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {plan.retry_after}",
                    "parameters": {"retry_after": plan.retry_after},
                },
            )
        elif kind in ("500", "502"):
            status = int(kind)
            text = "Internal Server Error" if status == 500 else "Bad Gateway"
            self._reply(req, status, {"ok": False, "error_code": status, "description": text})
        elif kind == "hang":  # never carried out; the connection dies after late_s
            self._closed.wait(plan.late_s)
            req.close_connection = True
        elif kind == "reset":  # RST right after the request was read, nothing carried out
            req.close_connection = True
            with contextlib.suppress(OSError):
                req.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                req.connection.close()
        elif kind == "not_modified":  # the edit is applied, as by an earlier attempt
            handler = getattr(self, f"_m_{call.method}")
            status, _ = handler(call.params)
            call.carried_out = status == 200
            self._reply(req, 400, {"ok": False, "error_code": 400, "description": NOT_MODIFIED})
        elif kind == "blocked":
            self.blocked.add(int(call.params["chat_id"]))
            self._reply(
                req,
                403,
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
            )
        else:
            return False
        return True

    @staticmethod
    def _params(content_type: str, body: str) -> dict[str, Any]:
        if not body:
            return {}
        if "json" in content_type:
            return json.loads(body)
        out: dict[str, Any] = {}
        for key, value in parse_qsl(body, keep_blank_values=True):
            if key in NUMERIC:
                out[key] = int(float(value))
            elif key in JSON_FIELDS:
                out[key] = json.loads(value)
            else:
                out[key] = value
        return out

    @classmethod
    def _multipart(cls, content_type: str, raw: bytes) -> dict[str, Any]:
        """A multipart upload (sendDocument): fields as in a form, files as {name, data}."""
        msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw
        )
        fields: list[tuple[str, str]] = []
        out: dict[str, Any] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            data = part.get_payload(decode=True) or b""
            if filename is not None:
                out[str(name)] = {"filename": filename, "data": data}
            else:
                fields.append((str(name), data.decode()))
        from urllib.parse import urlencode

        return {**cls._params("application/x-www-form-urlencoded", urlencode(fields)), **out}

    @staticmethod
    def _reply(req: BaseHTTPRequestHandler, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        req.end_headers()
        # The client may have given up (a cancelled long poll).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            req.wfile.write(data)

    # --- Bot API methods ---------------------------------------------------------------------

    def _m_getMe(self, p: dict[str, Any]) -> tuple[int, Any]:
        return 200, {
            **BOT_USER,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _m_getUpdates(self, p: dict[str, Any]) -> tuple[int, Any]:
        offset = int(p.get("offset") or 0)
        timeout = float(p.get("timeout") or 0)
        deadline = time.monotonic() + timeout
        with self._cond:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and not self._closing:
                if deadline - time.monotonic() <= 0:
                    break
                # Short sleeps, not Condition.wait(timeout): under libfaketime (the e2e
                # run at 04:30 WIB) a timed wait on a shifted clock can wait for days.
                self._cond.release()
                try:
                    time.sleep(0.02)
                finally:
                    self._cond.acquire()
            return 200, list(self._updates[: int(p.get("limit") or 100)])

    def _check_text(
        self, chat_id: int, text: str, parse_mode: str | None
    ) -> tuple[int, str] | None:
        if chat_id in self.blocked:
            return 403, "Forbidden: bot was blocked by the user"
        if len(text) > 4096:
            return 400, "Bad Request: message is too long"
        if parse_mode == "HTML" and (why := check_html(text)):
            return 400, f"Bad Request: can't parse entities: {why}"
        return None

    def _message(self, chat_id: int, message_id: int, p: dict[str, Any]) -> dict[str, Any]:
        msg = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": BOT_USER,
            "text": p.get("text", ""),
            "html": p.get("text", ""),
        }
        if p.get("parse_mode") == "HTML":
            msg["text"] = visible_text(msg["html"])
        if p.get("reply_markup"):
            msg["reply_markup"] = p["reply_markup"]
        return msg

    def _m_sendMessage(self, p: dict[str, Any]) -> tuple[int, Any]:
        chat_id = int(p["chat_id"])
        if chat_id in self.unknown_chats:
            return 400, CHAT_NOT_FOUND
        if self.bot_status.get(chat_id) in ("left", "kicked"):
            return 403, "Forbidden: bot is not a member of the supergroup chat"
        if err := self._check_text(chat_id, p.get("text", ""), p.get("parse_mode")):
            return err
        msg = self._message(chat_id, next(self._msg_ids), p)
        reply = p.get("reply_parameters")
        stored = {**msg, "reply_to_message_id": reply.get("message_id")} if reply else msg
        self.messages[(chat_id, msg["message_id"])] = stored  # what the chat shows
        return 200, msg

    def _m_editMessageText(self, p: dict[str, Any]) -> tuple[int, Any]:
        chat_id, message_id = int(p["chat_id"]), int(p["message_id"])
        if err := self._check_text(chat_id, p.get("text", ""), p.get("parse_mode")):
            return err
        old = self.messages.get((chat_id, message_id))
        if old is None:
            return 400, "Bad Request: message to edit not found"
        new = self._message(chat_id, message_id, p)
        if new["html"] == old["html"] and new.get("reply_markup") == old.get("reply_markup"):
            return 400, NOT_MODIFIED
        self.messages[(chat_id, message_id)] = new
        return 200, new

    def _m_editMessageReplyMarkup(self, p: dict[str, Any]) -> tuple[int, Any]:
        chat_id, message_id = int(p["chat_id"]), int(p["message_id"])
        if chat_id in self.blocked:
            return 403, "Forbidden: bot was blocked by the user"
        old = self.messages.get((chat_id, message_id))
        if old is None:
            return 400, "Bad Request: message to edit not found"
        new = dict(old)
        new.pop("reply_markup", None)
        if p.get("reply_markup"):
            new["reply_markup"] = p["reply_markup"]
        if new == old:
            return 400, "Bad Request: message is not modified"
        self.messages[(chat_id, message_id)] = new
        return 200, new

    def _m_sendDocument(self, p: dict[str, Any]) -> tuple[int, Any]:
        """A document: kept in ``documents`` with its bytes; the caption is its text."""
        chat_id = int(p["chat_id"])
        if err := self._check_text(chat_id, p.get("caption", ""), p.get("parse_mode")):
            return err
        doc = p.get("document")
        if not isinstance(doc, dict):
            return 400, "Bad Request: there is no document in the request"
        msg = self._message(chat_id, next(self._msg_ids), {**p, "text": p.get("caption", "")})
        msg["document"] = {
            "file_id": f"doc{msg['message_id']}",
            "file_unique_id": f"u{msg['message_id']}",
            "file_name": doc["filename"],
            "file_size": len(doc["data"]),
        }
        self.messages[(chat_id, msg["message_id"])] = msg  # its caption is found as its text
        self.documents.append((chat_id, doc["filename"], doc["data"]))
        answer = {k: v for k, v in msg.items() if k not in ("html", "text")}
        return 200, {**answer, "caption": msg["text"]}

    def _m_answerCallbackQuery(self, p: dict[str, Any]) -> tuple[int, Any]:
        self.answers[str(p["callback_query_id"])] = p
        return 200, True

    def _m_getChat(self, p: dict[str, Any]) -> tuple[int, Any]:
        chat_id = int(p["chat_id"])
        if chat_id in self.unknown_chats:
            return 400, CHAT_NOT_FOUND
        if self.bot_status.get(chat_id) in ("left", "kicked"):
            return 403, "Forbidden: bot is not a member of the supergroup chat"
        base: dict[str, Any] = {
            "id": chat_id,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }
        if chat_id > 0:
            return 200, {**base, "type": "private", "first_name": f"user {chat_id}"}
        return 200, {
            **base,
            "type": "supergroup",
            "title": f"group {chat_id}",
            "permissions": {"can_send_messages": True, **self.permissions.get(chat_id, {})},
        }

    def _m_getChatMember(self, p: dict[str, Any]) -> tuple[int, Any]:
        chat_id, user_id = int(p["chat_id"]), int(p["user_id"])
        if chat_id in self.unknown_chats:
            return 400, CHAT_NOT_FOUND
        user = BOT_USER if user_id == BOT_USER["id"] else self.user(user_id)
        status = self.bot_status.get(chat_id, "member") if user_id == BOT_USER["id"] else "member"
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "administrator":
            member.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=False,
                can_manage_video_chats=False,
                can_restrict_members=False,
                can_promote_members=False,
                can_change_info=False,
                can_invite_users=False,
                can_post_stories=False,
                can_edit_stories=False,
                can_delete_stories=False,
            )
        return 200, member

    def commands_for(self, scope_type: str, chat_id: int | None = None) -> list[str] | None:
        """The command names last set (setMyCommands) for a scope, or None if never set."""
        for c in reversed(self.calls_to("setMyCommands")):
            scope = c.params.get("scope") or {"type": "default"}
            if scope.get("type") == scope_type and scope.get("chat_id") == chat_id:
                return [cmd["command"] for cmd in c.params.get("commands", [])]
        return None
