"""CSV (UTF-8 with BOM, for Excel) and XLSX writers for HR exports, safe against formula injection.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some
programs also after a leading tab or carriage return) as a formula, so every such text
cell is prefixed with ``'`` (OWASP "CSV injection"). Numbers stay numbers. Rows are
consumed lazily: CSV is produced as a stream of chunks, XLSX through openpyxl's
write-only mode (rows are never all in memory; the compressed file is).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, tzinfo
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
CSV_CHUNK_ROWS = 500
XLSX_MAX_CELL = 32767

Cell = str | int | float | None


def neutralise(value: Any) -> Cell:
    """A cell value that no spreadsheet will run as a formula."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def fmt_date(value: date | datetime | None, tz: tzinfo) -> str:
    """YYYY-MM-DD in the display time zone ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(tz).date().isoformat()
    return value.isoformat()


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text in chunks, starting with the BOM; CRLF line ends as Excel expects."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([neutralise(h) for h in header])
    for n, row in enumerate(rows, start=1):
        writer.writerow([neutralise(v) for v in row])
        if n % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def display_width(text: str) -> int:
    """Width in Excel's character units: full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def write_xlsx(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    sheet_title: str,
    widths: Sequence[float | None] = (),
) -> io.BytesIO:
    """An XLSX workbook with one sheet, rewound and ready to send.

    Columns are as wide as `widths` says (characters), else as their header; the write-only
    mode cannot measure the rows afterwards.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31] or "Sheet1")
    for i, h in enumerate(header):
        wanted = widths[i] if i < len(widths) else None
        sheet.column_dimensions[get_column_letter(i + 1)].width = wanted or max(
            10, display_width(h) + 2
        )
    bold = Font(bold=True)
    header_cells = []
    for h in header:
        cell = WriteOnlyCell(sheet, value=neutralise(h))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    # Compressed, 10,000 rows are about a megabyte: kept in memory.
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def _xlsx_value(value: Any) -> Cell:
    cell = neutralise(value)
    if isinstance(cell, str):
        # openpyxl refuses control characters; Excel refuses cells longer than 32767.
        cell = "".join(c for c in cell if c in "\t\n\r" or ord(c) >= 32)[:XLSX_MAX_CELL]
    return cell
