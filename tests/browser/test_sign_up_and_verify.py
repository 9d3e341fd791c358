"""A visitor signs up as a resident and the secretary verifies them, with and without JavaScript."""

import re

from playwright.sync_api import expect

from portal.accounts.models import HomeState
from tests import factories
from tests.browser.helpers import open_menu, sign_in
from tests.conftest import code_texted_to


def fill_sign_up(page, *, name, phone, building, room, password, confirm):
    page.get_by_label("您的姓名").fill(name)
    page.get_by_label("手机号码").fill(phone)
    page.get_by_label("楼栋").select_option(label=building)
    page.get_by_label("单元房号").fill(room)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_label("再次输入密码").fill(confirm)
    page.get_by_label("我已阅读并同意隐私告知").check()
    page.get_by_role("main").get_by_role("button", name="发送验证码").click()


def resident_row(page, name):
    return page.get_by_role("listitem").filter(has_text=name)


def test_visitor_signs_up_and_secretary_verifies_without_page_load(
    new_page, world, add_resident, sent_now
):
    neighbour = add_resident("Chen Jing", state=HomeState.PENDING, building="3", room="3-302")
    visitor = new_page()
    visitor.goto("/signup")
    choices = visitor.get_by_role("main").get_by_role("list")
    expect(choices.get_by_role("link", name=re.compile(world.czy.name))).to_be_visible()

    visitor.get_by_role("searchbox", name="您住在哪个小区？").fill("Plum")
    expect(choices.get_by_role("link", name=re.compile(world.czy.name))).to_have_count(0)
    expect(visitor).to_have_url(re.compile(r"/signup\?q=Plum"))
    choices.get_by_role("link", name=re.compile(world.ymn.name)).click()

    expect(visitor.get_by_role("heading", level=1)).to_have_text(f"注册为{world.ymn.name}居民")
    name, phone = "Zhao Min", factories.next_phone()
    fill_sign_up(
        visitor,
        name=name,
        phone=phone,
        building="Building 2",
        room="2-501",
        password="plum-garden-2",
        confirm="plum-garden-2",
    )
    expect(visitor).to_have_url(re.compile(r"/signup/confirm$"))
    expect(visitor.get_by_role("main")).to_contain_text(phone[:3] + "****" + phone[-4:])
    visitor.get_by_label("短信验证码").fill(code_texted_to(sent_now, phone))
    visitor.get_by_role("button", name="确认").click()
    expect(visitor).to_have_url(re.compile(r"/my$"))
    expect(visitor.get_by_role("status")).to_have_text(
        f"谢谢！{world.ymn.name}党支部书记会尽快核实您的住址。"
    )
    home = visitor.get_by_role("region", name="我的住址")
    expect(home).to_contain_text(f"{world.ymn.name} · Building 2 · 2-501")
    expect(home).to_contain_text("待核实")

    secretary = new_page()
    sign_in(secretary, world.secretary)
    expect(secretary).to_have_url(re.compile(r"/desk/secretary$"))
    expect(secretary.get_by_role("main")).to_contain_text("待核实：2")
    secretary.get_by_role("link", name="待核实居民").click()
    # Until the page has loaded, htmx may not have taken over the buttons yet.
    secretary.wait_for_url(f"**/c/{world.ymn.code}/residents", wait_until="load")
    expect(secretary.get_by_role("heading", level=1)).to_have_text(f"待核实居民 · {world.ymn.name}")
    waiting = secretary.locator("#pending-count")
    expect(waiting).to_have_text("2")

    secretary.evaluate("window.__marker = 1")
    row = resident_row(secretary, name)
    expect(row).to_contain_text(phone)
    row.get_by_role("button", name="核实通过").click()
    expect(row.get_by_role("status")).to_have_text("已核实")
    expect(row.get_by_role("button", name="核实通过")).to_have_count(0)
    expect(waiting).to_have_text("1")
    other_row = resident_row(secretary, neighbour.name)
    expect(other_row.get_by_role("button", name="核实通过")).to_be_visible()
    assert secretary.evaluate("window.__marker") == 1, "the verify button reloaded the whole page"

    visitor.reload()
    expect(home).to_contain_text("已核实")
    expect(home).not_to_contain_text("待核实")


def test_signup_errors_keep_what_was_typed(page, world):
    page.goto(f"/c/{world.ymn.code}/signup")
    phone = factories.next_phone()
    fill_sign_up(
        page,
        name="Zhao Min",
        phone=phone,
        building="Building 2",
        room="2-501",
        password="plum-garden-2",
        confirm="plum-garden-3",
    )

    confirm = page.get_by_label("再次输入密码")
    expect(page.get_by_text("两次输入的密码不一致。")).to_be_visible()
    expect(confirm).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("您的姓名")).to_have_value("Zhao Min")
    expect(page.get_by_label("手机号码")).to_have_value(phone)
    expect(page.get_by_label("楼栋").locator("option:checked")).to_have_text("Building 2")
    expect(page.get_by_label("单元房号")).to_have_value("2-501")
    expect(page.get_by_label("我已阅读并同意隐私告知")).to_be_checked()

    # Nobody was signed up: the header's menu still offers to sign in.
    open_menu(page)
    expect(page.get_by_role("banner").get_by_role("link", name="登录")).to_be_visible()


def test_sign_in_and_verify_work_without_javascript(new_page, world, add_resident):
    waiting_resident = add_resident(
        "Chen Jing", state=HomeState.PENDING, building="3", room="3-302"
    )
    page = new_page(javascript=False)

    sign_in(page, world.secretary)
    expect(page).to_have_url(re.compile(r"/desk/secretary$"))
    page.get_by_role("link", name="待核实居民").click()
    expect(page.locator("#pending-count")).to_have_text("1")

    resident_row(page, waiting_resident.name).get_by_role("button", name="核实通过").click()
    expect(page.get_by_role("status")).to_have_text(
        f"已核实 {waiting_resident.name} 为本小区居民。"
    )
    expect(page).to_have_url(re.compile(rf"/c/{world.ymn.code}/residents$"))
    expect(page.locator("#pending-count")).to_have_text("0")
    expect(page.get_by_text("没有待核实的居民。")).to_be_visible()
