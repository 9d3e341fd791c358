"""`flask portal demo` builds a whole demo world whose every person can sign in to their desk."""

import re

from flask import g
from sqlalchemy import func, select

from portal.accounts.models import Home, HomeState, Membership, Person
from portal.accounts.roles import PARTY, Role
from portal.cases.demo import progress_for, resolution_for
from portal.cases.events import EventKind
from portal.cases.models import Case, CaseEvent
from portal.clock import local_date
from portal.consultation.models import ActionItem
from portal.extensions import db
from portal.organisation.models import Community, Compound, PartyKind, SubDistrict
from tests.conftest import texts

DESKS = {f"/desk/{role.value}" for role in Role if role is not Role.ADMIN} | {"/admin/", "/my"}


def run_demo(app, *args):
    g.pop("_flask_babel", None)  # a fresh command, as from a shell
    result = app.test_cli_runner().invoke(args=["portal", "demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


def dump():
    return {
        table.name: db.session.execute(select(table).order_by(*table.primary_key)).all()
        for table in db.metadata.sorted_tables
    }


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_demo_builds_a_sub_district_of_four_compounds_with_their_parties_and_residents(app):
    output = run_demo(app)

    assert "以下人员均可在 http://127.0.0.1:5000/login 登录，密码为 demo1234" in output
    assert (count(SubDistrict), count(Community), count(Compound)) == (1, 2, 4)
    for compound in db.session.scalars(select(Compound)):
        assert compound.buildings, compound.code
        assert {p.kind for p in compound.parties} == set(PartyKind), compound.code
        members = db.session.scalars(
            select(Membership).where(Membership.compound_id == compound.id)
        ).all()
        assert {PARTY[m.role] for m in members} == set(PartyKind), compound.code
    assert count(Home, Home.state == HomeState.VERIFIED) >= 20
    assert count(Home, Home.state == HomeState.PENDING) > 0


def test_everyone_in_the_demo_table_signs_in_with_demo1234_and_lands_on_their_own_desk(app):
    output = run_demo(app, "--lang", "en")
    phones = re.findall(r"^\s+(1\d{10})\s", output, re.M)
    assert len(phones) == count(Person) > 50

    landed = {}
    for phone in phones:
        client = app.test_client()
        response = client.post("/login", data={"phone": phone, "password": "demo1234"})
        assert response.status_code == 302, phone
        desk = response.headers["Location"]
        person = db.session.scalar(select(Person).where(Person.phone == phone))
        page = client.get(desk)
        assert page.status_code == 200, (phone, desk)
        assert person.name in texts(page)
        landed.setdefault(desk, set()).update(person.roles or {"resident"})
    # One desk per role, and everyone on the desk of the role they hold.
    assert set(landed) == DESKS
    for desk, roles in landed.items():
        expected = {"/admin/": {Role.ADMIN}, "/my": {"resident"}}.get(desk)
        assert roles == (expected or {Role(desk.rsplit("/", 1)[1])}), desk


def test_demo_run_twice_adds_nothing_the_second_time(app):
    run_demo(app)
    before = dump()

    output = run_demo(app, "--lang", "en")

    assert "The demo world is already here." in output
    assert "demo1234" in output
    assert dump() == before


def test_the_demo_world_tells_a_consistent_story(app):
    """What a walk through the demo found, put right: no event before its case was filed, no
    action item due before its resolution, texts that fit their kind of case, the waiting
    residents named in the sign-in table."""
    output = run_demo(app)
    cases = {c.id: c for c in db.session.scalars(select(Case))}
    events = db.session.scalars(select(CaseEvent).order_by(CaseEvent.id)).all()
    early = [(e.case_id, e.action) for e in events if e.at < cases[e.case_id].created_at]
    assert early == []
    for event in events:
        case = cases[event.case_id]
        if event.action == EventKind.PROGRESS:
            assert event.body in progress_for(case.category), (case.category, event.body)
        if event.action == EventKind.RESOLVE:
            assert event.body == resolution_for(case.category), (case.category, event.body)
    for item in db.session.scalars(select(ActionItem)):
        assert item.due_on >= local_date(item.resolution.created_at), item.description
    waiting = db.session.scalars(
        select(Person)
        .join(Home, Home.person_id == Person.id)
        .where(Home.state == HomeState.PENDING)
    ).all()
    assert waiting
    for person in waiting:
        assert re.search(rf"{person.phone}\s+{person.name}", output), person.name
