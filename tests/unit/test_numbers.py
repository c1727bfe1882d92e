"""Numbers and dates in words, as a Berita Acara spells them (naskah dinas, issue 21)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.render.dates import day_in_words
from bot.render.numbers import in_words

SPELLED = {
    0: "nol",
    1: "satu",
    10: "sepuluh",
    11: "sebelas",
    12: "dua belas",
    19: "sembilan belas",
    20: "dua puluh",
    31: "tiga puluh satu",
    100: "seratus",
    101: "seratus satu",
    111: "seratus sebelas",
    250: "dua ratus lima puluh",
    1000: "seribu",
    1100: "seribu seratus",
    1999: "seribu sembilan ratus sembilan puluh sembilan",
    2000: "dua ribu",
    2026: "dua ribu dua puluh enam",
    11_000: "sebelas ribu",
    100_000: "seratus ribu",
    1_000_000: "satu juta",
    1_001_000: "satu juta seribu",
    2_500_000_000: "dua miliar lima ratus juta",
    10**12: "satu triliun",
}


@pytest.mark.parametrize(("n", "words"), SPELLED.items())
def test_indonesian_numbers_are_spelled_as_naskah_dinas_writes_them(n: int, words: str) -> None:
    assert in_words(n, "id") == words


def test_english_numbers_for_the_english_templates() -> None:
    assert in_words(2026, "en") == "two thousand twenty-six"
    assert in_words(115, "en") == "one hundred fifteen"


@pytest.mark.parametrize("n", [-1, 10**15])
def test_a_number_outside_the_range_is_refused_not_misspelled(n: int) -> None:
    with pytest.raises(ValueError, match="spells out"):
        in_words(n, "id")


def test_the_opening_of_a_berita_acara_names_the_day_and_spells_the_date() -> None:
    assert day_in_words(date(2026, 12, 2), "id") == (
        "Rabu, tanggal dua Desember tahun dua ribu dua puluh enam"
    )
    assert day_in_words(date(2027, 1, 31), "id") == (
        "Minggu, tanggal tiga puluh satu Januari tahun dua ribu dua puluh tujuh"
    )
    assert day_in_words(date(2026, 12, 21), "en") == (
        "Monday, the twenty-first day of December in the year two thousand twenty-six"
    )
