"""A secretary on a phone finds a recurring problem on their desk, opens it and records what
was done about it, with and without JavaScript (htmx swaps the topic in place); axe finds
nothing serious on the topic's page, with its errors or without (with scripts on: axe is one)."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from portal.cases.categories import Category
from portal.clock import now
from portal.organisation import queries
from portal.recurring.detect import detect
from tests import factories
from tests.browser.helpers import sign_in
from tests.browser.test_accessibility import violations, with_axe


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_the_secretary_closes_a_recurring_problem_from_the_desk(
    new_page, live_server, world, javascript
):
    with live_server.app.app_context():
        ymn = queries.compound_by_code("ymn")
        numbers = [
            factories.case(
                ymn,
                building="3",
                category=Category.LIFT,
                description="电梯又停了",
                at=now() - timedelta(days=days, minutes=5),
            ).number
            for days in (80, 80, 40, 40, 0, 0)
        ]
        assert detect()["topics_raised"] == 1

    page = new_page(javascript=javascript)
    if javascript:  # axe is a script: it reads the page where scripts run
        with_axe(page)
    sign_in(page, world.secretary)
    topics = page.locator("#desk-topics")
    for number in numbers[1:]:  # the five newest of its six cases
        expect(topics.get_by_role("link", name=number)).to_be_visible()
    expect(topics.get_by_role("link", name=numbers[0])).to_have_count(0)
    topics.get_by_role("link", name="电梯 · Plum Garden Building 3").click()
    expect(page.locator("h1")).to_have_text("电梯 · Plum Garden Building 3")
    expect(page.locator("#topic-cases-heading + ul li")).to_have_count(6)

    assert not javascript or violations(page) == []
    page.get_by_role("button", name="记录处理结果并结束").click()  # empty: kept, explained
    expect(page.locator("#outcome-form")).to_contain_text("请说明采取了哪些措施。")
    assert not javascript or violations(page) == []
    page.get_by_label("结果", exact=True).fill("更换电梯主板，维保单位每月巡检")
    page.get_by_role("button", name="记录处理结果并结束").click()
    expect(page.get_by_text("处理结果已记录。")).to_be_visible()
    expect(page.locator("#topic-state")).to_have_text("已记录处理结果")
    expect(page.locator("#topic-outcome")).to_contain_text("更换电梯主板")
    expect(page.locator("#outcome-form")).to_have_count(0)
