"""`flask portal demo` builds a whole demo world whose every person can sign in to their desk,
with a year of history behind its recent cases that the figures tell the story of."""

import re
from collections import defaultdict
from datetime import timedelta

from flask import g
from sqlalchemy import func, select

from portal import demo
from portal.accounts.models import Home, HomeState, Membership, Person
from portal.accounts.roles import PARTY, Role
from portal.cases import queries as cases
from portal.cases import service
from portal.cases.categories import Category
from portal.cases.demo import RECENT_DAYS, progress_for, resolution_for
from portal.cases.events import EventKind
from portal.cases.models import Case, CaseEvent
from portal.cases.workflow import DUPLICATE_OF, FINISHED_STATES, OPEN_STATES, State
from portal.clock import local_date, now
from portal.consultation.models import ActionItem
from portal.extensions import db
from portal.organisation.models import Building, Community, Compound, PartyKind, SubDistrict
from portal.reports import desks, periods, queries
from tests.conftest import texts
from tests.web.test_case_facts import kept

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


# -- the year before the recent cases ----------------------------------------------------------


def the_last_months(count: int, *, this_one: bool) -> list[periods.Period]:
    months = periods.last_months(periods.this_month(), count + 1)
    return months[1:] if this_one else months[:-1]


def span(months: list[periods.Period]) -> periods.Period:
    return periods.Period(months[0].first, months[-1].last)


def test_every_compound_has_a_year_of_cases_whose_figures_tell_its_story(app):
    run_demo(app)
    year = the_last_months(12, this_one=False)  # the twelve months before this one
    compounds = {c.code: c for c in db.session.scalars(select(Compound))}
    filed = defaultdict(set)
    for compound_id, created in db.session.execute(select(Case.compound_id, Case.created_at)):
        filed[compound_id].add(local_date(created).strftime("%Y-%m"))
    for code, compound in compounds.items():
        assert {m.code for m in year} <= filed[compound.id], code
    # Every case older than the recent ones is finished: the desks hold the recent ones only.
    older = db.session.scalars(
        select(Case.state).where(Case.created_at < now() - timedelta(days=RECENT_DAYS))
    ).all()
    assert len(older) > 600 and set(older) <= FINISHED_STATES

    # The ledger over the year ranks 圣泽 (翠竹园) first and 华宇 (金宇小区) last.
    client = app.test_client()
    client.post("/login", data={"phone": "13800000001", "password": "demo1234"})
    whole = span(year)
    page = client.get(
        f"/figures/sub-district/jy/property-companies?from={whole.first}&to={whole.last}"
    )
    assert page.status_code == 200
    names = re.findall(r"(鲁兴物业|圣泽物业|华宇物业)", texts(page))
    assert list(dict.fromkeys(names)) == ["圣泽物业", "鲁兴物业", "华宇物业"]
    ledger = {c.name: f for c, f, _ in queries.ledger(list(compounds.values()), whole)}
    satisfaction = [
        ledger[name].rate("satisfaction_rate") for name in ("圣泽物业", "鲁兴物业", "华宇物业")
    ]
    assert satisfaction == sorted(satisfaction, reverse=True)
    for key in ("on_time_rate", "response_rate"):
        assert ledger["圣泽物业"].rate(key) == max(f.rate(key) for f in ledger.values()), key
    for key in ("no_feedback_share", "reopen_rate"):
        assert ledger["圣泽物业"].rate(key) == min(f.rate(key) for f in ledger.values()), key

    # 金宇小区 got better over the year, 北湖花园 slipped.
    def rate(code, months, key):
        compound = compounds[code]
        return queries.figures([compound.id], span(months), overdue_now=False)[compound.id].rate(
            key
        )

    early, late = year[:4], year[-4:]
    for key in ("satisfaction_rate", "on_time_rate"):
        assert rate("jyxq", early, key) + 0.05 < rate("jyxq", late, key), key
        assert rate("bhhy", early, key) > rate("bhhy", late, key) + 0.05, key
    assert rate("jyxq", early, "no_feedback_share") > rate("jyxq", late, "no_feedback_share")


def test_the_planted_problems_recur_in_their_buildings(app):
    """One building's same kind of case in three or more of the last six months, counting the
    cases that stand for a problem (not turned away, merged or withdrawn)."""
    run_demo(app)
    six = the_last_months(6, this_one=True)
    months = defaultdict(set)
    rows = db.session.execute(
        select(Compound.code, Building.name, Case.category, Case.created_at)
        .join(Compound, Compound.id == Case.compound_id)
        .join(Building, Building.id == Case.building_id)
        .where(Case.created_at >= six[0].start, Case.state.in_(DUPLICATE_OF))
    )
    for code, building, category, created in rows:
        months[code, building, category].add(local_date(created).strftime("%Y-%m"))
    assert len(months["ymn", "3号楼", Category.LIFT]) >= 4
    assert len(months["bhhy", "5号楼", Category.UTILITIES]) >= 3
    assert len(months["jyxq", "2号楼", Category.SANITATION]) >= 3
    leaks = db.session.scalars(
        select(Case.description)
        .join(Building, Building.id == Case.building_id)
        .where(Building.name == "5号楼", Case.category == Category.UTILITIES)
    ).all()
    assert sum("漏水" in d for d in leaks) >= 6


def test_the_history_keeps_the_facts_a_rebuild_works_out(app):
    run_demo(app)
    written = kept()
    assert len(written) == count(Case) > 1000
    result = app.test_cli_runner().invoke(args=["portal", "facts-rebuild", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert kept() == written


def what_waits(moment) -> dict:
    """Every desk's counts and every resident's own cases, as the demo's people see them."""
    found = {}
    for compound in db.session.scalars(select(Compound).order_by(Compound.id)):
        for desk in (desks.secretary, desks.property_manager, desks.grid_worker):
            found[compound.code, desk.__name__] = [
                (w.label, w.count) for w in desk(compound, moment)
            ]
    for person in db.session.scalars(select(Person).order_by(Person.id)):
        found[person.phone] = (
            [(w.label, w.count) for w in desks.staff(person, moment)],
            [c.number for c, _last in cases.reported_by(person)],
        )
        if person.roles & {Role.COMMUNITY_OVERSEER, Role.SUBDISTRICT_OVERSEER}:
            seen = desks.overseer(person, [], moment)
            found[person.phone, "overseer"] = seen.escalated.count
    return found


def rows_of_every_table() -> dict:
    return {
        table.name: {
            tuple(row[: len(table.primary_key.columns)]): row
            for row in db.session.execute(select(table).order_by(*table.primary_key)).all()
        }
        for table in db.metadata.sorted_tables
    }


def test_the_history_leaves_the_recent_cases_and_every_desk_as_they_were(app, monkeypatch):
    monkeypatch.setattr(demo, "_build_history", lambda: None)
    run_demo(app)
    moment = now()
    before, waiting = rows_of_every_table(), what_waits(moment)
    open_before = count(Case, Case.state.in_(OPEN_STATES))

    monkeypatch.undo()
    demo._build_history()
    db.session.expire_all()

    after = rows_of_every_table()
    for table, rows in before.items():
        if table == "case_counter":  # the numbers of a day go on after the recent cases'
            assert rows.keys() <= after[table].keys()
            continue
        assert {key: after[table][key] for key in rows} == rows, table
    assert count(Case) > len(before["case"]) + 1000
    assert count(Case, Case.state.in_(OPEN_STATES)) == open_before
    assert what_waits(moment) == waiting

    # What people do next gets ids past the history's, on either database.
    case = db.session.scalars(
        select(Case).where(Case.state == State.IN_PROGRESS).order_by(Case.id)
    ).first()
    service.post_update(case, case.assignee, body="已联系物业。", public=True)
    filed, _key = service.file_case(
        case.compound,
        case.building,
        category=Category.REPAIR,
        description="楼道灯又坏了。",
        location="2单元",
        urgent=False,
        contact_name="王女士",
        contact_phone="13912345678",
    )
    assert filed.id > max(after["case"])[0]
    assert filed.number.startswith(f"{case.compound.code}-{local_date():%Y%m%d}-")
