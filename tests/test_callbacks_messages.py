"""Callback data never trusted, never over 64 bytes; messages never over 4096 characters."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot import callbacks
from bot.messages import LIMIT, excerpt, fit


def test_round_trip_and_refusals() -> None:
    assert callbacks.parse(callbacks.make("dec", 42, "ya")) == callbacks.Callback("dec", 42, "ya")
    for bad in ("dec 42 yes", "dec -1 ya", "dec 42", "zz 1 ya", "dec 42 ya ", " dec 42 ya",
                "dec 42 ya\n", "DEC 42 ya", None, 42, "dec 1" + "0" * 60 + " ya"):
        assert callbacks.parse(bad) is None, bad
    with pytest.raises(ValueError):
        callbacks.make("dec", 1, "maybe")


@given(st.one_of(st.text(max_size=200), st.binary(max_size=80).map(lambda b: b.decode("latin-1"))))
def test_any_data_parses_to_nothing_or_to_something_valid(data: str) -> None:
    cb = callbacks.parse(data)
    if cb is not None:
        assert cb.encode() == data and len(data.encode()) <= callbacks.MAX_BYTES


@given(st.integers(min_value=0, max_value=10**12 - 1),
       st.sampled_from(["dec", "jf", "ven", "lap"]))
def test_built_data_fits_telegrams_limit(number: int, prefix: str) -> None:
    action = {"dec": "ya", "jf": "fix", "ven": "12", "lap": "pick"}[prefix]
    assert len(callbacks.make(prefix, number, action).encode()) <= 64


@given(st.lists(st.text(alphabet=st.characters(exclude_characters="\n"), max_size=6000),
                max_size=30))
def test_fit_never_exceeds_the_limit(lines: list[str]) -> None:
    text = "\n".join(html.escape(line) for line in lines)
    parts = fit(text)
    assert all(len(p) <= LIMIT for p in parts)
    if all(len(html.escape(line)) <= LIMIT for line in lines) and text.strip():
        assert "\n".join(parts).replace("\n", "") == text.replace("\n", "")


def test_excerpt_says_when_it_cut() -> None:
    assert excerpt("abc", 10) == ("abc", False)
    cut, was_cut = excerpt("x" * 5000, 600)
    assert was_cut and len(cut) == 601 and cut.endswith("…")
