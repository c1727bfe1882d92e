"""Telegram's flood limits, as token buckets the sender asks without blocking.

About 1 message a second per chat, 20 a minute per group, 30 a second overall.

A bucket books a send when the sender starts it, but Telegram counts it when the
request arrives, and a busy event loop can hold one request back and let the next
through at once: two sends booked 1 s apart arrived 0.1 s apart and drew a 429.
So each send is also counted until it is answered (``release``): a chat's next
send, a group's next, waits its interval from the answer, and no more sends are
in flight or answered within the last second than the overall limit allows. A
request arrives between its start and its answer, so no window Telegram looks at
can ever hold more than the limit.

The buckets run on monotonic seconds, never on the wall clock: a wall clock set
back 60 s (an NTP correction, an operator fixing the date) made every bucket owe
a minute and stalled every send 58 s; set back 7 hours (a hardware clock in WIB
taken for UTC), it would stall 7 hours.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.domain.clock import Clock

Ticks = Callable[[], float]  # seconds that only go forward (time.monotonic)


@dataclass(frozen=True, slots=True)
class PacerLimits:
    """Telegram's flood limits; tests pass shorter ones.

    A bucket of ``burst`` at ``rate`` lets ``burst + rate * T`` through in any T seconds,
    so a group's burst defaults to 1: never more than 21 a minute. Overall, the sends
    unanswered or answered within the last second are capped at ``global_per_s`` as
    well (``Pacer``), so 30 at once is safe: a burst of 60 acknowledgements goes out in
    about a second instead of two, and no second ever holds more than 30.
    """

    per_chat_s: float = 1.0  # at most one message per second in a chat
    group_per_min: float = 20.0  # at most 20 messages a minute in a group
    group_burst: int = 1
    global_per_s: float = 30.0  # at most 30 messages a second overall
    global_burst: int = 30


FORGET_AT = 1024  # chat buckets kept before the full ones are forgotten


class _Bucket:
    """A token bucket over the caller's monotonic seconds."""

    __slots__ = ("capacity", "rate", "stamp", "tokens")

    def __init__(self, rate: float, capacity: float, now: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.stamp = capacity, now

    def wait(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self.tokens -= 1

    def full(self, now: float) -> bool:
        """Refilled: the same as a new bucket, so it may be forgotten."""
        self.wait(now)
        return self.tokens >= self.capacity

    def hold(self, seconds: float, now: float) -> None:
        """Empty the bucket so that it next allows a send ``seconds`` from ``now``."""
        self.wait(now)
        self.tokens = min(self.tokens, 1 - seconds * self.rate)


class Pacer:
    """Per chat, per group and global token buckets, checked and taken together.

    Hand-rolled on purpose: the sender must ask "may this chat send now, and if not
    when?" without blocking (a held row must not hold up other chats) and take from
    three buckets at once or from none, over injectable monotonic seconds. PTB's
    ``AIORateLimiter`` blocks inside the request and retries 0 times by default;
    aiolimiter and pyrate-limiter offer one bucket per acquire with their own clock.
    """

    def __init__(
        self, limits: PacerLimits, clock: Clock | None = None, *, ticks: Ticks = time.monotonic
    ) -> None:
        """``ticks``: the seconds the buckets run on. ``clock`` (the sender's wall clock) is
        accepted for the callers that pass it and never read: pacing must not step with it.
        """
        self.limits = limits
        self.clock = clock
        self.ticks = ticks
        self._chats: dict[int, _Bucket] = {}
        self._groups: dict[int, _Bucket] = {}
        self._global: _Bucket | None = None
        self._inflight = 0  # sends started and not yet answered
        self._answered: deque[float] = deque()  # when recent sends were answered
        self._forget_at = FORGET_AT

    def _busy(self, now: float) -> float:
        """Seconds until the overall limit allows one more send counting those in flight
        and those answered within the last second (0: now)."""
        while self._answered and now - self._answered[0] >= 1.0:
            self._answered.popleft()
        limit = max(1, int(self.limits.global_per_s))
        if self._inflight + len(self._answered) < limit:
            return 0.0
        if self._inflight >= limit or not self._answered:
            return 0.01  # an answer frees a place; the sender is woken when it comes
        return max(0.001, self._answered[0] + 1.0 - now)

    def _now(self) -> float:
        return self.ticks()

    def _buckets(self, chat_id: int, now: float) -> list[_Bucket]:
        lim = self.limits
        if self._global is None:
            self._global = _Bucket(lim.global_per_s, lim.global_burst, now)
        out = [self._global]
        chat = self._chats.get(chat_id)
        if chat is None:
            if len(self._chats) >= self._forget_at:
                self._forget(now)
            chat = self._chats[chat_id] = _Bucket(1 / lim.per_chat_s, 1, now)
        out.append(chat)
        if chat_id < 0:  # a group (negative id): its per-minute budget as well
            group = self._groups.get(chat_id)
            if group is None:
                group = self._groups[chat_id] = _Bucket(
                    lim.group_per_min / 60, lim.group_burst, now
                )
            out.append(group)
        return out

    def _forget(self, now: float) -> None:
        """Drop the buckets that are full again (a storm's thousand reporters kept one
        each for good: 1.1 MB at 10,000). A held or busy one stays, so no limit is lost;
        when most are busy the next sweep waits until twice as many are kept."""
        self._chats = {k: b for k, b in self._chats.items() if not b.full(now)}
        self._groups = {k: b for k, b in self._groups.items() if not b.full(now)}
        self._forget_at = max(FORGET_AT, 2 * len(self._chats))

    def reserve(self, chat_id: int) -> float:
        """0 and a send is booked, or the seconds to wait before asking again."""
        now = self._now()
        buckets = self._buckets(chat_id, now)
        wait = max([b.wait(now) for b in buckets] + [self._busy(now)])
        if wait > 0:
            return wait
        for b in buckets:
            b.take()
        self._inflight += 1
        return 0.0

    def release(self, chat_id: int) -> None:
        """The send ``reserve`` booked for this chat was answered (or never made): the chat
        and its group wait their interval from now, and it counts in the last second."""
        now = self._now()
        self._inflight = max(0, self._inflight - 1)
        self._answered.append(now)
        chat = self._chats.get(chat_id)
        if chat is not None:
            chat.hold(self.limits.per_chat_s, now)
        group = self._groups.get(chat_id)
        if group is not None:
            group.hold(60 / self.limits.group_per_min, now)

    def global_wait(self) -> float:
        """Seconds until the overall budget allows any send (0: now)."""
        if self._global is None:
            return 0.0
        now = self._now()
        return max(self._global.wait(now), self._busy(now))

    def hold(self, chat_id: int, seconds: float) -> None:
        """Telegram answered 429 for this chat: nothing more to it for ``seconds``.

        The retry_after applies to the chat, not only to the refused row: without this a
        more urgent row of the same chat would be sent at once and refused again.
        """
        now = self._now()
        self._buckets(chat_id, now)
        self._chats[chat_id].hold(seconds, now)
