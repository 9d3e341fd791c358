"""Browser set-up: the app served on a free port, Debian's Chromium driven through Playwright."""

import os
import re
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from werkzeug.serving import make_server

from portal.accounts.models import HomeState
from portal.accounts.roles import Role
from portal.settings import HTMX_VERSION
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
HTMX_FILE = ROOT / "portal" / "static" / "vendor" / f"htmx-{HTMX_VERSION}.min.js"
HTMX_URL = f"/static/vendor/{HTMX_FILE.name}"
ARTIFACTS = ROOT / "test-artifacts"
# axe-core, fetched by scripts/dev.py test like htmx (pinned there), for the accessibility checks.
AXE_FILES = sorted((ROOT / "tests" / "browser" / "vendor").glob("axe-*.min.js"))

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
# Playwright's own waits are short enough to fail fast and long enough for a busy laptop.
EXPECT_TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk"
    if not HTMX_FILE.exists():
        return (
            f"the local htmx copy {HTMX_FILE.relative_to(ROOT)} is missing: "
            "run python3 scripts/dev.py test, which fetches it with npm"
        )
    if not AXE_FILES:
        return (
            "the local axe-core copy (tests/browser/vendor/axe-*.min.js) is missing: "
            "run python3 scripts/dev.py test, which fetches it with npm"
        )
    return None


@pytest.fixture(scope="session", autouse=True)
def browser_requirements():
    """Skip the browser tests when Chromium or htmx is missing; in CI, fail instead."""
    reason = _missing()
    if reason:
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
            pytest.fail(f"PORTAL_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def browser(browser_requirements):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        playwright.stop()


# -- the live server --------------------------------------------------------------------


class LiveServer:
    def __init__(self, app):
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="live-server", daemon=True
        )

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app_factory, tmp_path):
    """The app with real CSRF and the local htmx, served on 127.0.0.1 and a free port.
    Uploaded photos go to this test's temporary folder, never to instance/uploads."""
    app = app_factory(
        HTMX_URL=HTMX_URL, WTF_CSRF_ENABLED=True, UPLOAD_FOLDER=str(tmp_path / "uploads")
    )
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def world(live_server):
    """Overrides tests/conftest.py's world (which needs the `app` fixture's pushed context):
    the same two compounds in the live server's database, plus Plum Garden's secretary.
    Plain values only: the ORM objects do not outlive the app context."""
    with live_server.app.app_context():
        made = factories.world()
        ymn, czy = made.ymn, made.czy
        secretary = factories.member(Role.SECRETARY, ymn, name="Li Hua")
        return SimpleNamespace(
            ymn=SimpleNamespace(code=ymn.code, name=ymn.name),
            czy=SimpleNamespace(code=czy.code, name=czy.name),
            secretary=SimpleNamespace(name=secretary.name, phone=secretary.phone),
        )


@pytest.fixture
def add_resident(live_server):
    """Seeds a resident of Plum Garden; returns their name and phone."""

    def add(name, state=HomeState.VERIFIED, building="1", room="1-101"):
        with live_server.app.app_context():
            from portal.organisation import queries

            compound = queries.compound_by_code("ymn")
            someone = factories.resident(
                compound, building_code=building, room=room, state=state, name=name
            )
            return SimpleNamespace(name=someone.name, phone=someone.phone, room=room)

    return add


@pytest.fixture
def add_member(live_server):
    """Seeds a member of Plum Garden's three parties in `role`; returns their name and phone."""

    def add(role: Role, name: str):
        with live_server.app.app_context():
            from portal.organisation import queries

            someone = factories.member(role, queries.compound_by_code("ymn"), name=name)
            return SimpleNamespace(name=someone.name, phone=someone.phone)

    return add


# -- pages ------------------------------------------------------------------------------


@pytest.fixture
def new_page(request, browser, live_server):
    """Opens a page in a fresh phone-sized context (its own cookies) on the live server.

    new_page(locale="en-US") asks for another language; new_page(javascript=False) turns
    scripts off, as some phones and proxies do."""
    contexts = []
    pages = request.node.stash.setdefault(PAGES, [])

    def make(locale="zh-CN", javascript=True):
        context = browser.new_context(
            **PHONE, locale=locale, base_url=live_server.url, java_script_enabled=javascript
        )
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        pages.append(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


PAGES = pytest.StashKey[list]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """On failure, what each page showed: test-artifacts/<test>.png (a second page -2, …)."""
    report = yield  # outermost wrapper: an expected failure (xfail) is no longer "failed" here
    if report.when == "call" and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^\w.\[\]-]+", "_", item.name)
        for number, page in enumerate(item.stash.get(PAGES, []), start=1):
            if page.is_closed():
                continue
            shot = ARTIFACTS / f"{name}{'' if number == 1 else f'-{number}'}.png"
            try:
                page.screenshot(path=str(shot), full_page=True)
            except Exception as error:  # a screenshot must never hide the real failure
                report.sections.append(("screenshot", f"{shot.name}: {error}"))
            else:
                report.sections.append(("screenshot", str(shot.relative_to(ROOT))))
    return report
