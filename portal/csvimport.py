"""Administrators' CSV files: the encodings Excel writes, numbered lines, all bad lines reported."""

import csv
import io

from flask_babel import lazy_gettext as _l

from portal import labels


class ImportRejected(Exception):
    """The file has bad lines; nothing was changed. `problems` is [(line number, message)]."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} bad line(s)")
        self.problems = sorted(problems, key=lambda p: p[0])


def decode(raw: bytes) -> str:
    """The file's text, or ImportRejected (line 1) when it is neither UTF-8 nor GB18030."""
    # Excel on a Chinese Windows saves CSV as GB18030 (GBK); elsewhere UTF-8, maybe with a BOM.
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    # UTF-16 without a byte-order mark "decodes" as GB18030 full of NULs, which no CSV has.
    if text is None or "\x00" in text:
        raise ImportRejected([(1, _l("unsupported encoding: save the file as UTF-8 or GB18030"))])
    return text


def read_rows(raw: bytes, required: tuple[str, ...], optional: tuple[str, ...] = ()):
    """The lines to check, [(line number, {column: stripped value})], and the problems of lines
    that can't be read, [(line number, message)]. ImportRejected on a wrong header."""
    reader = csv.reader(io.StringIO(decode(raw), newline=""))
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRejected(
            [(1, _l("missing columns: %(columns)s", columns=labels.listing(missing)))]
        )
    unknown = [c for c in header if c and c not in required + optional]
    if unknown:
        raise ImportRejected(
            [(1, _l("unknown columns: %(columns)s", columns=labels.listing(unknown)))]
        )
    rows, problems = [], []
    for cells in reader:
        cells = [c.strip() for c in cells]
        # A value past the last named column (often after an unquoted comma) would be lost,
        # and the values before it are likely cut short: report the line instead of checking it.
        beyond = cells[len(header) :] + [
            c for name, c in zip(header, cells, strict=False) if not name
        ]
        if any(beyond):
            problems.append(
                (reader.line_num, _l("more values than columns (quote values that contain commas)"))
            )
            continue
        cells += [""] * (len(header) - len(cells))
        values = {name: cell for name, cell in zip(header, cells, strict=False) if name}
        if any(values.values()):
            rows.append((reader.line_num, values))
    return rows, problems
