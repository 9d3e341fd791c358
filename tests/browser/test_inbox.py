"""The header's unread count rises on its own: the resident keeps their page open while the
secretary acts on their case, and htmx's polling of /inbox/count shows the news without a
page load."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import Person
from portal.cases.categories import Category
from portal.cases.models import Case, Priority
from portal.extensions import db
from portal.organisation import queries
from tests import factories
from tests.browser.conftest import HTMX_URL, LiveServer
from tests.browser.helpers import mark_the_window, sign_in

POLL_SECONDS = 1
# Polling every second: the count must show within a few polls, never after a page load.
RISES_WITHIN_MS = 5_000


@pytest.fixture
def live_server(app_factory, tmp_path):
    """As tests/browser/conftest.py's live server, with the inbox polled every second."""
    app = app_factory(
        HTMX_URL=HTMX_URL,
        WTF_CSRF_ENABLED=True,
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        INBOX_POLL_SECONDS=POLL_SECONDS,
    )
    server = LiveServer(app)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def filed(live_server, world, add_resident):
    """A resident of Plum Garden and the case they filed; returns the resident and its number."""
    resident = add_resident("王阿姨", building="2", room="2-301")
    with live_server.app.app_context():
        compound = queries.compound_by_code("ymn")
        reporter = db.session.scalar(select(Person).where(Person.phone == resident.phone))
        case = factories.case(
            compound,
            by=reporter,
            category=Category.LIFT,
            description="电梯停在5楼不动",
            location="2单元",
        )
        return resident, case.number


def accept_in_the_background(live_server, number, secretary_phone):
    """The secretary accepts the case, here through the service (as from another phone)."""
    with live_server.app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        secretary = db.session.scalar(select(Person).where(Person.phone == secretary_phone))
        factories.accept(case, secretary, priority=Priority.URGENT)


def open_my_page(page, resident):
    sign_in(page, resident)
    page.goto("/my")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    inbox = page.locator("#inbox-count")
    expect(inbox).to_have_text("消息")
    expect(inbox.locator(".count")).to_have_count(0)
    expect(inbox).to_have_attribute("hx-trigger", f"every {POLL_SECONDS}s")
    # At least one poll has come back, and the count is still absent: nothing to show yet.
    with page.expect_response(re.compile(r"/inbox/count$")):
        pass
    expect(inbox.locator(".count")).to_have_count(0)
    return inbox


def test_the_unread_count_rises_without_a_page_load(page, world, live_server, filed):
    resident, number = filed
    inbox = open_my_page(page, resident)
    survived = mark_the_window(page)

    accept_in_the_background(live_server, number, world.secretary.phone)

    expect(inbox.locator(".count")).to_have_text("1", timeout=RISES_WITHIN_MS)
    expect(inbox).to_have_text(re.compile(r"^\s*消息\s*1\s*$"))
    expect(inbox.locator(".count")).to_have_attribute("aria-label", "1 条未读")
    assert survived(), "the count rose by a page load, not by htmx"

    # Opening the notification goes to the case and the count is gone.
    inbox.click()
    expect(page).to_have_url(re.compile(r"/inbox$"))
    page.get_by_role("button", name=re.compile(f"您的事项 {number} 已受理。")).click()
    expect(page).to_have_url(re.compile(rf"/cases/{number}$"))
    expect(page.locator("#inbox-count .count")).to_have_count(0)


def test_the_count_rises_while_the_secretary_accepts_on_her_own_phone(
    new_page, world, live_server, filed
):
    resident, number = filed
    mine = new_page()
    inbox = open_my_page(mine, resident)
    survived = mark_the_window(mine)

    theirs = new_page()
    sign_in(theirs, world.secretary)
    theirs.goto("/c/ymn/cases")
    row = theirs.get_by_role("listitem").filter(has=theirs.get_by_role("link", name=number))
    row.locator("summary", has_text="受理").click()
    row.get_by_role("button", name="受理", exact=True).click()
    expect(theirs.get_by_role("status").filter(has_text=f"事项 {number} 已受理。")).to_be_visible()
    # The secretary is not told of what she did herself: her one unread is the filing.
    expect(theirs.locator("#inbox-count .count")).to_have_text("1")

    expect(inbox.locator(".count")).to_have_text("1", timeout=RISES_WITHIN_MS)
    assert survived(), "the count rose by a page load, not by htmx"
