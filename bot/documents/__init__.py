"""The documents the office files (SOP step 10): the Buku Agenda and the monthly Rekapitulasi.

``data`` gathers a period's complaints through the storage layer's read queries
into rows and a summary; ``writers`` turns them into CSV, XLSX and terminal
text; ``charts`` draws the recap's figures; ``pdf`` renders the editable
jinja2 templates (``bot/render/templates/<lang>/documents/``) into an A4 PDF
laid out as Permendagri No. 1 Tahun 2023 (Tata Naskah Dinas) asks of a laporan:
kop, title, number, body, place and date, position, name and NIP. ``service``
is what the CLI, the handlers and the monthly send use.

The heavy libraries (WeasyPrint, matplotlib, openpyxl) are imported only when a
document of that kind is made, so the bot's memory does not carry them.
"""
