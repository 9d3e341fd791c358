"""Signing in and out in the browser, and the page speaking the person's language."""

import re

from playwright.sync_api import expect

from tests.browser.helpers import sign_in


def test_resident_signs_in_switches_to_english_and_signs_out(page, world, add_resident):
    resident = add_resident("Zhang Wei")

    sign_in(page, resident)
    expect(page).to_have_url(re.compile(r"/my$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{resident.name}，您好")
    expect(page.get_by_role("button", name="退出")).to_be_visible()

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {resident.name}")
    expect(page.get_by_role("heading", name="My home")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # The choice sticks: the next page comes in English too.
    page.get_by_role("link", name="My desk").click()
    expect(page).to_have_url(re.compile(r"/my$"))
    expect(page.get_by_role("heading", name="My cases")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    header = page.get_by_role("banner")
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
