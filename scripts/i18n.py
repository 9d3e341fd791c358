#!/usr/bin/env python3
"""Keep the message catalogues in step with the code (run inside the venv).

    .venv/bin/python scripts/i18n.py update   # extract, merge, list what is missing

English is the source language: new English entries get their msgid as msgstr. Chinese
entries have to be written by a person; `update` lists the ones still empty.
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "portal" / "translations"
# zh_CN is parsed by Babel as zh_Hans_CN, which is the folder gettext looks for.
LOCALES = ("zh_Hans_CN", "en")


def extract(target: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "portal" / "babel.cfg"),
            "-k",
            "_l",
            "--no-location",
            "--sort-output",
            "--project",
            "portal",
            "-o",
            str(target),
            str(ROOT / "portal"),
        ],
        check=True,
        capture_output=True,
    )


def pot_bytes_reader(template):
    import io

    buffer = io.BytesIO()
    write_po(buffer, template)
    buffer.seek(0)
    return buffer


def update() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        pot = Path(tmp) / "messages.pot"
        extract(pot)
        template = read_po(pot.open("rb"))
    missing = 0
    for locale in LOCALES:
        path = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if path.exists():
            catalog = read_po(path.open("rb"), locale=locale)
            created = catalog.creation_date
            catalog.update(template, no_fuzzy_matching=True)
            catalog.creation_date = created  # no date-only diffs in git
        else:
            catalog = read_po(pot_bytes_reader(template), locale=locale)
        catalog.fuzzy = False  # a fuzzy header would make the compiler skip the catalogue
        for message in catalog:
            if not message.id:
                continue
            plural = isinstance(message.id, tuple)
            empty = not all(message.string) if plural else not message.string
            if locale == "en" and empty:
                message.string = tuple(message.id) if plural else message.id
            elif empty:
                missing += 1
                print(f"{locale}: untranslated: {message.id!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as out:
            write_po(
                out,
                catalog,
                width=0,
                omit_header=False,
                sort_output=True,
                ignore_obsolete=True,
                include_previous=False,
                no_location=True,
            )
    return 1 if missing else 0


if __name__ == "__main__":
    if sys.argv[1:] != ["update"]:
        sys.exit(__doc__)
    sys.exit(update())
