"""What a person does often in the browser: sign in with phone and password."""

from playwright.sync_api import Page

from tests import factories


def sign_in(page: Page, someone, password: str = factories.PASSWORD) -> None:
    """Signs in on the Chinese sign-in page, as a resident or a secretary would."""
    page.goto("/login")
    page.get_by_label("手机号码").fill(someone.phone)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="登录").click()


def open_menu(page: Page) -> None:
    """Opens the header's menu: on a phone the account's links, signing out and the language
    switch are in it."""
    menu = page.get_by_role("banner").locator("details.menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()


# Every visible control in main (summaries of <details> too) with its height: what a thumb
# has to hit. A checkbox or radio button is tapped through its label, so the label counts.
TAP_TARGETS = """() => {
  const seen = [];
  const controls = "main a, main button, main input, main select, main textarea, main summary";
  for (const el of document.querySelectorAll(controls)) {
    if (el.type === "hidden" || el.getClientRects().length === 0) continue;
    let target = el;
    if (el.type === "checkbox" || el.type === "radio") {
      target = el.closest("label") || document.querySelector(`label[for="${el.id}"]`);
      if (!target) { seen.push({what: `<input> ${el.name} (no label)`, height: 0}); continue; }
    }
    const text = target.matches("input, select, textarea") ? target.name : target.innerText;
    seen.push({
      what: `<${target.tagName.toLowerCase()}> ${(text || "").trim()}`,
      height: target.getBoundingClientRect().height,
    });
  }
  return seen;
}"""


def tap_targets(page: Page) -> list[dict]:
    """The visible controls in main, each as {"what": description, "height": pixels}."""
    return page.evaluate(TAP_TARGETS)


def mark_the_window(page: Page):
    """Marks the window; the returned `survived()` says whether the same window is still
    there, that is, whether no page load happened since (htmx swapped a region instead)."""
    page.evaluate("window.__marker = 1")
    return lambda: page.evaluate("window.__marker") == 1
