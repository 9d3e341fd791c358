"""Waiting on the resident (DESIGN.md section 3: "the clock pauses while a case waits on the
resident"): staff put a case on hold with what is needed, the resident is told and sees it on
their case, the clock stops (no reminder, no escalation), and it goes on when the resident
answers or staff resume it, its deadline moved on by the working days the wait took."""

import re

import pytest
from sqlalchemy import select

from portal import clock
from portal.cases.events import EventKind
from portal.cases.models import Case, CaseEvent
from portal.cases.workflow import State
from portal.extensions import db
from portal.feedback.sweep import sweep
from portal.notifications.models import Notification
from tests import factories
from tests.conftest import sign_in, texts

local, end_of = factories.shanghai, factories.end_of_day


@pytest.fixture
def team(world):
    return factories.cast(world, "reporter secretary fitter neighbour")


def stored(case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


@pytest.fixture
def working(world, team):
    """Accepted for the fitter on Monday 7 December 2026 at 10:00: 7 working days (8-11,
    14-16), due at the end of Wednesday 16 December."""
    case = factories.case(
        world,
        State.IN_PROGRESS,
        by=team.reporter,
        secretary=team.secretary,
        assignee=team.fitter,
        at=local(2026, 12, 7),
    )
    assert stored(case).due_at == end_of(2026, 12, 16)
    return case


def wait(client, case, at, need="access", body="请周六上午在家，师傅上门查看漏水点"):
    with clock.fixed(at):
        return client.post(
            f"/cases/{case.number}/wait",
            data={"version": stored(case).version, "need": need, "body": body},
        )


def test_the_resident_is_told_what_is_needed_and_sees_it_on_their_case(
    client, world, team, working
):
    sign_in(client, team.fitter)
    response = wait(client, working, local(2026, 12, 11, 16))
    assert response.status_code == 302, texts(response)
    case = stored(working)
    assert case.state is State.WAITING
    [event] = [e for e in case.events if e.action == EventKind.WAIT]
    assert event.public and event.data["need"] == "access" and event.actor_id == team.fitter.id
    told = db.session.scalars(
        select(Notification).where(Notification.person_id == team.reporter.id)
    ).all()
    assert any(n.kind == "wait" and "周六上午在家" in n.params["body"] for n in told)
    sign_in(client, team.reporter)
    with clock.fixed(local(2026, 12, 12)):
        page = client.get(f"/cases/{working.number}")
    html = page.get_data(as_text=True)
    assert 'id="waiting"' in html
    assert "我们需要您提供" in texts(page) and "周六上午在家" in texts(page)
    assert "进入住户家中" in texts(page)  # the need, in words
    assert 'action="/cases/' + working.number + '/info"' in html
    # Asking the resident is a contact with them.
    assert stored(working).responded_at == local(2026, 12, 11, 16)


def test_the_answer_resumes_the_case_and_a_pause_over_a_weekend_costs_one_working_day(
    client, world, team, working
):
    sign_in(client, team.fitter)
    wait(client, working, local(2026, 12, 11, 16))  # Friday afternoon
    sign_in(client, team.reporter)
    with clock.fixed(local(2026, 12, 14, 9)):  # Monday morning
        response = client.post(f"/cases/{working.number}/info", data={"body": "周六上午九点在家"})
    assert response.status_code == 302, texts(response)
    case = stored(working)
    assert case.state is State.IN_PROGRESS
    # Waiting from Friday to Monday took one working day (the Friday): due one day later.
    assert case.due_at == end_of(2026, 12, 17)
    sign_in(client, team.fitter)
    with clock.fixed(local(2026, 12, 14, 10)):
        page = texts(client.get(f"/cases/{working.number}"))
    assert "周六上午九点在家" in page


def test_staff_resume_without_an_answer_and_a_pause_within_a_day_costs_nothing(
    client, world, team, working
):
    sign_in(client, team.secretary)
    wait(client, working, local(2026, 12, 9, 9), need="decision", body="请确认是否同意开墙检修")
    with clock.fixed(local(2026, 12, 9, 17)):
        response = client.post(
            f"/cases/{working.number}/resume", data={"version": stored(working).version}
        )
    assert response.status_code == 302, texts(response)
    case = stored(working)
    assert case.state is State.IN_PROGRESS
    assert case.due_at == end_of(2026, 12, 16)
    kinds = [e.action for e in case.events]
    assert kinds[-2:] == [EventKind.WAIT, EventKind.RESUME]


def test_an_unassigned_case_goes_back_to_be_assigned(client, world, team):
    case = factories.case(
        world, State.ACCEPTED, by=team.reporter, secretary=team.secretary, at=local(2026, 12, 7)
    )
    sign_in(client, team.secretary)
    wait(client, case, local(2026, 12, 8), need="photo", body="请拍一张漏水处的照片")
    sign_in(client, team.reporter)
    with clock.fixed(local(2026, 12, 8, 12)):
        client.post(f"/cases/{case.number}/info", data={"body": "照片见附件"})
    assert stored(case).state is State.ACCEPTED


def test_the_clock_stops_while_waiting_no_reminder_no_escalation(client, world, team, working):
    sign_in(client, team.fitter)
    wait(client, working, local(2026, 12, 8))
    # Long past the old deadline, the sweep leaves the waiting case alone.
    with clock.fixed(local(2026, 12, 28)):
        counts = sweep()
    assert counts["reminded"] == 0 and counts["escalated"] == 0
    assert stored(working).escalation_level == 0
    # On the queue and the page it is not overdue: its deadline is paused.
    sign_in(client, team.secretary)
    with clock.fixed(local(2026, 12, 28)):
        page = texts(client.get(f"/cases/{working.number}"))
    assert "期限暂停" in page and "已超时" not in page


def test_only_those_who_work_the_case_put_it_on_hold(client, world, team, working):
    for person in (team.reporter, team.neighbour):
        sign_in(client, person)
        response = wait(client, working, local(2026, 12, 8))
        assert response.status_code in (404, 409)
        assert stored(working).state is State.IN_PROGRESS


def test_saying_what_is_needed_is_required_and_the_choice_is_kept(client, world, team, working):
    sign_in(client, team.fitter)
    response = wait(client, working, local(2026, 12, 8), need="photo", body="  ")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "请说明需要居民做什么或提供什么" in texts(response)
    assert re.search(r'<input checked[^>]*value="photo"', html)
    assert stored(working).state is State.IN_PROGRESS
    assert not db.session.scalars(select(CaseEvent).where(CaseEvent.action == EventKind.WAIT)).all()


def test_a_stale_form_is_refused(client, world, team, working):
    sign_in(client, team.fitter)
    old = stored(working).version
    wait(client, working, local(2026, 12, 8))
    with clock.fixed(local(2026, 12, 8, 11)):
        response = client.post(f"/cases/{working.number}/resume", data={"version": old})
    assert response.status_code == 409
    assert stored(working).state is State.WAITING
