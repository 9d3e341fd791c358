"""A resident signs up with their home; the compound's secretary verifies or declines it."""

import re

from sqlalchemy import select

from portal.accounts.models import Home, HomeState, Person
from portal.accounts.roles import Role
from portal.extensions import db
from tests import factories
from tests.conftest import sign_up_with_code, texts


def _form(world, **changes):
    building = next(b for b in world.ymn.buildings if b.code == "2")
    data = {
        "name": "张秀英",
        "phone": "13712345678",
        "building": str(building.id),
        "room": "2-501",
        "password": "longenough1",
        "confirm": "longenough1",
        "privacy": "y",
    }
    data.update(changes)
    return data


def test_visitor_finds_their_compound_by_part_of_its_name(client, world):
    page = texts(client.get("/signup?q=Plum"))
    assert "Plum Garden" in page and "Bamboo Court" not in page
    assert "没有找到这个小区" in texts(client.get("/signup?q=nowhere"))


def test_qr_building_code_preselects_the_building(client, world):
    building = next(b for b in world.ymn.buildings if b.code == "3")
    html = client.get("/c/ymn/signup?building=3").get_data(as_text=True)
    assert f'<option selected value="{building.id}">' in html


def test_unknown_compound_code_is_not_found(client, world):
    assert client.get("/c/nowhere/signup").status_code == 404


def test_resident_signs_up_and_waits_for_verification(client, world, sent_now):
    response = sign_up_with_code(client, sent_now, _form(world))
    assert response.status_code == 302
    assert response.headers["Location"] == "/my"
    page = texts(client.get("/my"))
    assert "张秀英" in page and "待核实" in page and "2-501" in page
    person = db.session.scalar(select(Person).where(Person.phone == "13712345678"))
    assert person.homes[0].state == HomeState.PENDING
    assert person.password_hash != "longenough1"


def test_sign_up_keeps_the_chosen_language(client, world, sent_now):
    client.post("/language", data={"locale": "en"})
    sign_up_with_code(client, sent_now, _form(world))
    assert "Your code to sign up" in sent_now()[-1][1]
    person = db.session.scalar(select(Person).where(Person.phone == "13712345678"))
    assert person.locale == "en"


def test_sign_up_errors_keep_what_was_typed(client, world):
    response = client.post("/c/ymn/signup", data=_form(world, confirm="different1", phone="12345"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "两次输入的密码不一致。" in html
    assert "请输入 11 位手机号码" in html
    assert 'value="张秀英"' in html and 'value="2-501"' in html
    assert db.session.scalar(select(Person).where(Person.name == "张秀英")) is None


def test_sign_up_needs_the_privacy_notice_accepted(client, world):
    data = _form(world)
    del data["privacy"]
    response = client.post("/c/ymn/signup", data=data)
    assert response.status_code == 422
    assert "请阅读并同意隐私告知后继续。" in texts(response)


def test_sign_up_with_a_registered_phone_answers_as_for_a_new_one(client, world, sent_now):
    # Nothing on the page tells a stranger the phone is registered: its owner is texted.
    owner = factories.person(phone="13712345678", locale="en")
    response = client.post("/c/ymn/signup", data=_form(world))
    assert (response.status_code, response.headers["Location"]) == (302, "/c/ymn/signup/confirm")
    page = texts(client.get("/c/ymn/signup/confirm"))
    assert "137****5678" in page and "验证码" in page
    [(address, text)] = sent_now()
    assert address == owner.phone
    assert "already has an account" in text and not re.search(r"\b[0-9]{6}\b", text)
    for guess in ("000000", "123456"):
        refused = client.post("/c/ymn/signup/confirm", data={"code": guess})
        assert refused.status_code == 422 and "验证码不对" in texts(refused)
    assert db.session.scalar(select(Person).where(Person.name == "张秀英")) is None


def test_sign_up_refuses_a_building_of_another_compound(client, world):
    foreign = world.czy.buildings[0]
    response = client.post("/c/ymn/signup", data=_form(world, building=str(foreign.id)))
    assert response.status_code == 422
    assert db.session.scalar(select(Home)) is None


def _pending(world):
    return factories.resident(
        world.ymn, building_code="2", room="2-302", state=HomeState.PENDING, name="赵桂兰"
    )


def test_secretary_sees_pending_residents_with_full_phone(client, world, login):
    applicant = _pending(world)
    login(factories.member(Role.SECRETARY, world.ymn))
    page = texts(client.get("/c/ymn/residents"))
    assert "赵桂兰" in page and applicant.phone in page and "2-302" in page


def test_secretary_verifies_a_resident(client, world, login):
    applicant = _pending(world)
    secretary = factories.member(Role.SECRETARY, world.ymn)
    login(secretary)
    response = client.post(f"/homes/{applicant.homes[0].id}/verify")
    assert response.status_code == 302
    assert "已核实 赵桂兰 为本小区居民。" in texts(client.get(response.headers["Location"]))
    home = db.session.get(Home, applicant.homes[0].id)
    assert home.state == HomeState.VERIFIED and home.decided_by_id == secretary.id
    assert home.decided_at is not None


def test_secretary_verifies_inline_with_htmx(client, world, login):
    applicant = _pending(world)
    _pending_too = factories.resident(world.ymn, state=HomeState.PENDING, room="1-101")
    login(factories.member(Role.SECRETARY, world.ymn))
    home_id = applicant.homes[0].id
    response = client.post(
        f"/homes/{home_id}/verify", headers={"HX-Request": "true", "HX-Target": f"home-{home_id}"}
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert fragment.lstrip().startswith(f'<li class="row" id="home-{home_id}">')
    assert "已核实" in fragment
    assert '<strong id="pending-count" hx-swap-oob="true">1</strong>' in fragment
    assert "<html" not in fragment


def test_secretary_declines_with_a_reason_the_resident_sees(client, world, login):
    applicant = _pending(world)
    login(factories.member(Role.SECRETARY, world.ymn))
    client.post(f"/homes/{applicant.homes[0].id}/decline", data={"reason": "查无此户"})
    client.post("/logout")
    login(applicant)
    page = texts(client.get("/my"))
    assert "未通过核实" in page and "查无此户" in page


def test_deciding_twice_is_reported_not_repeated(client, world, login):
    applicant = _pending(world)
    login(factories.member(Role.SECRETARY, world.ymn))
    home_id = applicant.homes[0].id
    client.post(f"/homes/{home_id}/verify")
    response = client.post(
        f"/homes/{home_id}/decline",
        data={"reason": "late"},
        headers={"HX-Request": "true", "HX-Target": f"home-{home_id}"},
    )
    assert response.status_code == 409
    assert "该居民已被核实或驳回。" in response.get_data(as_text=True)
    assert db.session.get(Home, home_id).state == HomeState.VERIFIED


def test_only_the_compounds_secretary_can_verify(client, world, login):
    applicant = _pending(world)
    home_id = applicant.homes[0].id
    for outsider in (
        factories.member(Role.SECRETARY, world.czy),
        factories.member(Role.PROPERTY_MANAGER, world.ymn),
        factories.resident(world.ymn),
    ):
        login(outsider)
        assert client.post(f"/homes/{home_id}/verify").status_code == 404
        client.post("/logout")
    assert db.session.get(Home, home_id).state == HomeState.PENDING


def test_secretary_desk_counts_residents(client, world, login):
    _pending(world)
    factories.resident(world.ymn)
    login(factories.member(Role.SECRETARY, world.ymn))
    page = texts(client.get("/desk/secretary"))
    assert "已核实居民：1" in page and "待核实：1" in page
