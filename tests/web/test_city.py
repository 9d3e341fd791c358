"""`flask portal city` builds a synthetic city whose cases stand as the workflow would have left
them, with a share of them in the demo world's first compound, whose people work them."""

import re
from collections import Counter
from itertools import pairwise

import pytest
from flask import g
from sqlalchemy import func, select

from portal import demo
from portal.accounts.roles import Role
from portal.cases.events import EventKind
from portal.cases.models import Case, CaseCounter, CaseEvent, Closure, Photo
from portal.cases.workflow import FINISHED_STATES, OPEN_STATES, State
from portal.clock import local_date, now
from portal.consultation.models import AgendaItem, Consultation, ConsultationState
from portal.extensions import db
from portal.feedback.models import Feedback, Source
from portal.organisation.models import Compound
from tests import factories
from tests.conftest import sign_in, texts
from tests.web.test_case_facts import kept

NUMBER = re.compile(r"^(?P<code>[a-z0-9-]+)-(?P<day>\d{8})-(?P<n>\d{4})$")


def run_city(app, *args):
    g.pop("_flask_babel", None)  # a fresh command, as from a shell
    result = app.test_cli_runner().invoke(args=["portal", "city", "--lang", "en", *args])
    assert result.exit_code == 0, result.output
    return result.output


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def crew(world):
    # The demo world's first compound is the world's Plum Garden: the city's cases go there.
    assert world.ymn.code == demo.COMPOUNDS[0][0]
    return factories.cast(world, "reporter secretary manager fitter representative grid")


@pytest.fixture
def city(app, crew):
    output = run_city(app, "--compounds", "12", "--cases", "600", "--seed", "7")
    db.session.expire_all()
    return output


def test_city_builds_compounds_with_their_staff_and_600_cases_with_timelines(app, world, city):
    assert count(Compound) == 2 + 12
    assert count(Case) == 600
    assert 4 * 600 <= count(CaseEvent) <= 9 * 600
    assert re.search(r"Built 12 compounds, \d+ people, 600 cases \(\d+ of them in ymn\)", city)
    mine = count(Case, Case.compound_id == world.ymn.id)
    busiest = db.session.scalar(
        select(func.count())
        .select_from(Case)
        .group_by(Case.compound_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    assert mine == busiest > 600 / 14
    assert 0.03 * 600 <= count(Photo) <= 0.25 * 600
    states = Counter(db.session.scalars(select(Case.state)))
    assert set(OPEN_STATES) <= set(states)
    assert states[State.CLOSED] > 0.5 * 600


def test_every_case_stands_as_its_timeline_left_it(app, city):
    cases = db.session.scalars(select(Case)).all()
    events: dict[int, list[CaseEvent]] = {}
    for event in db.session.scalars(select(CaseEvent).order_by(CaseEvent.id)):
        events.setdefault(event.case_id, []).append(event)
    last_word = {f.case_id: f for f in db.session.scalars(select(Feedback).order_by(Feedback.id))}
    moment = now()
    for case in cases:
        timeline = events[case.id]
        assert timeline[0].action is EventKind.FILE and timeline[0].at == case.created_at
        assert [e.at for e in timeline] == sorted(e.at for e in timeline), case.number
        assert timeline[-1].at <= moment
        moves = [e for e in timeline if e.to_state is not None]
        assert moves[-1].to_state is case.state, case.number
        for before, after in pairwise(moves):
            assert after.from_state is before.to_state, case.number
        assert case.updated_at >= case.created_at
        if case.state in OPEN_STATES:
            assert case.due_at is not None and case.closed_at is None, case.number
            assert case.resolved_at is None and case.feedback_due_at is None
        else:
            assert case.due_at is None, case.number
        if case.state is State.FILED or case.state in FINISHED_STATES - {State.CLOSED}:
            assert case.accepted_at is None and case.lead_party is None, case.number
        else:
            assert case.accepted_at >= case.created_at and case.lead_party is not None
        if case.state in {State.IN_PROGRESS, State.CONSULTING, State.RESOLVED, State.CLOSED}:
            assert case.assignee_id is not None, case.number
        if case.state is State.RESOLVED:
            assert case.resolved_at and case.resolution and case.feedback_due_at > case.resolved_at
        if case.state is State.CLOSED:
            assert case.resolved_at <= case.closed_at and case.closure is not None, case.number
            assert case.feedback_due_at is None
            said = last_word[case.id]
            if case.closure is Closure.SOLVED:
                assert said.solved is True and said.satisfaction is not None, case.number
            else:
                assert said.source is Source.NO_FEEDBACK and said.solved is None, case.number
        else:
            assert case.closed_at is None and case.closure is None
        if case.state is State.REJECTED:
            assert case.reject_reason
        if case.state is State.MERGED:
            target = db.session.get(Case, case.merged_into_id)
            assert target.compound_id == case.compound_id and target.state is not State.MERGED
            assert timeline[-1].data["target"] == target.number
        if case.state is State.CONSULTING:
            agenda = db.session.scalars(
                select(Consultation).join(AgendaItem).where(AgendaItem.case_id == case.id)
            ).all()
            assert [c.state for c in agenda] == [ConsultationState.OPEN]


def test_numbers_are_unique_dated_by_filing_and_counted(app, city):
    codes = dict(db.session.execute(select(Compound.id, Compound.code)).all())
    highest: dict[tuple, int] = {}
    numbers = set()
    for case in db.session.scalars(select(Case)):
        found = NUMBER.match(case.number)
        assert found, case.number
        assert found["code"] == codes[case.compound_id]
        assert found["day"] == f"{local_date(case.created_at):%Y%m%d}"
        key = (case.compound_id, local_date(case.created_at))
        highest[key] = max(highest.get(key, 0), int(found["n"]))
        numbers.add(case.number)
    assert len(numbers) == 600
    counters = {(c.compound_id, c.day): c.last for c in db.session.scalars(select(CaseCounter))}
    assert counters == highest


def test_the_demo_compounds_secretary_works_its_queue_and_opens_a_case(app, world, crew, city):
    client = app.test_client()
    assert sign_in(client, crew.secretary).status_code == 302
    queue = client.get(f"/c/{world.ymn.code}/cases")
    assert queue.status_code == 200
    open_numbers = db.session.scalars(
        select(Case.number).where(
            Case.compound_id == world.ymn.id, Case.state.in_([s.value for s in OPEN_STATES])
        )
    ).all()
    assert open_numbers and any(n in texts(queue) for n in open_numbers)

    closed = db.session.scalars(
        select(Case)
        .where(Case.compound_id == world.ymn.id, Case.state == State.CLOSED)
        .order_by(Case.id.desc())
    ).first()
    page = client.get(f"/cases/{closed.number}")
    assert page.status_code == 200
    assert closed.number in texts(page) and closed.resolution in texts(page)


def test_a_case_filed_afterwards_gets_the_next_number_of_the_day(app, world, crew, city):
    client = app.test_client()
    assert sign_in(client, crew.reporter).status_code == 302
    today = f"{local_date():%Y%m%d}"
    before = db.session.scalars(select(Case.number).where(Case.number.like(f"ymn-{today}-%"))).all()
    building = next(b for b in world.ymn.buildings if b.code == "2")
    response = client.post(
        "/c/ymn/report",
        data={
            "building": str(building.id),
            "category": "lift",
            "description": "电梯困人，按钮失灵",
            "location": "2单元",
            "contact_name": "王阿姨",
            "contact_phone": crew.reporter.phone,
            "privacy": "y",
        },
    )
    assert response.status_code == 302, texts(response)
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case.number == f"ymn-{today}-{len(before) + 1:04d}"
    assert count(Case) == 601


def test_a_second_city_goes_beside_the_first(app, world, crew, city):
    output = run_city(app, "--compounds", "3", "--cases", "50")
    assert "Built 3 compounds" in output
    assert count(Compound) == 2 + 12 + 3
    assert count(Case) == 650
    assert db.session.scalar(select(func.count(func.distinct(Case.number)))) == 650
    assert count(Compound, Compound.code.like("c2-%")) == 3


def test_without_the_demo_world_the_city_builds_it_first(app, monkeypatch):
    built = []

    def build():  # the demo world's first compound, which is all the city needs of it
        built.append(factories.world())
        return True

    monkeypatch.setattr(demo, "build", build)
    run_city(app, "--compounds", "2", "--cases", "40")
    assert len(built) == 1
    ymn = built[0].ymn
    assert count(Case, Case.compound_id == ymn.id) > 0
    # Nothing the demo or the city wrote stands in the way of what the app adds next.
    factories.member(Role.SECRETARY, ymn)
    factories.compound(built[0].community, code="later", name="Later Court")


def test_the_city_writes_each_cases_facts_as_the_rebuild_works_them_out(app, city):
    written = kept()
    assert len(written) == count(Case) == 600
    result = app.test_cli_runner().invoke(args=["portal", "facts-rebuild", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert kept() == written
