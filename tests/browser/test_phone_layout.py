"""On a 390px phone the sign-in and sign-up pages fit the width, read easily and are easy to tap."""

import pytest

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
