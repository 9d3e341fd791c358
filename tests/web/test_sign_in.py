"""Signing in and out: phone + password, remember me, a safe next, one message for every failure."""

from portal.accounts.roles import Role
from tests import factories
from tests.conftest import sign_in, texts


def test_secretary_signs_in_and_lands_on_secretary_desk(client, world):
    secretary = factories.member(Role.SECRETARY, world.ymn, name="Li Hua")
    response = sign_in(client, secretary)
    assert response.status_code == 302
    assert response.headers["Location"] == "/desk/secretary"
    page = client.get("/desk/secretary")
    assert page.status_code == 200
    assert "Li Hua" in texts(page)


def test_wrong_password_and_unknown_phone_get_the_same_message(client, world):
    someone = factories.person()
    wrong = sign_in(client, someone, password="not-the-password")
    unknown = client.post("/login", data={"phone": "13999999999", "password": "whatever123"})
    assert wrong.status_code == unknown.status_code == 422
    message = "手机号或密码不正确。"
    assert message in texts(wrong)
    assert message in texts(unknown)
    # Apart from the typed phone, the two pages are the same.
    assert texts(wrong).replace(someone.phone, "") == texts(unknown).replace("13999999999", "")


def test_next_on_this_site_is_followed(client, world):
    someone = factories.member(Role.BRANCH_MEMBER, world.ymn)
    response = sign_in(client, someone, next="/my")
    assert response.headers["Location"] == "/my"


def test_next_to_another_site_is_ignored(client, world):
    someone = factories.member(Role.BRANCH_MEMBER, world.ymn)
    for target in ("https://elsewhere.example/", "//elsewhere.example/", "/\\elsewhere.example"):
        response = sign_in(client, someone, next=target)
        assert response.headers["Location"] == "/desk/branch_member", target
        client.post("/logout")


def test_page_needing_sign_in_sends_to_login_with_next(client, world):
    response = client.get("/my")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/my")


def test_remember_me_sets_a_lasting_cookie(client, world):
    someone = factories.person()
    sign_in(client, someone, remember="y")
    assert client.get_cookie("remember_token") is not None


def test_without_remember_me_no_lasting_cookie(client, world):
    someone = factories.person()
    sign_in(client, someone)
    assert client.get_cookie("remember_token") is None


def test_sign_out_ends_the_session(client, world, login):
    someone = factories.person()
    login(someone)
    assert client.get("/my").status_code == 200
    response = client.post("/logout")
    assert response.status_code == 302
    assert client.get("/my").status_code == 302


def test_inactive_person_cannot_sign_in(client, world):
    someone = factories.person()
    someone.active = False
    from portal.extensions import db

    db.session.commit()
    assert sign_in(client, someone).status_code == 422
