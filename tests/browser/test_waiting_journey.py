"""Waiting on the resident, on phones, with and without JavaScript: the property staff member
asks the resident for access to the flat, the resident finds the request at the top of their
case and answers it there, and the case goes on with its deadline moved on."""

import re

import pytest
from playwright.sync_api import expect

from portal.accounts.roles import Role
from portal.cases.models import Case
from portal.cases.workflow import State
from portal.extensions import db
from portal.organisation import queries
from tests import factories
from tests.browser.helpers import sign_in

ASKED = "请明天上午在家，师傅要进屋查看卫生间漏水。"
ANSWER = "明天上午九点到十二点都在家。"


def action(page, summary):
    return page.locator("#case details.action").filter(
        has=page.locator("summary", has_text=re.compile(rf"^\s*{summary}\s*$"))
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_the_resident_sees_what_is_needed_and_their_answer_resumes_the_case(
    new_page, live_server, world, add_resident, add_member, javascript
):
    resident = add_resident("王阿姨", building="2", room="2-301")
    fitter = add_member(Role.PROPERTY_STAFF, "孙师傅")
    with live_server.app.app_context():
        compound = queries.compound_by_code("ymn")
        secretary = factories.member(Role.SECRETARY, compound, name="李书记")
        reporter = factories.service.find_by_phone(resident.phone)
        staff = factories.service.find_by_phone(fitter.phone)
        case = factories.case(
            compound,
            State.IN_PROGRESS,
            by=reporter,
            secretary=secretary,
            assignee=staff,
            description="卫生间天花板漏水",
        )
        number, due_before = case.number, case.due_at

    page = new_page(javascript=javascript)
    sign_in(page, fitter)
    page.goto(f"/cases/{number}")
    hold = action(page, "等待居民")
    hold.locator("summary").click()
    hold.get_by_label("进入住户家中").check()
    hold.get_by_label("需要居民做什么（居民会看到）").fill(ASKED)
    hold.get_by_role("button", name="等待居民").click()
    expect(page.locator("#case h1")).to_contain_text("等待居民")
    expect(page.locator("#waiting")).to_contain_text(ASKED)
    expect(page.locator("#case")).to_contain_text("期限暂停")

    resident_page = new_page(javascript=javascript)
    sign_in(resident_page, resident)
    resident_page.goto(f"/cases/{number}")
    notice = resident_page.locator("#waiting")
    expect(notice).to_contain_text("我们需要您提供以下内容才能继续办理")
    expect(notice).to_contain_text("进入住户家中")
    expect(notice).to_contain_text(ASKED)
    # The answer's form is open and ready, without a tap to find it.
    answer = action(resident_page, "提交所需内容")
    expect(answer).to_have_attribute("open", "")
    answer.get_by_label("补充情况").fill(ANSWER)
    answer.get_by_role("button", name="提交").click()
    expect(resident_page.locator("#case h1")).to_contain_text("办理中")
    expect(resident_page.locator("#waiting")).to_have_count(0)
    expect(resident_page.locator("#case")).to_contain_text(ANSWER)

    with live_server.app.app_context():
        stored = db.session.scalar(db.select(Case).where(Case.number == number))
        assert stored.state is State.IN_PROGRESS
        assert stored.due_at >= due_before
