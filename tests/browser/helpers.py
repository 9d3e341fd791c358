"""What a person does often in the browser: sign in with phone and password."""

from playwright.sync_api import Page

from tests import factories


def sign_in(page: Page, someone, password: str = factories.PASSWORD) -> None:
    """Signs in on the Chinese sign-in page, as a resident or a secretary would."""
    page.goto("/login")
    page.get_by_label("手机号码").fill(someone.phone)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("main").get_by_role("button", name="登录").click()
