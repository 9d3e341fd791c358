"""A reply template on a phone, with and without JavaScript: the property staff member starts an
update, picks the compound's lift reply, edits what was inserted and posts it."""

import pytest
from playwright.sync_api import expect

from portal.accounts.roles import Role
from portal.cases import replies
from portal.cases.categories import Category
from portal.cases.workflow import State
from portal.organisation import queries
from tests import factories
from tests.browser.helpers import sign_in

REPLY = "已通知电梯维保单位，今天下午派人检修。"


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_the_fitter_inserts_a_reply_edits_it_and_posts_it(
    new_page, live_server, world, add_member, javascript
):
    fitter = add_member(Role.PROPERTY_STAFF, "孙师傅")
    with live_server.app.app_context():
        compound = queries.compound_by_code("ymn")
        secretary = factories.service.find_by_phone(world.secretary.phone)
        replies.save(compound, secretary, title="电梯维保", body=REPLY, category=Category.LIFT)
        case = factories.case(
            compound,
            State.IN_PROGRESS,
            by=factories.resident(compound, name="王阿姨"),
            secretary=secretary,
            assignee=factories.service.find_by_phone(fitter.phone),
            category=Category.LIFT,
            description="电梯停在三楼",
        )
        number = case.number

    page = new_page(javascript=javascript)
    sign_in(page, fitter)
    page.goto(f"/cases/{number}")
    update = page.locator("#case details.action").filter(has_text="发布进展")
    update.locator("summary").click()
    box = update.get_by_label("进展")
    if javascript:
        box.fill("王阿姨您好：")
        update.get_by_label("常用回复").select_option(label="电梯维保 · 电梯")
        expect(box).to_have_value(f"王阿姨您好：\n{REPLY}")
    else:
        update.get_by_label("常用回复").select_option(label="电梯维保 · 电梯")
        update.get_by_role("button", name="插入").click()
        update = page.locator("#case details.action").filter(has_text="发布进展")
        box = update.get_by_label("进展")
        expect(box).to_have_value(REPLY)
    box.fill(box.input_value().replace("今天下午", "明天上午"))
    update.get_by_role("button", name="发布", exact=True).click()
    expect(page.locator("#timeline")).to_contain_text("明天上午派人检修")
