"""On a 390px phone the sign-in and sign-up pages fit the width, read easily and are easy to
tap; at twice the text size the header is still one line, with its menu a tap away."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.accounts.models import Person
from portal.extensions import db
from portal.organisation import queries
from tests import factories
from tests.browser.helpers import sign_in

PORTAL_CSS = Path(__file__).resolve().parents[2] / "portal" / "static" / "portal.css"

# Every visible control in main with its height and display; a checkbox is tapped via its label.
TAP_TARGETS = """() => {
  const seen = [];
  const controls = "main a, main button, main input, main select, main textarea";
  for (const el of document.querySelectorAll(controls)) {
    if (el.type === "hidden" || el.getClientRects().length === 0) continue;
    const target = el.type === "checkbox" ? document.querySelector(`label[for="${el.id}"]`) : el;
    seen.push({
      what: `<${target.tagName.toLowerCase()}> ${(target.innerText || target.name || "").trim()}`,
      height: target.getBoundingClientRect().height,
    });
  }
  return seen;
}"""


@pytest.mark.parametrize("path", ["/login", "/c/ymn/signup"])
def test_phone_viewport_has_no_horizontal_scroll_and_tap_targets(page, world, path):
    page.goto(path)

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{path} scrolls sideways: {width}px wide on a 390px phone"

    font_size = float(page.evaluate("getComputedStyle(document.body).fontSize").removesuffix("px"))
    assert font_size >= 16, f"{path} body text is {font_size}px"

    targets = page.evaluate(TAP_TARGETS)
    assert len(targets) >= 3, f"{path} shows no form to tap"
    small = [t for t in targets if t["height"] < 44]
    described = ", ".join(f"{t['what']} ({t['height']:.0f}px)" for t in small)
    assert small == [], f"{path} has tap targets under 44px: {described}"


# -- large text ---------------------------------------------------------------------------


def twice_the_text_size(page) -> None:
    """Text at 200 %, as a reader sets it on their phone: a 32px root font. It is added to the
    portal's stylesheet on its way in, since the page's CSP refuses a style tag."""
    css = PORTAL_CSS.read_text() + "\nhtml { font-size: 200%; }\n"

    def larger(route):
        route.fulfill(status=200, content_type="text/css; charset=utf-8", body=css)

    page.context.route(re.compile(r"/static/portal\.css(\?.*)?$"), larger)


def height(locator) -> float:
    box = locator.bounding_box()
    assert box is not None
    return box["height"]


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_at_twice_the_text_size_the_header_is_one_line_and_opens_its_menu(
    new_page, world, add_resident, javascript
):
    page = new_page(javascript=javascript)
    twice_the_text_size(page)
    sign_in(page, add_resident("Zhang Wei"))
    expect(page).to_have_url(re.compile(r"/my$"))
    page.goto("/c/ymn/report")
    assert page.evaluate("getComputedStyle(document.documentElement).fontSize") == "32px"

    header = page.get_by_role("banner")
    menu = header.locator("details.menu")
    summary = menu.locator("summary")
    # One line: the brand, the live inbox count and the menu, within 15 % of the screen.
    assert height(header) <= 0.15 * 844, f"the header is {height(header):.0f}px tall"
    brand = header.get_by_role("link", name="小区说事平台")
    expect(brand).to_be_visible()
    assert brand.bounding_box()["width"] >= 0.2 * 390, "the brand is squeezed out"
    expect(header.locator("#inbox-count")).to_be_visible()
    # Only the menu's icon shows at this size; its name is there for screen readers.
    expect(summary).to_have_text("菜单")
    assert height(summary) >= 44
    expect(header.get_by_role("link", name="我的工作台")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    summary.click()
    expect(menu).to_have_attribute("open", "")
    for control in (
        header.get_by_role("link", name="我的工作台"),
        header.get_by_role("link", name="Zhang Wei"),
        header.get_by_role("button", name="退出"),
        header.get_by_role("button", name="中文"),
        header.get_by_role("button", name="English"),
    ):
        expect(control).to_be_visible()
        assert height(control) >= 44
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    header.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Report an issue")
    expect(page.get_by_role("banner").locator("summary")).to_have_text("Menu")
    assert height(page.get_by_role("banner")) <= 0.15 * 844


def test_a_visitor_reaches_sign_in_through_the_menu_with_the_keyboard(new_page, world):
    page = new_page(javascript=False)
    twice_the_text_size(page)
    page.goto("/c/ymn/report")
    header = page.get_by_role("banner")
    assert height(header) <= 0.15 * 844
    expect(header.get_by_role("link", name="登录")).to_be_hidden()

    summary = header.locator("summary")
    summary.focus()
    page.keyboard.press("Enter")
    expect(header.locator("details.menu")).to_have_attribute("open", "")
    page.keyboard.press("Tab")
    expect(header.get_by_role("link", name="登录")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/login$"))


def test_on_a_wide_screen_the_menu_is_laid_out_in_the_header(page, world):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/login")
    header = page.get_by_role("banner")
    expect(header.locator("summary")).to_be_hidden()
    expect(header.get_by_role("link", name="注册", exact=True)).to_be_visible()
    expect(header.get_by_role("button", name="English")).to_be_visible()
    assert height(header) <= 60


def test_a_page_without_htmx_raises_no_error_and_its_menu_opens(
    page, world, add_resident, live_server
):
    resident = add_resident("Zhang Wei")
    with live_server.app.app_context():
        reporter = db.session.scalar(select(Person).where(Person.phone == resident.phone))
        number = factories.case(queries.compound_by_code("ymn"), by=reporter).number
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, resident)
    expect(page).to_have_url(re.compile(r"/my$"))

    page.goto(f"/cases/{number}/receipt")
    expect(page.get_by_role("main")).to_contain_text(number)
    assert page.locator("script").count() == 0
    assert page.evaluate("typeof window.htmx") == "undefined"
    header = page.get_by_role("banner")
    expect(header.locator("#inbox-count")).to_be_visible()
    header.locator("summary").click()
    header.get_by_role("link", name="我的工作台").click()
    expect(page).to_have_url(re.compile(r"/my$"))
    assert errors == []
