"""Static files at addresses that change with their content, so that a phone keeps them a year.

Every `url_for('static', filename=...)` gets `?v=` and the first 10 hex digits of the file's
SHA-256 (a local `HTMX_URL` under /static/ too, through `local_url`). The static view answers
a request whose `v` is the file's current one with `Cache-Control: public, max-age=31536000,
immutable`: the next page needs no round trip for it, not even a revalidation. Without `v`, or
with another (a page drawn before the file changed), the answer keeps Flask's `no-cache`, so
that no cache holds today's file under yesterday's address.

A static file is the same for everyone, so its answer says nothing of the session: Flask would
add `Vary: Cookie` (Flask-Login looks at the session on every answer), and a browser asks again
for a file it holds whenever the cookie has changed since, that is after signing in, switching
the language or filing a case.

A digest is computed once per file and kept with the file's size, times and inode, which are
checked (one `stat`) each time an address is drawn: a file replaced in place, by a deploy
without a restart or an edit in development, gets its new address at once.

Why not a library: Flask-Static-Digest and Flask-Assets (webassets) write hashed copies in a
build step (`flask digest compile`, bundles) that a checkout, a wheel and the tests would each
have to run; WhiteNoise calls a file immutable only when its name carries a hash, which again
takes a build step, and serves the files in front of Flask, past its headers and compression.
A query parameter needs no copy, no build and no manifest: the files stay where they are,
under their own names, served by Flask's own static view.
"""

import hashlib
import os
import stat
from pathlib import Path

from flask import Flask, current_app, request, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"  # a year, and never revalidated meanwhile

# (size, modification time) and digest of each static file whose address was drawn, by path.
_digests: dict[str, tuple[tuple[int, int, int, int], str]] = {}


def version(filename: str) -> str | None:
    """The first 10 hex digits of the SHA-256 of the static file, or None if there is none."""
    folder = current_app.static_folder
    path = safe_join(folder, filename) if folder else None
    if path is None:
        return None
    try:
        found = os.stat(path)
    except OSError:
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    # ctime and inode too: a copy that keeps the old modification time (cp -p, rsync -t) of a
    # file of the same size still changes them.
    stamp = (found.st_size, found.st_mtime_ns, found.st_ctime_ns, found.st_ino)
    known = _digests.get(path)
    if known is not None and known[0] == stamp:
        return known[1]
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]
    _digests[path] = (stamp, digest)
    return digest


def local_url(url: str) -> str:
    """A configured address (HTMX_URL) as a versioned static address when it names a file of
    the static folder; any other address (a CDN's) as it is."""
    prefix = f"{current_app.static_url_path}/"
    if url.startswith(prefix) and "?" not in url and "#" not in url:
        return url_for("static", filename=url.removeprefix(prefix))
    return url


def _add_version(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "filename" in values and "v" not in values:
        found = version(values["filename"])
        if found:
            values["v"] = found


def _keep_versioned(response):
    if request.endpoint != "static":
        return response
    if response.status_code >= 400:
        # A missing file's page is drawn for the person asking (their name in the header).
        response.headers["Cache-Control"] = "private, no-store"
        return response
    asked = request.args.get("v")
    filename = (request.view_args or {}).get("filename")
    if asked and filename and asked == version(filename):
        response.headers["Cache-Control"] = IMMUTABLE
        response.headers.pop("Expires", None)
    return response


class _Sessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, left out of a static file's answer: no `Vary: Cookie`,
    no cookie set. A static request never changes the session."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint != "static":
            super().save_session(app, session, response)


def install(app: Flask) -> None:
    app.url_defaults(_add_version)
    app.after_request(_keep_versioned)
    app.session_interface = _Sessions()
