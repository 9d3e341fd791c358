"""The sub-district's overseer reads November's figures on a phone, with and without
JavaScript: from the sub-district to a community, a compound, the cases behind its
satisfaction rate and one of them; the charts are drawn and their tables say the page's
numbers."""

from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from portal.organisation import queries
from tests.browser.helpers import sign_in
from tests.web import figures_world as hand_worked


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_the_overseer_drills_from_the_sub_district_to_a_case(
    new_page, live_server, world, javascript
):
    with live_server.app.app_context():
        ymn, czy = queries.compound_by_code("ymn"), queries.compound_by_code("czy")
        people = hand_worked.build(
            SimpleNamespace(
                sub=ymn.community.sub_district,
                community=ymn.community,
                ymn=ymn,
                czy=czy,
                other_community=czy.community,
            )
        )
        street = SimpleNamespace(phone=people.street.phone)

    page = new_page(javascript=javascript)
    sign_in(page, street)
    page.get_by_role("region", name="Figures").get_by_role(
        "link", name="Harbour sub-district"
    ).click()
    page.get_by_label("Period").select_option("2026-11")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("h1")).to_have_text("Figures of Harbour sub-district")

    total = page.locator('#figures-table tr[data-unit="*"]')
    expect(total.locator('td[data-figure="count:closed"]')).to_have_text("9")
    response = total.locator('td[data-figure="rate:response_rate"] a')
    expect(response).to_have_text("87.5%")
    # The charts are drawn, and their tables carry the page's numbers.
    expect(page.locator("svg.lines circle")).to_have_count(3)
    november = page.locator("#trend-numbers tbody tr").last
    expect(november.locator("th")).to_have_text("2026-11")
    expect(november.locator("td").first).to_have_text("87.5%")
    expect(page.locator("#ranked-numbers tbody tr")).to_have_count(1)
    expect(page.locator("#ranked-numbers tbody th")).to_have_text("Plum Garden")
    expect(page.locator("#ranked-numbers tbody td")).to_have_text("82.0")

    page.get_by_role("link", name="Lakeside community").click()
    expect(page.locator("h1")).to_have_text("Figures of Lakeside community")
    page.locator("#figures-table").get_by_role("link", name="Plum Garden").click()
    expect(page.locator("h1")).to_have_text("Figures of Plum Garden")
    satisfaction = page.locator(
        '#figures-table tr[data-unit="*"] td[data-figure="rate:satisfaction_rate"] a'
    )
    expect(satisfaction).to_have_text("80.0%")
    satisfaction.click()
    expect(page.locator("#figure-cases [role=status]")).to_have_text("6 cases")
    expect(page.locator("#figure-cases li.row")).to_have_count(6)
    first = page.locator("#figure-cases a.case-number").first
    number = first.inner_text()
    first.click()
    expect(page.locator("h1")).to_contain_text(number)
