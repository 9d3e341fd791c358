"""Signing in and out in the browser, and the page speaking the person's language."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import open_menu, sign_in
from tests.conftest import code_texted_to


def test_resident_signs_in_switches_to_english_and_signs_out(page, world, add_resident):
    resident = add_resident("Zhang Wei")

    sign_in(page, resident)
    expect(page).to_have_url(re.compile(r"/my$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{resident.name}，您好")
    open_menu(page)
    expect(page.get_by_role("button", name="退出")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {resident.name}")
    expect(page.get_by_role("heading", name="My home")).to_be_visible()
    open_menu(page)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # The choice sticks: the next page comes in English too.
    page.get_by_role("link", name="My desk").click()
    expect(page).to_have_url(re.compile(r"/my$"))
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    open_menu(page)
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    header = page.get_by_role("banner")
    open_menu(page)
    expect(header.get_by_role("link", name="Sign in")).to_be_visible()
    expect(header.get_by_role("button", name="Sign out")).to_have_count(0)
    expect(header).not_to_contain_text(resident.name)


def test_language_follows_accept_language_for_visitors(new_page, world):
    page = new_page(locale="en-US")
    page.goto("/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("Mobile phone")).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="Sign up as a resident")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_forgotten_password_is_reset_by_code_without_javascript(
    new_page, world, add_resident, sent_now
):
    resident = add_resident("Zhang Wei")
    page = new_page(javascript=False)
    page.goto("/login")
    page.get_by_role("link", name="忘记密码？").click()
    page.get_by_label("手机号码").fill(resident.phone)
    page.get_by_role("main").get_by_role("button", name="发送验证码").click()
    expect(page).to_have_url(re.compile(r"/forgot/code$"))
    masked = resident.phone[:3] + "****" + resident.phone[-4:]
    expect(page.get_by_role("main")).to_contain_text(masked)

    page.get_by_label("短信验证码").fill(code_texted_to(sent_now, resident.phone))
    page.get_by_label("新密码", exact=True).fill("a-new-password-1")
    page.get_by_label("再次输入新密码").fill("a-new-password-1")
    page.get_by_role("button", name="确认").click()
    expect(page).to_have_url(re.compile(r"/my$"))
    expect(page.get_by_role("status")).to_contain_text("密码已修改")

    open_menu(page)
    page.get_by_role("button", name="退出").click()
    sign_in(page, resident, password="a-new-password-1")
    expect(page).to_have_url(re.compile(r"/my$"))
