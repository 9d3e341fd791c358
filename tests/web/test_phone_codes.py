"""Proving a phone by a texted code: sign-up, a forgotten password; e-mail confirmed by a link,
the channels a person is told on, and what administrators set on a person's page."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.accounts.models import Person, PhoneCode
from portal.accounts.roles import Role
from portal.clock import fixed, now
from portal.extensions import db
from tests import factories
from tests.conftest import code_texted_to, sign_in, sign_up_with_code, texts

PHONE = "13712345678"


def _form(world, **changes):
    building = next(b for b in world.ymn.buildings if b.code == "2")
    data = {
        "name": "张秀英",
        "phone": PHONE,
        "building": str(building.id),
        "room": "2-501",
        "password": "longenough1",
        "confirm": "longenough1",
        "privacy": "y",
    }
    return {**data, **changes}


def _newcomer():
    return db.session.scalar(select(Person).where(Person.phone == PHONE))


# -- sign-up -------------------------------------------------------------------------------


def test_a_sign_up_is_no_account_until_the_code_is_given(client, world, sent_now):
    response = client.post("/c/ymn/signup", data=_form(world))
    assert response.headers["Location"] == "/c/ymn/signup/confirm"
    assert _newcomer() is None
    assert client.get("/my").status_code == 302  # not signed in either
    page = texts(client.get("/c/ymn/signup/confirm"))
    assert "137****5678" in page and PHONE not in page
    wrong = client.post("/c/ymn/signup/confirm", data={"code": "000000"})
    if code_texted_to(sent_now, PHONE) == "000000":
        pytest.skip("the one code in a million that is 000000")
    assert wrong.status_code == 422 and "验证码不对" in texts(wrong)
    assert _newcomer() is None
    # A stranger's browser, with no sign-up of its own waiting, gets the form.
    other = client.application.test_client()
    assert other.get("/c/ymn/signup/confirm").headers["Location"] == "/c/ymn/signup"
    code = code_texted_to(sent_now, PHONE)
    assert other.post("/c/ymn/signup/confirm", data={"code": code}).status_code == 302
    assert _newcomer() is None


def test_the_code_proves_the_phone_and_claims_its_visitor_cases(app, client, world, sent_now):
    team = factories.cast(world, "secretary")
    visitor_case = factories.case(world.ymn, contact_phone=PHONE, contact_name="张秀英")
    elsewhere = factories.case(world.czy, contact_phone=PHONE, contact_name="张秀英")
    someone_elses = factories.case(world.ymn, contact_phone="13900000000")
    response = sign_up_with_code(client, sent_now, _form(world))
    assert response.headers["Location"] == "/my"
    person = _newcomer()
    assert person.homes[0].state.value == "pending" and team.secretary.id != person.id
    page = texts(client.get("/my"))
    assert visitor_case.number in page and elsewhere.number in page
    assert someone_elses.number not in page
    assert client.get(f"/cases/{visitor_case.number}").status_code == 200


def test_the_code_is_stored_hashed_and_used_once(app, client, world, sent_now):
    client.post("/c/ymn/signup", data=_form(world))
    code = code_texted_to(sent_now, PHONE)
    row = db.session.scalar(select(PhoneCode))
    assert code not in (row.code_hash, str(row.payload)) and len(row.code_hash) == 64
    assert "longenough1" not in str(row.payload)
    # The same browser twice: the cookie copied before the code was given.
    copy = app.test_client()
    copy.set_cookie("session", client.get_cookie("session").value)
    assert client.post("/c/ymn/signup/confirm", data={"code": code}).status_code == 302
    again = copy.post("/c/ymn/signup/confirm", data={"code": code})
    assert again.status_code == 302 and again.headers["Location"] == "/c/ymn/signup"
    assert db.session.scalars(select(Person).where(Person.phone == PHONE)).all() == [_newcomer()]


def test_an_expired_code_is_refused(client, world, sent_now):
    client.post("/c/ymn/signup", data=_form(world))
    code = code_texted_to(sent_now, PHONE)
    with fixed(now() + timedelta(minutes=10, seconds=1)):
        late = client.post("/c/ymn/signup/confirm", data={"code": code})
    assert late.status_code == 422 and "验证码已过期或已使用" in texts(late)
    assert _newcomer() is None


def test_five_wrong_codes_kill_the_code(client, world, sent_now):
    client.post("/c/ymn/signup", data=_form(world))
    code = code_texted_to(sent_now, PHONE)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert client.post("/c/ymn/signup/confirm", data={"code": wrong}).status_code == 422
    dead = client.post("/c/ymn/signup/confirm", data={"code": code})
    assert dead.status_code == 422 and "验证码错误次数过多" in texts(dead)
    assert _newcomer() is None


def test_a_new_code_replaces_the_old_one_and_resending_is_held_back(client, world, sent_now):
    client.post("/c/ymn/signup", data=_form(world))
    first = code_texted_to(sent_now, PHONE)
    assert client.post("/c/ymn/signup/resend").headers["Location"] == "/c/ymn/signup/confirm"
    second = code_texted_to(sent_now, PHONE)
    assert len(sent_now()) == 2
    # At once again: the phone waits a minute before a third text.
    held = client.get(client.post("/c/ymn/signup/resend").headers["Location"])
    assert "尝试次数过多" in texts(held) and len(sent_now()) == 2
    if first != second:
        stale = client.post("/c/ymn/signup/confirm", data={"code": first})
        assert stale.status_code == 422
    assert client.post("/c/ymn/signup/confirm", data={"code": second}).status_code == 302
    assert _newcomer().name == "张秀英"


def test_codes_per_phone_are_limited_across_browsers(app_factory, sent_now):
    app = app_factory(PHONE_CODES_PER_PHONE_HOUR=2)
    with app.app_context():
        world = factories.world()
        data = _form(world)
    one, two, three = (app.test_client() for _ in range(3))
    assert one.post("/c/ymn/signup", data=data).status_code == 302
    with fixed(now() + timedelta(minutes=2)):
        assert two.post("/c/ymn/signup", data=data).status_code == 302
    with fixed(now() + timedelta(minutes=5)):
        third = three.post("/c/ymn/signup", data=data)
    assert third.status_code == 429 and "尝试次数过多" in texts(third)
    assert 'value="张秀英"' in third.get_data(as_text=True)
    assert len(sent_now()) == 2


def test_without_a_gateway_a_deployment_says_the_text_could_not_go(app_factory, sent_now):
    app = app_factory(MESSAGES_TO_LOG=False)
    with app.app_context():
        world = factories.world()
        response = app.test_client().post("/c/ymn/signup", data=_form(world))
        assert response.status_code == 503
        assert "短信暂时无法发送" in texts(response)
        assert 'value="2-501"' in response.get_data(as_text=True)
        assert db.session.scalar(select(PhoneCode)) is None
    assert sent_now() == []


# -- a forgotten password ------------------------------------------------------------------


def test_a_forgotten_password_is_reset_by_code(app, client, world, sent_now):
    resident = factories.resident(world.ymn, phone=PHONE)
    elsewhere = app.test_client()
    assert sign_in(elsewhere, resident).status_code == 302
    assert "忘记密码？" in texts(client.get("/login"))
    assert client.post("/forgot", data={"phone": PHONE}).headers["Location"] == "/forgot/code"
    code = code_texted_to(sent_now, PHONE)
    assert "设置新密码" in sent_now()[-1][1]
    mismatch = client.post(
        "/forgot/code", data={"code": code, "password": "brand-new-1", "confirm": "other-new-1"}
    )
    assert mismatch.status_code == 422  # the code is not spent on a form with errors
    done = client.post(
        "/forgot/code", data={"code": code, "password": "brand-new-1", "confirm": "brand-new-1"}
    )
    assert done.status_code == 302 and "已修改" in texts(client.get(done.headers["Location"]))
    assert elsewhere.get("/me").status_code == 302  # signed out on the other device
    assert sign_in(app.test_client(), resident).status_code == 422
    assert sign_in(app.test_client(), resident, "brand-new-1").status_code == 302
    reused = client.post(
        "/forgot/code", data={"code": code, "password": "x" * 9, "confirm": "x" * 9}
    )
    assert reused.headers["Location"] == "/forgot"


def test_a_reset_for_an_unknown_phone_answers_the_same_and_texts_nothing(client, world, sent_now):
    unknown = client.post("/forgot", data={"phone": "13900000077"})
    assert unknown.headers["Location"] == "/forgot/code"
    page = texts(client.get("/forgot/code"))
    assert "139****0077" in page
    assert sent_now() == []
    refused = client.post(
        "/forgot/code", data={"code": "123456", "password": "brand-new-1", "confirm": "brand-new-1"}
    )
    assert refused.status_code == 422 and "验证码不对" in texts(refused)


def test_a_deactivated_person_gets_no_reset_code(client, world, sent_now):
    resident = factories.resident(world.ymn, phone=PHONE)
    resident.active = False
    db.session.commit()
    assert client.post("/forgot", data={"phone": PHONE}).headers["Location"] == "/forgot/code"
    assert sent_now() == []


def test_the_code_pages_speak_english(client, world, sent_now):
    factories.resident(world.ymn, phone=PHONE, locale="en")
    client.post("/language", data={"locale": "en"})
    client.post("/forgot", data={"phone": PHONE})
    page = texts(client.get("/forgot/code"))
    assert "We sent a text message with a six-digit code to 137****5678" in page
    assert "Your code to set a new password" in sent_now()[-1][1]
    wrong = client.post(
        "/forgot/code", data={"code": "12", "password": "brand-new-1", "confirm": "brand-new-1"}
    )
    assert "The code has six digits." in texts(wrong)


# -- e-mail, confirmed by a link; the channels a person is told on --------------------------


def _link_in(sent, address) -> str:
    [body] = [body for to, body in sent() if to == address][-1:]
    return re.search(r"http://localhost(/me/email/\S+)", body).group(1)


def test_an_e_mail_address_counts_once_its_link_is_opened(app, client, world, login, sent_now):
    resident = factories.resident(world.ymn)
    login(resident)
    response = client.post("/me/email", data={"email": "zhang@example.cn"})
    assert "确认链接已发送到 zhang@example.cn" in texts(client.get(response.headers["Location"]))
    assert db.session.get(Person, resident.id).email is None
    link = _link_in(sent_now, "zhang@example.cn")
    # Someone else's browser, signed in as another person, cannot use it.
    other = app.test_client()
    sign_in(other, factories.resident(world.ymn, room="1-102"))
    other.get(link)
    assert db.session.get(Person, resident.id).email is None
    assert "已确认为您的电子邮箱" in texts(client.get(client.get(link).headers["Location"]))
    assert db.session.get(Person, resident.id).email == "zhang@example.cn"
    # Used once: after another address is confirmed, the old link no longer works.
    client.post("/me/email", data={"email": "new@example.cn"})
    client.get(_link_in(sent_now, "new@example.cn"))
    assert "确认链接已过期或已使用" in texts(client.get(client.get(link).headers["Location"]))
    assert db.session.get(Person, resident.id).email == "new@example.cn"
    client.post("/me/email", data={"email": ""})
    assert db.session.get(Person, resident.id).email is None


def test_an_expired_link_and_a_malformed_address_are_refused(client, world, login, sent_now):
    resident = factories.resident(world.ymn)
    login(resident)
    bad = client.post("/me/email", data={"email": "not an address"})
    assert bad.status_code == 422 and "name@example.com" in texts(bad)
    assert 'value="not an address"' in bad.get_data(as_text=True)
    client.post("/me/email", data={"email": "zhang@example.cn"})
    link = _link_in(sent_now, "zhang@example.cn")
    with fixed(now() + timedelta(hours=49)):
        client.get(link)
    assert db.session.get(Person, resident.id).email is None
    assert client.get("/me/email/forged-token").status_code == 302
    assert db.session.get(Person, resident.id).email is None


def test_no_link_is_mailed_while_the_public_address_leads_nowhere(
    app, client, world, login, sent_now
):
    login(factories.resident(world.ymn))
    app.config.update(LOCAL_RUN=False, BASE_URL="http://127.0.0.1:5000")
    refused = client.post("/me/email", data={"email": "zhang@example.cn"})
    assert refused.status_code == 503 and "邮件暂时无法发送" in texts(refused)
    assert 'value="zhang@example.cn"' in refused.get_data(as_text=True)
    assert sent_now() == []


def test_a_person_chooses_the_channels_they_are_told_on(client, world, login):
    resident = factories.resident(world.ymn, name="张秀英")
    login(resident)
    page = client.get("/me").get_data(as_text=True)
    assert 'name="notify_by_text"' in page and "本平台暂不发送短信" in page
    client.post("/me", data={"name": "张秀英", "locale": "zh_CN", "notify_by_email": "y"})
    stored = db.session.get(Person, resident.id)
    assert (stored.notify_by_text, stored.notify_by_email) == (False, True)


# -- administrators ---------------------------------------------------------------------------


def test_an_administrator_sets_a_staff_members_details_and_deactivates_them(
    app, client, world, login
):
    admin = factories.member(Role.ADMIN)
    manager = factories.member(Role.PROPERTY_MANAGER, world.ymn, name="Li Wei")
    their_phone = app.test_client()
    assert sign_in(their_phone, manager).status_code == 302
    login(admin)
    page = texts(client.get(f"/admin/people/{manager.id}"))
    assert "基本信息" in page
    details = {"name": "李伟", "email": "li@example.cn", "locale": "en", "notify_by_email": "y"}
    bad = client.post(f"/admin/people/{manager.id}/details", data={**details, "email": "li@"})
    assert bad.status_code == 422 and 'value="李伟"' in bad.get_data(as_text=True)
    saved = client.post(f"/admin/people/{manager.id}/details", data={**details, "active": "y"})
    assert saved.status_code == 302
    stored = db.session.get(Person, manager.id)
    assert (stored.name, stored.email, stored.locale) == ("李伟", "li@example.cn", "en")
    assert (stored.notify_by_text, stored.notify_by_email, stored.active) == (False, True, True)
    assert their_phone.get("/me").status_code == 200
    client.post(f"/admin/people/{manager.id}/details", data=details)  # "active" unticked
    assert db.session.get(Person, manager.id).active is False
    assert their_phone.get("/me").status_code == 302
    assert sign_in(app.test_client(), manager).status_code == 422
    assert "已停用" in texts(client.get(f"/admin/people/{manager.id}"))


def test_an_administrator_cannot_deactivate_themself(client, world, login):
    admin = factories.member(Role.ADMIN, name="Admin")
    login(admin)
    refused = client.post(
        f"/admin/people/{admin.id}/details", data={"name": "Admin", "locale": "zh_CN"}
    )
    assert refused.status_code == 422 and "您不能停用自己" in texts(refused)
    assert db.session.get(Person, admin.id).active is True


def test_only_administrators_set_peoples_details(client, world, login):
    manager = factories.member(Role.PROPERTY_MANAGER, world.ymn)
    login(factories.member(Role.SECRETARY, world.ymn))
    response = client.post(
        f"/admin/people/{manager.id}/details", data={"name": "x", "locale": "en"}
    )
    assert response.status_code in (403, 404)
    assert db.session.get(Person, manager.id).name != "x"
