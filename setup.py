"""Build hook: a wheel of the portal carries what git does not, so that `pip install .` gives a
working portal: the compiled message catalogues (*.mo, else Flask-Babel falls back to English)
and a copy of migrations/ as portal/migrations (else `flask db upgrade` finds no revisions).

Everything else about the package is in pyproject.toml. An editable install (`pip install -e .`,
as scripts/dev.py does) uses the checkout itself: its catalogues are compiled by scripts/dev.py
and by the tests, its migrations/ is read where it is.
"""

import shutil
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithCatalogues(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        package = Path(self.build_lib) / "portal"
        for po in sorted((package / "translations").glob("*/LC_MESSAGES/messages.po")):
            with po.open("rb") as source:
                catalog = read_po(source, locale=po.parent.parent.name)
            if catalog.fuzzy:
                # As pybabel compile: a fuzzy catalogue is not used; fail here, not in a lobby.
                raise SystemExit(f"{po} is marked fuzzy: run scripts/i18n.py update")
            with po.with_suffix(".mo").open("wb") as target:
                write_mo(target, catalog)
        migrations = package / "migrations"
        shutil.rmtree(migrations, ignore_errors=True)  # no revision left over from a past build
        shutil.copytree(
            ROOT / "migrations",
            migrations,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )


setup(cmdclass={"build_py": BuildPyWithCatalogues})
