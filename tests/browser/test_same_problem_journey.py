""" "Is it this one?" on a phone, with and without JavaScript: a neighbour opens building 2's
filing form about the lift that already has an open case; the form offers that case (as soon
as the kind is chosen, or as a step after sending without the script), they say "me too" and
land on the case they now follow, and no second case is filed."""

import pytest
from playwright.sync_api import expect

from portal.cases.categories import Category
from portal.cases.models import Case, Supporter
from portal.cases.workflow import State
from portal.extensions import db
from portal.organisation import queries
from tests import factories

OPEN_CASE = "2号楼电梯停在三楼不动"


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-js"])
def test_a_neighbour_follows_the_open_case_instead_of_filing_it_again(
    new_page, live_server, world, javascript
):
    with live_server.app.app_context():
        compound = queries.compound_by_code("ymn")
        case = factories.case(
            compound,
            State.ACCEPTED,
            secretary=factories.service.find_by_phone(world.secretary.phone),
            building="2",
            category=Category.LIFT,
            description=OPEN_CASE,
        )
        number = case.number

    page = new_page(javascript=javascript)
    page.goto("/c/ymn/report?building=2")
    hint = page.locator("#same-problem")
    expect(hint).not_to_contain_text(number)
    page.get_by_label("问题类型").select_option(label="电梯")
    if javascript:
        # Offered as soon as building and kind are chosen, before anything is typed.
        expect(hint).to_contain_text(number)
    else:
        page.get_by_label("情况说明").fill("电梯又坏了，老人下不了楼")
        page.get_by_label("您的姓名").fill("王阿姨")
        page.get_by_label("联系电话").fill("13700001111")
        page.get_by_label("我已阅读并同意隐私告知").check()
        page.get_by_role("main").get_by_role("button", name="提交").click()
        expect(page.locator("#same-first")).to_be_visible()
        expect(hint).to_contain_text(number)
        # What was typed is kept, should they file after all.
        expect(page.get_by_label("情况说明")).to_have_value("电梯又坏了，老人下不了楼")
    expect(hint).to_contain_text(OPEN_CASE)
    hint.get_by_role("button", name=f"我也是：关注 {number}").click()

    expect(page.locator("#following")).to_be_visible()
    expect(page.locator("#case h1")).to_contain_text(number)
    with live_server.app.app_context():
        assert db.session.scalar(db.select(db.func.count(Case.id))) == 1
        assert db.session.scalar(db.select(db.func.count(Supporter.id))) == 1
