"""The calendar's words in Indonesian and English: a snapshot of Babel's CLDR data.

Nearly every message names a month or a day. Asking Babel for one costs the bot
4.2 MB resident for as long as it runs: any locale's first use reads Babel's
global tables (every zone, currency and language alias) in full. These few words
are Babel's own, copied: ``tests/unit/test_calendar_words.py`` compares each one
(and every date the bot writes over two years) with Babel, and prints the table
to paste here when a newer Babel words them otherwise. A zone not listed is
asked of Babel itself (``bot.render.dates.zone_name``).
"""

from __future__ import annotations

from collections.abc import Mapping

# Babel: get_month_names("wide" / "abbreviated", locale=...), January first.
MONTHS = {
    "id": (
        "Januari", "Februari", "Maret", "April", "Mei", "Juni",
        "Juli", "Agustus", "September", "Oktober", "November", "Desember",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
MONTHS_SHORT = {
    "id": ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}
# Babel: get_day_names("wide" / "abbreviated", locale=...), Monday first (date.weekday()).
WEEKDAYS = {
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
WEEKDAYS_SHORT = {
    "id": ("Sen", "Sel", "Rab", "Kam", "Jum", "Sab", "Min"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
# Babel's short zone names in Indonesian ("z"), for Indonesia's zones (no summer time).
ZONES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def words(table: Mapping[str, tuple[str, ...]], lang: str) -> tuple[str, ...]:
    """``table``'s words in ``lang``; English for a language it lacks (as the bot's texts)."""
    return table.get(lang, table["en"])
