"""报到 by an overseer, on a phone, with and without JavaScript: the community's overseer finds
the case the secretary escalated in their list, narrows it to the cases nobody has taken charge
of yet, opens the case, acknowledges it, and the list no longer shows it as waiting."""

import re
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from portal.accounts.roles import Role
from portal.cases import service
from portal.cases.models import Case
from portal.cases.workflow import State
from portal.extensions import db
from portal.organisation import queries
from tests import factories
from tests.browser.helpers import sign_in


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_the_overseer_finds_the_escalated_case_and_takes_charge_of_it(
    new_page, live_server, world, javascript
):
    with live_server.app.app_context():
        compound = queries.compound_by_code("ymn")
        secretary = factories.service.find_by_phone(world.secretary.phone)
        reporter = factories.resident(compound, name="王阿姨")
        overseer = factories.member(Role.COMMUNITY_OVERSEER, compound.community, name="陈主任")
        case = factories.case(
            compound, State.ACCEPTED, by=reporter, secretary=secretary, description="楼顶漏水"
        )
        service.escalate(case, secretary, reason="物业推诿，请社区协调")
        # One the community has already taken charge of, which the filter leaves out.
        other = factories.case(
            compound, State.ACCEPTED, by=reporter, secretary=secretary, description="路灯不亮"
        )
        service.escalate(other, secretary, reason="请社区协调")
        service.acknowledge(db.session.get(Case, other.id), overseer, version=other.version)
        number, other_number = case.number, other.number
        someone = SimpleNamespace(phone=overseer.phone)

    page = new_page(javascript=javascript)
    sign_in(page, someone)
    page.get_by_role("link", name="查看上报的事项").click()
    expect(page.locator("#escalated-counts")).to_be_visible()
    expect(page.locator("#escalated")).to_contain_text(number)
    expect(page.locator("#escalated")).to_contain_text(other_number)

    page.get_by_label("已报到").select_option("no")
    if not javascript:
        page.get_by_role("button", name="筛选").click()
    expect(page.locator("#escalated")).not_to_contain_text(other_number)
    expect(page).to_have_url(re.compile(r"acknowledged=no"))
    row = page.locator("#escalated li.row").filter(has_text=number)
    expect(row).to_contain_text("应于")

    row.get_by_role("link", name=number).click()
    expect(page.locator("#acknowledgement")).to_contain_text("上级人员应于")
    page.get_by_role("button", name="报到：由我接手此事").click()
    expect(page.locator("#acknowledgement")).to_contain_text("已报到：陈主任")
    expect(page.locator("#timeline")).to_contain_text("代表社区报到，接手此事。")
    expect(page.get_by_role("button", name="报到：由我接手此事")).to_have_count(0)

    page.goto("/oversight/escalated?acknowledged=no")
    expect(page.locator("#escalated")).to_contain_text("没有上报的事项。")
    with live_server.app.app_context():
        stored = db.session.scalar(db.select(Case).where(Case.number == number))
        assert stored.acknowledged_by.name == "陈主任"
