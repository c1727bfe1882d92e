"""Callback data never trusted, never over 64 bytes; messages never over 4096 characters."""

from __future__ import annotations

import html

import pytest
from hypothesis import find, given
from hypothesis import strategies as st

from bot.render import buttons
from bot.render.fit import LIMIT, excerpt, fit


def test_round_trip_and_refusals() -> None:
    assert buttons.parse(buttons.make("dec", 42, "ya")) == buttons.Callback("dec", 42, "ya")
    for bad in (
        "dec 42 yes",
        "dec -1 ya",
        "dec 42",
        "zz 1 ya",
        "dec 42 ya ",
        " dec 42 ya",
        "dec 42 ya\n",
        "DEC 42 ya",
        None,
        42,
        "dec 1" + "0" * 60 + " ya",
    ):
        assert buttons.parse(bad) is None, bad
    with pytest.raises(ValueError):
        buttons.make("dec", 1, "maybe")


# Random text almost never looks like a button; near-misses of real data make the
# "parses to something" branch run too.
NEAR_MISS = st.builds(
    lambda p, n, a, sep: sep.join([p, n, a]),
    st.sampled_from(["dec", "jf", "ven", "lap", "DEC", "de", "zz"]),
    st.one_of(st.integers(0, 10**70).map(str), st.sampled_from(["-1", "1.0", "", "x", "١"])),
    st.sampled_from(["ya", "no", "re", "fix", "ven", "0", "12", "pick", "other", "yes", ""]),
    st.sampled_from([" ", "  ", "\t"]),
)


@given(
    st.one_of(
        st.text(max_size=200), st.binary(max_size=80).map(lambda b: b.decode("latin-1")), NEAR_MISS
    )
)
def test_any_data_parses_to_nothing_or_to_something_valid(data: str) -> None:
    cb = buttons.parse(data)
    if cb is not None:
        # The same button, within Telegram's limit, and its only spelling.
        assert cb.encode() == data
        assert len(data.encode()) <= buttons.MAX_BYTES


def test_a_number_with_leading_zeros_is_refused() -> None:
    for data in ("dec 01 ya", "dec 00 ya", "jf 0002 fix"):
        assert buttons.parse(data) is None, data


def test_the_property_above_also_sees_data_that_parses() -> None:
    """Not vacuous: its strategy produces valid button data, not only refusals."""
    found = find(NEAR_MISS, lambda d: buttons.parse(d) is not None)
    assert buttons.parse(found) is not None


@given(st.integers(min_value=0, max_value=10**12 - 1), st.sampled_from(["dec", "jf", "ven", "lap"]))
def test_built_data_fits_telegrams_limit(number: int, prefix: str) -> None:
    action = {"dec": "ya", "jf": "fix", "ven": "12", "lap": "pick"}[prefix]
    assert len(buttons.make(prefix, number, action).encode()) <= 64


@given(st.text(min_size=1, max_size=300), st.integers(min_value=0, max_value=10**12 - 1))
def test_any_name_makes_a_key_that_fits_and_reads_back(name: str, number: int) -> None:
    """A vendor's key: always a button action (whatever the name: spaces, emoji, 300
    characters), within Telegram's 64 bytes, and 8 characters long, so never the
    spelling of an old position ("0", "12")."""
    k = buttons.key(name)
    assert len(k) == buttons.KEY_CHARS
    cb = buttons.parse(buttons.make("ven", number, k))
    assert cb == buttons.Callback("ven", number, k)


def test_a_key_follows_the_name_not_its_position() -> None:
    names = ["Telkom Indihome", "Lintasarta", "Vendor (Padang) - Co."]
    keys = {n: buttons.key(n) for n in names}
    assert len(set(keys.values())) == 3
    for order in (names, names[::-1], names[1:] + names[:1]):
        for n in names:
            assert buttons.find(order, keys[n], str) == n
    # the same name as the office may retype it; another name, or an old index: none
    assert buttons.key("  telkom   INDIHOME ") == keys["Telkom Indihome"]
    for unknown in ("0", "1", "2", buttons.key("Telkom"), "zzzzzzzz"):
        assert buttons.find(names, unknown, str) is None, unknown


@given(
    st.lists(st.text(alphabet=st.characters(exclude_characters="\n"), max_size=6000), max_size=30)
)
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
