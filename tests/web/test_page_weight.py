"""What a resident's phone downloads on slow 3G: the filing form on a first visit and the page
after it, compressed and with the static files kept; static addresses that change with their
files; compression that leaves photos, parts of files and streamed answers whole.

Run with -s to see the figures."""

import gzip
import hashlib
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import brotli
import pytest
from flask import Response, stream_with_context, url_for
from jinja2 import meta

from portal import assets
from portal.permissions import public
from portal.settings import HTMX_VERSION
from tests import factories
from tests.conftest import texts
from tests.web.test_case_flow import file_case, jpeg, the_case

GZIP = {"Accept-Encoding": "gzip"}
FIRST_VISIT_BYTES = 25 * 1024  # 0.5 s of 400 kbit/s, beside the round trips
NEXT_PAGE_BYTES = 8 * 1024
STATIC = Path(__file__).resolve().parents[2] / "portal" / "static"
NO_HTMX = re.compile(r"^\{% set htmx = false %\}", re.M)


class _Linked(HTMLParser):
    """The stylesheets and scripts a page makes the browser fetch."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "link" and values.get("rel") == "stylesheet" and values.get("href"):
            self.found.append(values["href"])
        elif tag == "script" and values.get("src"):
            self.found.append(values["src"])


def linked(html: str) -> list[str]:
    parser = _Linked()
    parser.feed(html)
    return parser.found


def on_the_wire(response) -> int:
    """Bytes of the answer as sent: status line, headers and (compressed) body."""
    head = f"HTTP/1.1 {response.status}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in response.headers.items())
    return len((head + "\r\n").encode()) + len(response.get_data())


def get(client, address: str, **headers):
    """The answer, read and closed: a static file's answer holds the file open until then."""
    with client.get(address, headers=headers) as answer:
        answer.get_data()
    return answer


def unpacked(response) -> str:
    assert response.headers.get("Content-Encoding") == "gzip"
    return gzip.decompress(response.get_data()).decode()


def fetch_linked(client, html: str, fetched: dict[str, int]) -> None:
    """Fetches what the page links that this phone does not hold yet, into `fetched` (address:
    bytes). A file may be held only under a versioned address answered as immutable."""
    for address in linked(html):
        if address in fetched:
            continue
        assert address.startswith("/static/"), f"{address}: not the portal's, so not measured"
        answer = get(client, address, **GZIP)
        assert answer.status_code == 200, address
        assert answer.headers["Cache-Control"] == assets.IMMUTABLE, address
        fetched[address] = on_the_wire(answer)


def test_a_visitor_files_a_case_within_the_budget_of_slow_3g(client, world):
    form = client.get("/c/ymn/report", headers=GZIP)
    assert form.status_code == 200
    held: dict[str, int] = {}
    fetch_linked(client, unpacked(form), held)
    first_visit = on_the_wire(form) + sum(held.values())

    # The phone holds the CSS and scripts now: the next page costs its HTML alone.
    filed = file_case(client, world)
    assert filed.status_code == 302, texts(filed)
    receipt = client.get(filed.headers["Location"], headers=GZIP)
    assert the_case().number in unpacked(receipt)
    assert set(linked(unpacked(receipt))) <= held.keys()
    after_filing = on_the_wire(filed) + on_the_wire(receipt)

    again = client.get("/c/ymn/report", headers=GZIP)
    assert set(linked(unpacked(again))) <= held.keys()
    form_again = on_the_wire(again)

    print(f"\nfirst visit to the filing form: {first_visit} bytes")
    print(f"  the form's HTML: {on_the_wire(form)} bytes")
    for address, size in held.items():
        print(f"  {address}: {size} bytes")
    print(f"filing and its receipt: {after_filing} bytes (redirect {on_the_wire(filed)})")
    print(f"the filing form again: {form_again} bytes")
    assert first_visit <= FIRST_VISIT_BYTES
    assert after_filing <= NEXT_PAGE_BYTES
    assert form_again <= NEXT_PAGE_BYTES


def test_the_filing_form_and_its_receipt_load_no_htmx(client, world):
    form = client.get("/c/ymn/report").get_data(as_text=True)
    filed = file_case(client, world)
    receipt = client.get(filed.headers["Location"]).get_data(as_text=True)
    for page in (form, receipt):
        assert "htmx" not in page
        assert not re.search(r"\shx-[a-z-]+=", page)
    # A page that loads htmx keeps it, and the token its requests carry.
    login = client.get("/login").get_data(as_text=True)
    assert "htmx" in login and "hx-headers=" in login


def test_a_page_without_htmx_has_no_hx_attribute_of_its_own(app):
    """Every template that says it needs no htmx, and what it includes, has no hx- attribute:
    it would do nothing there. (The shell's inbox count, polled by htmx, stands still on such a
    page, and a person who follows a link gets the count anew.)"""
    env = app.jinja_env
    loader = env.loader
    names = [n for n in loader.list_templates() if NO_HTMX.search(loader.get_source(env, n)[0])]
    assert "cases/receipt.html" in names
    for name in names:
        seen, todo = set(), [name]
        while todo:
            current = todo.pop()
            source = loader.get_source(env, current)[0]
            seen.add(current)
            assert not re.search(r"\shx-[a-z-]+=", source), f"{current} (from {name})"
            for used in meta.find_referenced_templates(env.parse(source)):
                if used and used != "base.html" and used not in seen:
                    todo.append(used)


# -- static addresses --------------------------------------------------------------------


def test_a_static_address_carries_the_files_digest_and_is_kept_a_year(app, client):
    with app.test_request_context():
        first = url_for("static", filename="portal.css")
        second = url_for("static", filename="portal.css")
    digest = hashlib.sha256((STATIC / "portal.css").read_bytes()).hexdigest()[:10]
    assert first == second == f"/static/portal.css?v={digest}"

    answer = get(client, first)
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # The same for everyone: a changed cookie (signing in, filing) does not make it stale.
    assert "Cookie" not in answer.headers.get("Vary", "")
    assert "Set-Cookie" not in answer.headers


@pytest.mark.parametrize("query", ["", "?v=0000000000", "?v="])
def test_a_static_address_without_the_current_digest_is_checked_each_time(client, query):
    answer = get(client, f"/static/portal.css{query}")
    assert answer.status_code == 200
    assert "immutable" not in answer.headers["Cache-Control"]
    assert "no-cache" in answer.headers["Cache-Control"]


@pytest.fixture
def own_static(app, tmp_path):
    """The app's static folder, copied where the test may change it; HTMX_URL on a local copy."""
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder, ignore=shutil.ignore_patterns("vendor"))
    (folder / "vendor").mkdir()
    (folder / "vendor" / f"htmx-{HTMX_VERSION}.min.js").write_text("/* htmx */\n" * 200)
    app.static_folder = str(folder)
    app.config["HTMX_URL"] = f"/static/vendor/htmx-{HTMX_VERSION}.min.js"
    return folder


def test_a_changed_file_gets_a_new_address_and_the_old_one_is_not_kept(app, client, own_static):
    with app.test_request_context():
        before = url_for("static", filename="portal.css")
    (own_static / "portal.css").write_text("body { color: #000; }\n")
    with app.test_request_context():
        after = url_for("static", filename="portal.css")
    assert before != after
    assert get(client, after).headers["Cache-Control"] == assets.IMMUTABLE
    old = get(client, before)
    assert old.get_data(as_text=True) == "body { color: #000; }\n"
    assert "immutable" not in old.headers["Cache-Control"]


def test_a_local_htmx_is_versioned_and_kept_a_year(client, own_static):
    page = client.get("/login").get_data(as_text=True)
    [script] = [a for a in linked(page) if "htmx" in a]
    assert re.fullmatch(rf"/static/vendor/htmx-{HTMX_VERSION}\.min\.js\?v=[0-9a-f]{{10}}", script)
    answer = get(client, script, **GZIP)
    assert answer.headers["Cache-Control"] == assets.IMMUTABLE
    assert gzip.decompress(answer.get_data()) == b"/* htmx */\n" * 200


def test_a_cdns_htmx_address_is_left_as_it_is(client):
    page = client.get("/login").get_data(as_text=True)
    assert f"https://unpkg.com/htmx.org@{HTMX_VERSION}/dist/htmx.min.js" in linked(page)


# -- compression ---------------------------------------------------------------------------


def test_pages_are_compressed_only_for_a_browser_that_asks(client, world):
    plain = client.get("/c/ymn/report")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    assert "<form" in plain.get_data(as_text=True)

    packed = client.get("/c/ymn/report", headers=GZIP)
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert "HX-Request" in packed.headers["Vary"]
    assert "<form" in unpacked(packed)
    assert len(packed.get_data()) < len(plain.get_data()) / 2

    brotli_page = client.get("/c/ymn/report", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert brotli_page.headers["Content-Encoding"] == "br"
    assert "<form" in brotli.decompress(brotli_page.get_data()).decode()


def test_a_static_file_is_compressed_whole_when_asked(client):
    css = (STATIC / "portal.css").read_bytes()
    answer = get(client, "/static/portal.css", **GZIP)
    assert answer.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(answer.get_data()) == css
    assert get(client, "/static/portal.css").get_data() == css


def test_part_of_a_static_file_comes_as_its_own_bytes(client):
    css = (STATIC / "portal.css").read_bytes()
    part = get(client, "/static/portal.css", **GZIP, Range="bytes=0-99")
    assert part.status_code == 206
    assert "Content-Encoding" not in part.headers
    assert part.get_data() == css[:100]


def test_a_photo_comes_as_the_jpeg_it_is(client, world, login):
    login(factories.resident(world.ymn, name="王阿姨"))
    assert file_case(client, world, photos=[(jpeg(), "lift.jpg")]).status_code == 302
    case = the_case()
    address = f"/cases/{case.number}/photos/{case.photos[0].id}"
    photo = client.get(address, headers=GZIP)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"
    assert "Content-Encoding" not in photo.headers
    body = photo.get_data()
    assert body[:2] == b"\xff\xd8" and int(photo.headers["Content-Length"]) == len(body)
    again = client.get(address, headers={**GZIP, "If-None-Match": photo.headers["ETag"]})
    assert again.status_code == 304


def test_a_streamed_answer_is_compressed_as_it_streams_and_arrives_whole(app, client):
    rows = [f"{n},row {n} of a long export\n".encode() for n in range(2000)]

    @public
    def export():
        return Response(stream_with_context(iter(rows)), mimetype="text/csv")

    app.add_url_rule("/test-export.csv", "test_export", export)
    packed = client.get("/test-export.csv", headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.get_data()) == b"".join(rows)
    plain = client.get("/test-export.csv")
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data() == b"".join(rows)


def test_compression_may_be_left_to_a_proxy(app_factory, monkeypatch):
    monkeypatch.setenv("PORTAL_COMPRESS", "0")
    client = app_factory().test_client()
    page = client.get("/login", headers=GZIP)
    assert page.status_code == 200 and "Content-Encoding" not in page.headers
    assert "<form" in page.get_data(as_text=True)
