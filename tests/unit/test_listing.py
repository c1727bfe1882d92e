"""The split of an incident's #K tags between its prompt and its continuations (issue 20)."""

from __future__ import annotations

import itertools

from bot.render import listing


def test_the_prompt_lists_every_tag_that_fits_its_share_and_no_more() -> None:
    tags = [f"#K{i}" for i in range(1, 1001)]
    shown = listing.in_prompt(tags, share=100)
    assert len(" ".join(tags[:shown])) <= 100 < len(" ".join(tags[: shown + 1]))
    assert listing.in_prompt(tags[:5], share=100) == 5


def test_pages_keep_order_stay_within_room_and_are_as_few_as_possible() -> None:
    tags = [f"#K{i}" for i in range(1, 700)]
    pages = listing.pack(tags, room=500)
    assert [t for p in pages for t in p] == tags
    assert all(len(" ".join(p)) <= 500 for p in pages)
    assert all(len(" ".join(p)) + 1 + len(n[0]) > 500 for p, n in itertools.pairwise(pages))


def test_a_join_changes_only_the_last_page() -> None:
    tags = [f"#K{i}" for i in range(1, 700)]
    before, after = listing.pack(tags, 500), listing.pack([*tags, "#K700"], 500)
    assert after[: len(before) - 1] == before[:-1]
