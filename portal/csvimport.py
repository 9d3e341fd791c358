"""Reading administrators' CSV files: encodings Excel writes, numbered lines, one report of every bad line."""

import csv
import io

from flask_babel import lazy_gettext as _l


class ImportRejected(Exception):
    """The file has bad lines; nothing was changed. `problems` is [(line number, message)]."""

    def __init__(self, problems):
        super().__init__(f"{len(problems)} bad line(s)")
        self.problems = sorted(problems, key=lambda p: p[0])


def decode(raw: bytes) -> str:
    # Excel on a Chinese Windows saves CSV as GB18030 (GBK); elsewhere UTF-8, maybe with a BOM.
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("gb18030")


def read_rows(raw: bytes, required: tuple[str, ...], optional: tuple[str, ...] = ()):
    """[(line number, {column: stripped value})] or ImportRejected on a wrong header."""
    reader = csv.DictReader(io.StringIO(decode(raw), newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise ImportRejected([(1, _l("missing columns: %(columns)s", columns=", ".join(missing)))])
    unknown = [c for c in header if c and c not in required + optional]
    if unknown:
        raise ImportRejected([(1, _l("unknown columns: %(columns)s", columns=", ".join(unknown)))])
    reader.fieldnames = header
    rows = []
    for record in reader:
        values = {k: (v or "").strip() for k, v in record.items() if k}
        if any(values.values()):
            rows.append((reader.line_num, values))
    return rows
