"""The figures and the cases behind them as files for a spreadsheet: CSV in UTF-8 with a byte
order mark (so that Excel opens Chinese correctly) and XLSX with a header row, column widths
and number formats. Both are written a row at a time from a cursor, so a list of a million
cases costs the worker no more memory than a list of ten."""

import codecs
import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from portal import labels
from portal.clock import LOCAL_ZONE


@dataclass(frozen=True)
class Column:
    heading: str
    value: Callable[[Any], object]
    # How a spreadsheet shows it: "text", "int", "percent" (a fraction), "decimal", "moment".
    kind: str = "text"
    width: int = 14


FORMATS = {"int": "0", "percent": "0.0%", "decimal": "0.0", "moment": "yyyy-mm-dd hh:mm"}


def _local(moment: datetime | None):
    """A moment as Beijing time without a zone: what a spreadsheet can hold."""
    return None if moment is None else moment.astimezone(LOCAL_ZONE).replace(tzinfo=None)


def _csv_value(column: Column, value) -> str:
    if value is None:
        return ""
    if column.kind == "percent":
        return f"{100 * value:.1f}"
    if column.kind == "decimal":
        return f"{value:.1f}"
    if column.kind == "moment":
        return f"{value:%Y-%m-%d %H:%M}"
    return str(value)


def csv_lines(columns: list[Column], rows: Iterable) -> Iterator[bytes]:
    """The CSV a line at a time, starting with the byte order mark; a percentage column is
    written as the number of percent (83.3), as its heading says."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values) -> bytes:
        writer.writerow(values)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text.encode("utf-8")

    yield codecs.BOM_UTF8 + line([_heading(c, csv=True) for c in columns])
    for row in rows:
        yield line([_csv_value(c, _cell(c, row)) for c in columns])


def _heading(column: Column, csv: bool = False) -> str:
    heading = str(column.heading)
    return _("%(heading)s (%%)", heading=heading) if csv and column.kind == "percent" else heading


def _cell(column: Column, row):
    value = column.value(row)
    return _local(value) if column.kind == "moment" else value  # type: ignore[arg-type]


def xlsx_file(title: str, columns: list[Column], rows: Iterable) -> str:
    """The workbook written to a temporary file (the caller sends and removes it): one sheet,
    its header row bold and frozen, each column as wide and formatted as it says."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=_heading(column))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formatted = [FORMATS.get(c.kind) for c in columns]
    for row in rows:
        values: list = []
        for column, number_format in zip(columns, formatted, strict=True):
            value = _cell(column, row)
            if number_format and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = number_format
                value = cell
            values.append(value)
        sheet.append(values)
    handle, path = tempfile.mkstemp(prefix="portal-export-", suffix=".xlsx")
    os.close(handle)
    book.save(path)
    return path


def chunks(path: str, size: int = 64 * 1024) -> Iterator[bytes]:
    """A file's bytes a chunk at a time, the file removed once sent (or the sending stopped)."""
    try:
        with open(path, "rb") as source:
            while chunk := source.read(size):
                yield chunk
    finally:
        os.unlink(path)


def yes_no(value: bool | None) -> str:
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def verdict(row) -> str:
    if row.closed_at is None:
        return ""
    if not row.visited:
        return str(_l("No feedback"))
    return str(_l("Solved")) if row.solved else str(_l("Closed, not solved"))


CASE_COLUMNS = [
    Column(_l("Case number"), lambda r: r.number, width=22),
    Column(_l("Compound"), lambda r: r.compound, width=16),
    Column(_l("Building"), lambda r: r.building, width=10),
    Column(_l("Category"), lambda r: labels.label(r.category), width=24),
    Column(_l("State"), lambda r: labels.label(r.state), width=10),
    Column(_l("Filed"), lambda r: r.created_at, "moment", 17),
    Column(_l("Triaged"), lambda r: r.triaged_at, "moment", 17),
    Column(_l("Resolved"), lambda r: r.resolved_at, "moment", 17),
    Column(_l("Closed"), lambda r: r.closed_at, "moment", 17),
    Column(_l("Outcome"), verdict, width=14),
    Column(
        _l("Satisfaction"),
        lambda r: labels.label(r.satisfaction) if r.satisfaction else "",
        width=12,
    ),
    Column(_l("Responded on time"), lambda r: yes_no(r.responded_on_time), width=10),
    Column(_l("Resolved on time"), lambda r: yes_no(r.resolved_on_time), width=10),
    Column(_l("Reopened"), lambda r: yes_no(r.reopened), width=10),
    Column(_l("Handled by"), lambda r: r.assignee or "", width=12),
]
