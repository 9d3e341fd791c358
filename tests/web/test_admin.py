"""Administrators put people into compounds' parties and change roles; nobody else can."""

import re

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Membership, Person
from portal.accounts.roles import Role
from portal.extensions import db
from tests import factories
from tests.conftest import sign_in, texts


@pytest.fixture
def admin(world, login):
    someone = factories.member(Role.ADMIN, name="周管理")
    login(someone)
    return someone


def party_section(response, kind):
    """The text of one party's list on the compound page."""
    html = response.get_data(as_text=True)
    found = re.search(rf'<section aria-labelledby="party-{kind}">(.*?)</section>', html, re.S)
    assert found, kind
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(1)))


def people_count():
    return db.session.scalar(select(func.count(Person.id)))


def memberships():
    return db.session.execute(
        select(
            Membership.person_id, Membership.role, Membership.compound_id, Membership.community_id
        ).order_by(Membership.id)
    ).all()


def lands_on(app, phone, password=factories.PASSWORD):
    response = app.test_client().post("/login", data={"phone": phone, "password": password})
    assert response.status_code == 302, texts(response)
    return response.headers["Location"]


def test_admin_adds_a_new_person_to_the_property_party_who_then_signs_in(app, client, admin, world):
    response = client.post(
        "/admin/compounds/ymn",
        data={
            "name": "马力",
            "phone": "139 1234 0001",
            "role": "property_staff",
            "password": "first-pass-1",
        },
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/compounds/ymn"
    page = client.get("/admin/compounds/ymn")
    assert "马力 · 13912340001 · 物业员工" in party_section(page, "property")
    assert "马力" not in party_section(page, "branch") + party_section(page, "residents")
    assert lands_on(app, "13912340001", "first-pass-1") == "/desk/property_staff"


def test_admin_adds_a_role_to_someone_already_registered_without_a_password(
    app, client, admin, world
):
    known = factories.person(name="吴老师")
    before = people_count()

    response = client.post(
        "/admin/compounds/ymn",
        data={"name": "别的名字", "phone": known.phone, "role": "representative", "password": ""},
    )

    assert response.status_code == 302
    assert people_count() == before
    page = client.get("/admin/compounds/ymn")
    assert f"吴老师 · {known.phone} · 居民代表" in party_section(page, "residents")
    # Their own name and password stay.
    assert lands_on(app, known.phone) == "/desk/representative"


@pytest.mark.parametrize(
    "phone, password, error",
    [
        ("12345", "first-pass-1", "请输入 11 位手机号码，例如 13812345678。"),
        ("13912340002", "", "新人员需要设置初始密码。"),
    ],
)
def test_admin_enrolment_with_bad_input_shows_the_error_and_keeps_the_typed_name(
    client, admin, world, phone, password, error
):
    before = memberships()

    response = client.post(
        "/admin/compounds/ymn",
        data={"name": "钱多多", "phone": phone, "role": "property_staff", "password": password},
    )

    assert response.status_code == 422
    assert error in texts(response)
    assert 'value="钱多多"' in response.get_data(as_text=True)
    assert memberships() == before
    assert db.session.scalar(select(Person).where(Person.name == "钱多多")) is None


def test_admin_grants_a_community_role_by_code_and_a_wrong_code_is_explained(client, admin, world):
    someone = factories.person(name="郑网格")

    wrong = client.post(f"/admin/people/{someone.id}", data={"role": "grid_worker", "scope": "ymn"})
    assert wrong.status_code == 422
    assert "该角色所需层级中没有这个代码。" in texts(wrong)
    db.session.expire_all()
    assert someone.memberships == []

    right = client.post(f"/admin/people/{someone.id}", data={"role": "grid_worker", "scope": "cm2"})
    assert right.status_code == 302
    page = client.get(right.headers["Location"])
    assert "已添加角色。" in texts(page)
    assert "网格员 · North Lake community" in texts(page)
    db.session.expire_all()
    assert [(m.role, m.community_id) for m in someone.memberships] == [
        (Role.GRID_WORKER, world.other_community.id)
    ]


def test_admin_removes_a_role_from_the_compound_page(client, admin, world):
    secretary = factories.member(Role.SECRETARY, world.ymn, name="李书记")
    membership = secretary.memberships[0]
    assert "李书记" in party_section(client.get("/admin/compounds/ymn"), "branch")

    response = client.post(f"/admin/memberships/{membership.id}/revoke", data={"back": "ymn"})

    assert response.headers["Location"] == "/admin/compounds/ymn"
    page = client.get("/admin/compounds/ymn")
    assert "已移除角色。" in texts(page)
    assert "李书记" not in party_section(page, "branch")
    assert db.session.get(Membership, membership.id) is None


def test_admin_cannot_remove_their_own_admin_role(client, admin):
    own = admin.memberships[0]

    response = client.post(f"/admin/memberships/{own.id}/revoke")

    assert response.headers["Location"] == f"/admin/people/{admin.id}"
    assert "不能移除自己的管理员角色。" in texts(client.get(response.headers["Location"]))
    assert db.session.get(Membership, own.id) is not None
    assert client.get("/admin/").status_code == 200


def test_secretary_is_refused_every_admin_page_and_form_and_nothing_changes(client, login, world):
    secretary = factories.member(Role.SECRETARY, world.ymn)
    other = factories.member(Role.PROPERTY_MANAGER, world.ymn)
    login(secretary)
    before, people = memberships(), people_count()

    for url in ("/admin/", "/admin/compounds/ymn", f"/admin/people/{other.id}"):
        assert client.get(url).status_code == 403, url
    attempts = [
        (
            "/admin/compounds/ymn",
            {"name": "x", "phone": "13912340003", "role": "secretary", "password": "first-pass-1"},
        ),
        (f"/admin/people/{secretary.id}", {"role": "admin", "scope": ""}),
        (f"/admin/memberships/{other.memberships[0].id}/revoke", {}),
    ]
    for url, data in attempts:
        assert client.post(url, data=data).status_code == 403, url

    assert memberships() == before
    assert people_count() == people


def test_visitor_is_sent_to_sign_in_and_cannot_post_to_admin_forms(client, world):
    someone = factories.member(Role.SECRETARY, world.ymn)
    before = memberships()

    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/admin/")
    for url, data in [
        (f"/admin/people/{someone.id}", {"role": "admin", "scope": ""}),
        (f"/admin/memberships/{someone.memberships[0].id}/revoke", {}),
    ]:
        assert client.post(url, data=data).headers["Location"].startswith("/login"), url

    assert memberships() == before
    assert sign_in(client, someone).headers["Location"] == "/desk/secretary"
