"""The documents the office files (SOP step 10): the Buku Agenda and the monthly Rekapitulasi.

``data`` gathers a period's complaints through the storage layer's read queries
into rows; ``figures`` computes the recap's figures once (every format prints
them); ``writers`` turns rows and figures into CSV, XLSX and terminal text;
``charts`` decides what the recap's charts show; ``breaks`` marks where a word may
break; ``pdf`` feeds the office-editable Typst templates
(``bot/render/templates/<lang>/documents/*.typ``) to an A4 PDF laid out as
Permendagri No. 1 Tahun 2023 (Tata Naskah Dinas) asks of a laporan: kop, title,
number, body, place and date, position, name and NIP. ``service`` is what the CLI,
the handlers and the monthly send use.

The heavy libraries (typst, openpyxl, pyphen's patterns) are loaded only when a
document of that kind is made, so the bot's memory does not carry them.
"""
