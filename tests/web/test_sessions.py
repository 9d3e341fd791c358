"""Sessions that end on the server, guessing held back across workers, the account page, and
the headers that keep pages out of shared caches."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal import clock
from portal.accounts.models import SignIn, Throttle
from portal.extensions import db
from tests import factories
from tests.conftest import sign_in, texts
from tests.web.test_case_flow import file_case

LOCKED_ZH = "尝试次数过多。为了您的安全，请15分钟后再试。"
LOCKED_EN = "Too many tries. For your safety, please try again in 15 minutes."


def cookie(client, name):
    found = client.get_cookie(name)
    return found.value if found else None


def is_signed_in(client) -> bool:
    response = client.get("/my")
    return response.status_code == 200


# -- sessions that end --------------------------------------------------------------------


def test_sign_out_with_remember_me_leaves_no_way_back_in(app, world):
    someone = factories.person()
    browser = app.test_client()
    sign_in(browser, someone, remember="y")
    old_session, old_remember = cookie(browser, "session"), cookie(browser, "remember_token")
    assert old_remember

    # Before signing out, the remember cookie alone lets a closed browser back in…
    reopened = app.test_client()
    reopened.set_cookie("remember_token", old_remember)
    assert is_signed_in(reopened)

    signed_out = browser.post("/logout")
    assert signed_out.status_code == 302
    assert cookie(browser, "remember_token") is None
    assert not is_signed_in(browser)

    # …and after it, neither a copy of the old session cookie nor of the remember cookie does.
    copied_session = app.test_client()
    copied_session.set_cookie("session", old_session)
    response = copied_session.get("/my")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    copied_remember = app.test_client()
    copied_remember.set_cookie("remember_token", old_remember)
    response = copied_remember.get("/my")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    ended = db.session.scalars(select(SignIn).where(SignIn.person_id == someone.id)).all()
    assert all(s.ended_at is not None for s in ended) and len(ended) == 1


def test_the_database_keeps_no_sign_in_token_and_no_phone_in_the_throttle(app, world):
    someone = factories.person()
    browser = app.test_client()
    sign_in(browser, someone, password="wrong-password")
    sign_in(browser, someone)
    with browser.session_transaction() as session:
        token = session["_user_id"]
    assert token and token != str(someone.id)
    stored = db.session.scalar(select(SignIn).where(SignIn.person_id == someone.id))
    assert token not in stored.token_hash
    assert all(someone.phone not in row.key for row in db.session.scalars(select(Throttle)))


def test_a_password_change_signs_out_the_other_browser(app, world):
    someone = factories.person()
    phone, laptop = app.test_client(), app.test_client()
    sign_in(phone, someone, remember="y")
    sign_in(laptop, someone)
    assert is_signed_in(phone) and is_signed_in(laptop)

    changed = laptop.post(
        "/me/password",
        data={
            "current": factories.PASSWORD,
            "password": "a-new-pass-99",
            "confirm": "a-new-pass-99",
        },
        follow_redirects=True,
    )
    assert "其他设备上的登录都已退出" in texts(changed)
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)
    # The remember cookie of the signed-out phone opens nothing either.
    again = app.test_client()
    again.set_cookie("remember_token", cookie(phone, "remember_token") or "")
    assert not is_signed_in(again)
    # The new password is the one that works now.
    assert sign_in(app.test_client(), someone, password="a-new-pass-99").status_code == 302
    assert sign_in(app.test_client(), someone).status_code == 422


def test_a_password_change_needs_the_current_password(client, world, login):
    someone = factories.person()
    login(someone)
    wrong = client.post(
        "/me/password",
        data={"current": "not-it-at-all", "password": "a-new-pass-99", "confirm": "a-new-pass-99"},
    )
    assert wrong.status_code == 422
    assert "当前密码不正确。" in texts(wrong)
    short = client.post(
        "/me/password",
        data={"current": factories.PASSWORD, "password": "short", "confirm": "short"},
    )
    assert short.status_code == 422
    assert "至少 8 个字符。" in texts(short)
    assert sign_in(client.application.test_client(), someone).status_code == 302


def test_sign_out_everywhere_ends_every_device(app, world):
    someone = factories.person()
    first, second = app.test_client(), app.test_client()
    sign_in(first, someone)
    sign_in(second, someone, remember="y")
    page = first.get("/me")
    assert page.status_code == 200
    assert "本设备" in texts(page)
    response = first.post("/me/sign-out-everywhere", follow_redirects=True)
    assert "已在所有设备上退出登录" in texts(response)
    assert not is_signed_in(first)
    assert not is_signed_in(second)


def test_a_deactivated_person_is_signed_out_everywhere(app, world):
    someone = factories.person()
    browser = app.test_client()
    sign_in(browser, someone, remember="y")
    someone.active = False
    db.session.commit()
    assert not is_signed_in(browser)


def test_a_sign_in_without_remember_me_expires_on_the_server(app_factory):
    app = app_factory(SIGN_IN_HOURS=12)
    with app.app_context():
        factories.world()
        someone = SimpleNamespace(phone=factories.person().phone)
    browser = app.test_client()
    start = datetime(2026, 12, 4, 1, 0, tzinfo=UTC)
    with clock.fixed(start):
        sign_in(browser, someone)
        assert is_signed_in(browser)
    with clock.fixed(start + timedelta(hours=11, minutes=59)):
        assert is_signed_in(browser)
    with clock.fixed(start + timedelta(hours=12, minutes=1)):
        assert not is_signed_in(browser)


def test_the_sweep_forgets_old_sign_ins_and_counts(app, world):
    from portal.feedback.sweep import sweep

    someone = factories.person()
    start = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    with clock.fixed(start):
        browser = app.test_client()
        fail(browser, someone.phone)
        sign_in(browser, someone)
        browser.post("/logout")
        sign_in(app.test_client(), someone, remember="y")
    assert len(db.session.scalars(select(SignIn)).all()) == 2
    with clock.fixed(start + timedelta(days=8)):
        # The ended sign-in, and the spent counts of the phone and of the address.
        assert sweep()["forgotten_sign_ins"] == 3
    assert len(db.session.scalars(select(SignIn)).all()) == 1
    assert db.session.scalars(select(Throttle)).all() == []


# -- the account page -----------------------------------------------------------------------


def test_the_account_page_saves_name_and_language(client, world, login):
    someone = factories.person(name="Wang Fang")
    login(someone)
    page = client.get("/me")
    assert page.status_code == 200
    assert "我的账户" in texts(page)
    assert someone.phone not in texts(page)  # shown masked, as everywhere
    empty = client.post("/me", data={"name": "  ", "locale": "en"})
    assert empty.status_code == 422
    assert "请输入姓名。" in texts(empty)
    saved = client.post("/me", data={"name": "王芳", "locale": "en"}, follow_redirects=True)
    assert "Your details are saved." in texts(saved)
    db.session.refresh(someone)
    assert (someone.name, someone.locale) == ("王芳", "en")


def test_the_account_page_is_for_the_signed_in_only(client, world):
    assert client.get("/me").headers["Location"].startswith("/login")
    assert client.post("/me/sign-out-everywhere").headers["Location"].startswith("/login")


# -- throttling ------------------------------------------------------------------------------


def fail(client, phone):
    return client.post("/login", data={"phone": phone, "password": "wrong-password"})


@pytest.fixture
def two_workers(app_factory):
    """Two app instances on one database, as two gunicorn workers (or hosts) are."""
    first = app_factory(THROTTLE_LOCK_MINUTES=15)
    second = app_factory(THROTTLE_LOCK_MINUTES=15)
    with first.app_context():
        factories.world()
        person = factories.person()
        phone = person.phone
    return first, second, phone


def test_ten_wrong_passwords_lock_a_phone_across_two_workers(two_workers):
    first, second, phone = two_workers
    start = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    for n in range(10):
        worker = (first, second)[n % 2]
        # Each try waits out the growing delay the one before earned.
        with clock.fixed(start + timedelta(minutes=2 * n)):
            response = fail(worker.test_client(), phone)
        if n < 3:
            assert response.status_code == 422, n
            assert "手机号或密码不正确。" in texts(response)
        elif n < 9:  # a delay that doubles: 2, 4, 8… seconds
            assert response.status_code == 429, n
            seconds = 2 ** (n - 2)
            when = f"{seconds}秒钟" if seconds < 60 else f"{-(-seconds // 60)}分钟"
            assert f"请{when}后再试" in texts(response)
    assert response.status_code == 429
    assert LOCKED_ZH in texts(response)

    locked_at = start + timedelta(minutes=18)
    right = {"phone": phone, "password": factories.PASSWORD}
    for worker in (first, second):
        with clock.fixed(locked_at + timedelta(minutes=1)):
            english = worker.test_client()
            english.post("/language", data={"locale": "en"})
            response = english.post("/login", data=right)
        # The right password does not open a locked phone, on either worker.
        assert response.status_code == 429
        assert LOCKED_EN.replace("15", "14") in texts(response)
    with clock.fixed(locked_at + timedelta(minutes=15, seconds=1)):
        assert second.test_client().post("/login", data=right).status_code == 302


def test_an_unknown_phone_is_locked_the_same_way(app, world):
    client = app.test_client()
    start = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    for n in range(10):
        with clock.fixed(start + timedelta(minutes=2 * n)):
            response = fail(client, "13900001111")
    assert response.status_code == 429
    assert LOCKED_ZH in texts(response)


def test_the_delay_grows_after_three_wrong_passwords(app, world):
    someone = factories.person()
    client = app.test_client()
    start = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)
    with clock.fixed(start):
        for _ in range(3):
            assert fail(client, someone.phone).status_code == 422
        held = fail(client, someone.phone)  # the fourth earns a delay
        assert held.status_code == 429
        assert "尝试次数过多" in texts(held)
        # Within the delay even the right password waits, and the phone typed is kept.
        waiting = sign_in(client, someone)
        assert waiting.status_code == 429
        assert someone.phone in waiting.get_data(as_text=True)
    with clock.fixed(start + timedelta(seconds=3)):
        assert sign_in(client, someone).status_code == 302
    # A right password clears the count: three more wrong ones earn no delay yet.
    client.post("/logout")
    with clock.fixed(start + timedelta(seconds=4)):
        assert [fail(client, someone.phone).status_code for _ in range(3)] == [422] * 3


def test_failures_from_one_address_lock_it_for_every_phone(app_factory):
    app = app_factory(SIGN_IN_FAILURES_PER_ADDRESS=5)
    with app.app_context():
        factories.world()
        someone = factories.person()
        phone = someone.phone
    client = app.test_client()
    for n in range(5):
        fail(client, f"1390000{n:04d}")
    response = client.post("/login", data={"phone": phone, "password": factories.PASSWORD})
    assert response.status_code == 429
    # Another address is not held back.
    other = app.test_client()
    response = other.post(
        "/login",
        data={"phone": phone, "password": factories.PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert response.status_code == 302


def test_sign_ups_from_one_address_are_limited(app_factory):
    app = app_factory(SIGN_UPS_PER_ADDRESS_HOUR=2)
    with app.app_context():
        world = factories.world()
        building_id = world.ymn.buildings[0].id

    def sign_up(n):
        return app.test_client().post(
            "/c/ymn/signup",
            data={
                "name": f"住户{n}",
                "phone": f"1370000{n:04d}",
                "building": str(building_id),
                "room": f"1-10{n}",
                "password": "long-enough-1",
                "confirm": "long-enough-1",
                "privacy": "y",
            },
        )

    assert [sign_up(n).status_code for n in range(2)] == [302, 302]
    third = sign_up(2)
    assert third.status_code == 429
    assert "尝试次数过多" in texts(third)
    assert "住户2" in third.get_data(as_text=True)  # what they typed is kept


def test_visitors_filings_from_one_address_are_limited(app_factory):
    app = app_factory(GUEST_FILINGS_PER_ADDRESS_HOUR=1)
    with app.app_context():
        world = factories.world()
        client = app.test_client()
        assert file_case(client, world).status_code == 302
        # Another kind of problem: the same one would be offered to follow first.
        again = file_case(app.test_client(), world, category="repair", description="楼道灯坏了三天")
        assert again.status_code == 429
        assert "尝试次数过多" in texts(again)
        assert "楼道灯坏了三天" in again.get_data(as_text=True)


# -- headers ---------------------------------------------------------------------------------


def test_pages_are_kept_out_of_shared_caches(client, world, login):
    login(factories.person())
    page = client.get("/my")
    assert page.headers["Cache-Control"] == "private, no-store"
    assert "private, no-store" == client.get("/login").headers["Cache-Control"]
    with client.get("/static/portal.css") as static:
        assert "no-store" not in static.headers.get("Cache-Control", "")


def test_hsts_only_over_https(app_factory):
    app = app_factory()
    assert "Strict-Transport-Security" not in app.test_client().get("/login").headers
    secure = app.test_client().get("/login", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
    behind_proxy = app_factory(PROXY_HOPS=1)
    forwarded = behind_proxy.test_client().get(
        "/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}
    )
    assert "Strict-Transport-Security" in forwarded.headers
