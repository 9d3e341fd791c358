"""Two people acting on one case at once: one wins, the other is told, nothing is overwritten."""

import threading

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.accounts.models import Person
from portal.cases import service
from portal.cases.categories import Category
from portal.cases.models import Case, CaseEvent, Priority
from portal.cases.workflow import State
from portal.extensions import db
from portal.organisation.models import PartyKind
from tests import factories
from tests.conftest import sign_in, texts

STALE = "This case changed since you opened it."


@pytest.fixture
def team(world):
    """The case the reporter filed (before anyone else joined), and the people acting on it."""
    reporter = factories.cast(world, "reporter").reporter
    case = factories.case(
        world, by=reporter, category=Category.LIFT, description="电梯困人", location="2单元"
    )
    team = factories.cast(
        world,
        "secretary deputy fitter electrician",
        secretary={"locale": "en"},
        deputy={"locale": "en"},
    )
    team.case_id, team.number = case.id, case.number
    return team


def the_case(team):
    db.session.expire_all()
    return db.session.get(Case, team.case_id)


def events(team, action):
    return list(
        db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == team.case_id, CaseEvent.action == action)
        )
    )


def accept_now(team, by):
    factories.accept(the_case(team), by)


def signed_in(app, person):
    client = app.test_client()
    assert sign_in(client, person).status_code == 302
    return client


def version_on_page(client, number) -> str:
    html = client.get(f"/cases/{number}").get_data(as_text=True)
    marker = 'name="version" type="hidden" value="'
    assert marker in html, "the page carries the version it shows"
    return html.split(marker, 1)[1].split('"', 1)[0]


# -- (a) a stale form ------------------------------------------------------------------------


def test_second_secretary_accepting_from_a_stale_page_is_told_and_overwrites_nothing(app, team):
    first, second = signed_in(app, team.secretary), signed_in(app, team.deputy)
    seen_first = version_on_page(first, team.number)
    seen_second = version_on_page(second, team.number)
    assert seen_first == seen_second

    assert (
        first.post(
            f"/cases/{team.number}/accept",
            data={
                "version": seen_first,
                "category": "lift",
                "priority": "urgent",
                "lead_party": "property",
            },
        ).status_code
        == 302
    )
    response = second.post(
        f"/cases/{team.number}/accept",
        data={
            "version": seen_second,
            "category": "noise",
            "priority": "normal",
            "lead_party": "branch",
        },
    )
    assert response.status_code == 409
    assert STALE in texts(response)

    case = the_case(team)
    assert (case.state, case.category, case.priority, case.lead_party) == (
        State.ACCEPTED,
        Category.LIFT,
        Priority.URGENT,
        PartyKind.PROPERTY,
    )
    assert [e.actor_id for e in events(team, "accept")] == [team.secretary.id]


def test_second_assignment_from_a_stale_page_is_told_and_the_first_assignee_stays(app, team):
    accept_now(team, team.secretary)
    first, second = signed_in(app, team.secretary), signed_in(app, team.deputy)
    seen_first = version_on_page(first, team.number)
    seen_second = version_on_page(second, team.number)

    assert (
        first.post(
            f"/cases/{team.number}/assign", data={"version": seen_first, "assignee": team.fitter.id}
        ).status_code
        == 302
    )
    response = second.post(
        f"/cases/{team.number}/assign",
        data={"version": seen_second, "assignee": team.electrician.id},
    )
    assert response.status_code == 409
    page = texts(response)
    assert STALE in page and "孙师傅" in page  # the case as it now stands

    case = the_case(team)
    assert case.state is State.IN_PROGRESS and case.assignee_id == team.fitter.id
    assert len(events(team, "assign")) == 1 and events(team, "reassign") == []


def test_a_stale_triage_from_the_queue_row_answers_the_row_with_the_conflict(app, team):
    first, second = signed_in(app, team.secretary), signed_in(app, team.deputy)
    version = the_case(team).version
    form = {"version": version, "category": "lift", "priority": "normal", "lead_party": "property"}
    assert first.post(f"/cases/{team.number}/accept", data=form).status_code == 302
    response = second.post(
        f"/cases/{team.number}/reject",
        data={"version": version, "reason": "重复"},
        headers={"HX-Request": "true", "HX-Target": f"row-{team.case_id}"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<li class="row queue-row" id="row-{team.case_id}">')
    assert STALE in texts(response)
    assert the_case(team).state is State.ACCEPTED and events(team, "reject") == []


# -- (b) a real race at the database ----------------------------------------------------------


def race(app, team, attempts, order=None):
    """Run each attempt in its own thread, app context and session. Each loads the case, acts
    on it in memory, and waits for the others right before its first write to the database
    (the first flush: the commit's, unless a query inside the service autoflushes earlier).
    Then all write at once, or, given an `order`, each after the one before it has finished.
    Returns what became of each attempt."""
    barrier = threading.Barrier(len(attempts), timeout=20)
    racing = threading.local()
    finished = {name: threading.Event() for name in attempts}
    before = dict(zip(order[1:], order, strict=False)) if order else {}

    def write_together(session, flush_context, instances):
        if getattr(racing, "waiting", False):
            racing.waiting = False
            barrier.wait()
            if racing.name in before:
                assert finished[before[racing.name]].wait(timeout=20), "the first writer hangs"

    db.session.commit()  # nothing of the test's own transaction in the way
    event.listen(Session, "before_flush", write_together)
    outcomes, loaded = {}, {}

    def run(name, attempt):
        with app.app_context():
            try:
                case = db.session.get(Case, team.case_id)
                loaded[name] = case.version
                racing.waiting, racing.name = True, name
                attempt(case)
                outcomes[name] = "done"
            except service.Stale:
                outcomes[name] = "stale"
            except Exception as error:
                outcomes[name] = repr(error)
                barrier.abort()
            finally:
                finished[name].set()

    threads = [threading.Thread(target=run, args=item) for item in attempts.items()]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(Session, "before_flush", write_together)
    assert not any(thread.is_alive() for thread in threads), "a racer is stuck"
    # Both acted on the same version and both got past every check to their write: the loser
    # was stopped by the database's version check, not by a fresher read.
    assert len(set(loaded.values())) == 1 and len(loaded) == len(attempts), loaded
    return outcomes


def as_person(person_id):
    return db.session.get(Person, person_id)


def test_two_accepts_racing_to_the_database_let_exactly_one_through(app, team):
    leads = {team.secretary.id: PartyKind.PROPERTY, team.deputy.id: PartyKind.BRANCH}

    def accept_as(person_id):
        def attempt(case):
            factories.accept(case, as_person(person_id), lead_party=leads[person_id])

        return attempt

    outcomes = race(app, team, {pid: accept_as(pid) for pid in leads})
    assert sorted(outcomes.values()) == ["done", "stale"], outcomes
    [winner] = [pid for pid, outcome in outcomes.items() if outcome == "done"]
    case = the_case(team)
    assert case.state is State.ACCEPTED and case.lead_party is leads[winner]
    assert case.version == 2
    assert [e.actor_id for e in events(team, "accept")] == [winner]


def test_two_assignments_racing_to_the_database_keep_the_winners_assignee(app, team):
    accept_now(team, team.secretary)
    choices = {team.secretary.id: team.fitter.id, team.deputy.id: team.electrician.id}

    def assign_as(person_id):
        def attempt(case):
            service.assign(
                case,
                as_person(person_id),
                version=case.version,
                assignee=as_person(choices[person_id]),
            )

        return attempt

    outcomes = race(app, team, {pid: assign_as(pid) for pid in choices})
    assert sorted(outcomes.values()) == ["done", "stale"], outcomes
    [winner] = [pid for pid, outcome in outcomes.items() if outcome == "done"]
    case = the_case(team)
    assert case.state is State.IN_PROGRESS and case.assignee_id == choices[winner]
    [assigned] = events(team, "assign")
    assert (assigned.actor_id, assigned.data["assignee_id"]) == (winner, choices[winner])


def test_the_loser_of_two_accepts_posted_at_once_sees_the_conflict_page(app, team):
    clients = {
        team.secretary.id: signed_in(app, team.secretary),
        team.deputy.id: signed_in(app, team.deputy),
    }
    leads = {team.secretary.id: "property", team.deputy.id: "branch"}
    version = the_case(team).version

    def post_accept(person_id):
        def attempt(_case):
            response = clients[person_id].post(
                f"/cases/{team.number}/accept",
                data={
                    "version": version,
                    "category": "lift",
                    "priority": "normal",
                    "lead_party": leads[person_id],
                },
            )
            if response.status_code == 409:
                assert STALE in texts(response)
                raise service.Stale()
            assert response.status_code == 302, response.status_code

        return attempt

    outcomes = race(app, team, {pid: post_accept(pid) for pid in clients})
    assert sorted(outcomes.values()) == ["done", "stale"], outcomes
    [winner] = [pid for pid, outcome in outcomes.items() if outcome == "done"]
    assert the_case(team).lead_party.value == leads[winner]
    assert [e.actor_id for e in events(team, "accept")] == [winner]


def test_reporter_withdrawing_as_the_secretary_accepts_is_told_the_case_changed(app, world, team):
    reporter = db.session.get(Case, team.case_id).reporter
    clients = {"accept": signed_in(app, team.secretary), "withdraw": signed_in(app, reporter)}
    version = the_case(team).version
    forms = {
        "accept": {
            "version": version,
            "category": "lift",
            "priority": "normal",
            "lead_party": "property",
        },
        "withdraw": {"version": version},
    }

    def post(name):
        def attempt(_case):
            response = clients[name].post(f"/cases/{team.number}/{name}", data=forms[name])
            if response.status_code == 409:
                raise service.Stale()
            assert response.status_code == 302, response.status_code

        return attempt

    outcomes = race(app, team, {name: post(name) for name in forms}, order=["accept", "withdraw"])
    assert outcomes == {"accept": "done", "withdraw": "stale"}
    assert the_case(team).state is State.ACCEPTED and events(team, "withdraw") == []
