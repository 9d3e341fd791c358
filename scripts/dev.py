#!/usr/bin/env python3
"""Set up and run the portal on a fresh machine with only Python 3.11+.

    python3 scripts/dev.py serve   # venv, dependencies, translations, database, demo; serves :5000
    python3 scripts/dev.py test    # venv, dependencies, translations, htmx and axe; runs the suite
    python3 scripts/dev.py lint    # ruff check, ruff format --check and mypy, as CI runs them

Anything after `test` goes to pytest (e.g. `python3 scripts/dev.py test tests/unit -x`).
"""

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def run(*args, **kwargs):
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=True, **kwargs)


def setup(extras: str) -> None:
    if not PY.exists():
        venv.create(VENV, with_pip=True)
    stamp = VENV / f".installed-{extras}"
    pyproject = ROOT / "pyproject.toml"
    if not stamp.exists() or stamp.stat().st_mtime < pyproject.stat().st_mtime:
        run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PY, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]")
        stamp.touch()
    compile_translations()


def compile_translations() -> None:
    run(
        PY,
        "-m",
        "babel.messages.frontend",
        "compile",
        "--statistics",
        "-d",
        ROOT / "portal" / "translations",
        "-D",
        "messages",
    )


# axe-core checks the pages for accessibility in the browser tests (tests/browser), loaded
# into the page from a local copy like htmx; pinned with its hash like htmx.
AXE_VERSION = "4.14.1"
AXE_SRI = "sha384-xt1SFg49QaDwsyt0Xfs2XAyBtYPClXl3X2q5OOLeGAUmq9jZTYIMdztpF99WdhiH"
AXE_TARGET = ROOT / "tests" / "browser" / "vendor" / f"axe-{AXE_VERSION}.min.js"


def npm_copy(package: str, member: str, target: Path, sri: str) -> Path | None:
    """A local copy of one file of a pinned npm package, checked against its SRI hash."""

    def good(path: Path) -> bool:
        digest = base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()
        return f"sha384-{digest}" == sri

    if target.exists() and good(target):
        return target
    npm = shutil.which("npm")
    if npm is None:
        print(f"npm not found: no local copy of {package}, so the browser tests will skip.")
        return None
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [npm, "pack", package, "--silent"],
            cwd=tmp,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with tarfile.open(next(Path(tmp).glob("*.tgz"))) as tar:
            extracted = tar.extractfile(member)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(extracted.read())
    if not good(target):
        target.unlink()
        sys.exit(f"The downloaded {package} does not match its pinned hash; refusing to use it.")
    return target


def htmx_copy() -> Path | None:
    """A local copy of the pinned htmx for the browser tests, checked against its SRI hash."""
    settings = (ROOT / "portal" / "settings.py").read_text()
    HTMX_VERSION = re.search(r'^HTMX_VERSION = "(.+)"', settings, re.M).group(1)
    HTMX_SRI = re.search(r'^HTMX_SRI = "(.+)"', settings, re.M).group(1)
    target = ROOT / "portal" / "static" / "vendor" / f"htmx-{HTMX_VERSION}.min.js"
    return npm_copy(f"htmx.org@{HTMX_VERSION}", "package/dist/htmx.min.js", target, HTMX_SRI)


def axe_copy() -> Path | None:
    return npm_copy(f"axe-core@{AXE_VERSION}", "package/axe.min.js", AXE_TARGET, AXE_SRI)


def serve() -> None:
    setup("postgres")
    env = {**os.environ, "FLASK_APP": "wsgi", "PORTAL_ENV": "development"}
    local = htmx_copy() if shutil.which("npm") else None
    if local and "HTMX_URL" not in env:
        env["HTMX_URL"] = f"/static/vendor/{local.name}"
    run(BIN / "flask", "db", "upgrade", env=env)
    run(BIN / "flask", "portal", "demo", env=env)
    run(BIN / "flask", "run", "--host", "127.0.0.1", "--port", "5000", env=env)


def test(args) -> int:
    setup("test,postgres")
    htmx_copy()
    axe_copy()
    env = {**os.environ, "PORTAL_ENV": "development"}
    return subprocess.run([str(PY), "-m", "pytest", *args], cwd=ROOT, env=env).returncode


def lint() -> int:
    setup("test,postgres")
    failed = 0
    for command in (
        [BIN / "ruff", "check", "."],
        [BIN / "ruff", "format", "--check", "."],
        [BIN / "mypy"],
    ):
        print("+", " ".join(str(c) for c in command), flush=True)
        failed |= subprocess.run([str(c) for c in command], cwd=ROOT).returncode
    return failed


def main() -> None:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "serve":
        serve()
    elif command == "test":
        sys.exit(test(sys.argv[2:]))
    elif command == "lint":
        sys.exit(lint())
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
