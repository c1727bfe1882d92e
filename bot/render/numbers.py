"""Numbers spelled out, as a Berita Acara writes them ("dua ribu dua puluh enam").

Naskah dinas opens a Berita Acara with the day in words ("Pada hari ini Rabu, tanggal
dua Desember tahun dua ribu dua puluh enam"), so a figure cannot be misread or
altered. Pure: no library spells Indonesian the way Tata Naskah Dinas does (``seratus``,
``seribu``, but ``satu juta``).
"""

from __future__ import annotations

_ID_UNITS = tuple(
    ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
     "sepuluh", "sebelas"]
)  # fmt: skip
_ID_SCALES = ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"), (1000, "ribu"))
_EN_UNITS = tuple(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
     "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
     "eighteen", "nineteen"]
)  # fmt: skip
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_SCALES = ((10**12, "trillion"), (10**9, "billion"), (10**6, "million"), (1000, "thousand"))
_EN_ORDINAL = {"one": "first", "two": "second", "three": "third", "five": "fifth",
               "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}  # fmt: skip


def _id_below_1000(n: int) -> str:
    if n < 12:
        return _ID_UNITS[n]
    if n < 20:
        return f"{_ID_UNITS[n - 10]} belas"
    if n < 100:
        tens, rest = divmod(n, 10)
        return f"{_ID_UNITS[tens]} puluh" + (f" {_ID_UNITS[rest]}" if rest else "")
    hundreds, rest = divmod(n, 100)
    head = "seratus" if hundreds == 1 else f"{_ID_UNITS[hundreds]} ratus"
    return head + (f" {_id_below_1000(rest)}" if rest else "")


def _id_words(n: int) -> str:
    for scale, name in _ID_SCALES:
        if n >= scale:
            high, rest = divmod(n, scale)
            head = "seribu" if scale == 1000 and high == 1 else f"{_id_words(high)} {name}"
            return head + (f" {_id_words(rest)}" if rest else "")
    return _id_below_1000(n)


def _en_words(n: int) -> str:
    for scale, name in _EN_SCALES:
        if n >= scale:
            high, rest = divmod(n, scale)
            return f"{_en_words(high)} {name}" + (f" {_en_words(rest)}" if rest else "")
    if n >= 100:
        hundreds, rest = divmod(n, 100)
        return f"{_EN_UNITS[hundreds]} hundred" + (f" {_en_words(rest)}" if rest else "")
    if n >= 20:
        tens, rest = divmod(n, 10)
        return _EN_TENS[tens] + (f"-{_EN_UNITS[rest]}" if rest else "")
    return _EN_UNITS[n]


def in_words(n: int, lang: str) -> str:
    """``n`` (0 to under a quadrillion) spelled out: 2026 -> "dua ribu dua puluh enam"."""
    if not 0 <= n < 10**15:
        raise ValueError(f"{n} is outside what a document spells out (0 to 10^15 - 1)")
    return _id_words(n) if lang == "id" else _en_words(n)


def ordinal(n: int, lang: str) -> str:
    """ "second", "twenty-first" (en); Indonesian dates use the cardinal ("dua")."""
    if lang == "id":
        return in_words(n, lang)
    words = _en_words(n)
    head, sep, last = words.rpartition("-") if "-" in words else ("", "", words)
    if last in _EN_ORDINAL:
        last = _EN_ORDINAL[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return f"{head}{sep}{last}"
