"""Closure feedback (回访/评价, DESIGN.md section 3): the resident's verdict on a resolved case,
a return visit recorded on their behalf, and "no feedback" when nobody answers in time."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.cases import service
from portal.cases.models import Case, CaseEvent
from portal.cases.workflow import State
from portal.extensions import db
from portal.feedback.models import Feedback, Satisfaction, Source
from portal.feedback.sweep import sweep
from portal.notifications.models import Notification
from tests import factories
from tests.conftest import sign_in, texts

# 10:00 in Shanghai on a Monday; every step below happens at a moment chosen from it.
T = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
NOT_ALLOWED = "此事项当前的状态下，您不能进行这个操作。"
NOT_COUNTED = "未收到评价而关闭：居民在评价期内没有回复。不计入满意。"


@pytest.fixture
def team(world):
    return factories.cast(
        world,
        "reporter neighbour secretary member manager fitter grid",
        reporter={"room": "2-301"},
        neighbour={"building_code": "2", "room": "2-302"},
    )


def resolve_case(case, team, at=T):
    """Accepted with the fitter as assignee, then resolved by him, at `at`."""
    with clock.fixed(at):
        factories.accept(case, team.secretary, assignee=team.fitter)
        service.resolve(case, team.fitter, version=case.version, body="更换了漏水的水管接头")
    return case


def resolved_case(world, team, at=T, description="楼上漏水，天花板滴水"):
    return factories.case(
        world,
        State.RESOLVED,
        by=team.reporter,
        secretary=team.secretary,
        assignee=team.fitter,
        description=description,
        location="2-301",
        resolution="更换了漏水的水管接头",
        at=at,
    )


def client_of(app, person):
    client = app.test_client()
    assert sign_in(client, person).status_code == 302
    return client


def stored(case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def events_of(case, action=None) -> list[CaseEvent]:
    statement = select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    if action:
        statement = statement.where(CaseEvent.action == action)
    return list(db.session.scalars(statement))


def feedback_of(case) -> list[Feedback]:
    return list(
        db.session.scalars(
            select(Feedback).where(Feedback.case_id == case.id).order_by(Feedback.id)
        )
    )


def timeline(response) -> str:
    """The text of the case page's timeline alone."""
    html = response.get_data(as_text=True)
    found = re.search(r'<ol class="timeline" id="timeline">.*?</ol>', html, re.S)
    assert found, "the page has a timeline"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", found.group(0)))


def post_feedback(client, case, at=T + timedelta(days=2), **form):
    with clock.fixed(at):
        return client.post(f"/cases/{case.number}/feedback", data=form)


# -- the resident answers -------------------------------------------------------------------


def test_solved_and_satisfied_closes_the_case_as_solved(app, world, team):
    case = resolved_case(world, team)
    response = post_feedback(
        client_of(app, team.reporter),
        case,
        solved="yes",
        satisfaction="satisfied",
        comment="修得很好，谢谢",
    )
    assert response.status_code == 302, texts(response)
    assert response.headers["Location"] == f"/cases/{case.number}"

    case = stored(case)
    assert case.state is State.CLOSED and case.closure == "solved"
    assert case.closed_at == T + timedelta(days=2) and case.feedback_due_at is None
    [row] = feedback_of(case)
    assert (row.source, row.solved, row.satisfaction, row.comment, row.recorded_by_id) == (
        Source.RESIDENT,
        True,
        Satisfaction.SATISFIED,
        "修得很好，谢谢",
        team.reporter.id,
    )
    [event] = events_of(case, "close_solved")
    assert (event.actor_id, event.actor_role, event.public) == (team.reporter.id, "reporter", True)
    assert (event.from_state, event.to_state) == (State.RESOLVED, State.CLOSED)
    assert event.data == {"solved": True, "satisfaction": "satisfied", "source": "resident"}

    page = client_of(app, team.reporter).get(f"/cases/{case.number}")
    assert "已关闭：居民确认已解决。 满意" in texts(page)
    assert "确认问题已解决（满意）。" in timeline(page)


def test_not_solved_reopens_to_the_same_assignee_with_the_reason_and_a_new_deadline(
    app, world, team
):
    case = resolved_case(world, team)
    answered_at = T + timedelta(days=2)
    reason = "天花板还在滴水，没有修好"
    response = post_feedback(
        client_of(app, team.reporter),
        case,
        at=answered_at,
        solved="no",
        satisfaction="dissatisfied",
        comment=reason,
    )
    assert response.status_code == 302, texts(response)

    case = stored(case)
    assert case.state is State.IN_PROGRESS and case.assignee_id == team.fitter.id
    assert case.reopen_count == 1 and case.closure is None and case.closed_at is None
    assert case.feedback_due_at is None and case.resolution is None and case.resolved_at is None
    # Seven working days from Wednesday 4 March: Thursday 5 … Friday 13, end of the day.
    assert case.due_at == datetime(2026, 3, 13, 15, 59, 59, tzinfo=UTC)

    [row] = feedback_of(case)
    assert (row.source, row.solved, row.satisfaction, row.comment) == (
        Source.RESIDENT,
        False,
        Satisfaction.DISSATISFIED,
        reason,
    )
    [event] = events_of(case, "reopen")
    assert (event.actor_id, event.body, event.public) == (team.reporter.id, reason, True)
    assert (event.from_state, event.to_state) == (State.RESOLVED, State.IN_PROGRESS)

    # The reason is on the timeline the resident and the staff see.
    for person in (team.reporter, team.fitter):
        page = client_of(app, person).get(f"/cases/{case.number}")
        assert f"表示问题未解决，事项退回重办： {reason}" in timeline(page)
        assert "因居民表示未解决，已退回重办 1 次。" in texts(page)

    # The assignee hears of it; the resident who said it does not.
    told = db.session.scalars(
        select(Notification).where(Notification.case_id == case.id, Notification.kind == "reopen")
    ).all()
    assert team.fitter.id in {n.person_id for n in told}
    assert team.reporter.id not in {n.person_id for n in told}
    [fitters] = [n for n in told if n.person_id == team.fitter.id]
    assert fitters.link == f"/cases/{case.number}" and fitters.params["body"] == reason


def test_reopened_case_can_be_resolved_again_and_then_closed(app, world, team):
    case = resolved_case(world, team)
    reporter = client_of(app, team.reporter)
    assert (
        post_feedback(
            reporter, case, solved="no", satisfaction="dissatisfied", comment="还在漏"
        ).status_code
        == 302
    )
    case = stored(case)
    with clock.fixed(T + timedelta(days=3)):
        service.resolve(case, team.fitter, version=case.version, body="重新更换了整段水管")
    case = stored(case)
    assert case.feedback_due_at == T + timedelta(days=3, weeks=1)
    assert (
        post_feedback(
            reporter, case, at=T + timedelta(days=4), solved="yes", satisfaction="basically"
        ).status_code
        == 302
    )
    case = stored(case)
    assert (case.state, case.closure, case.reopen_count) == (State.CLOSED, "solved", 1)
    assert [(f.solved, f.satisfaction) for f in feedback_of(case)] == [
        (False, Satisfaction.DISSATISFIED),
        (True, Satisfaction.BASICALLY),
    ]


def test_not_solved_without_a_reason_is_refused_and_changes_nothing(app, world, team):
    case = resolved_case(world, team)
    before = (stored(case).version, len(events_of(case)))
    response = post_feedback(
        client_of(app, team.reporter), case, solved="no", satisfaction="dissatisfied", comment="   "
    )
    assert response.status_code == 422
    assert "请说明还有什么问题，以便重新处理。" in texts(response)

    case = stored(case)
    assert case.state is State.RESOLVED and case.reopen_count == 0
    assert (case.version, len(events_of(case))) == before
    assert feedback_of(case) == []
    assert case.feedback_due_at == T + timedelta(days=7)


@pytest.mark.parametrize(
    "form",
    [
        {"satisfaction": "satisfied"},
        {"solved": "yes"},
        {"solved": "maybe", "satisfaction": "satisfied"},
    ],
    ids=["no verdict", "no satisfaction", "nonsense verdict"],
)
def test_an_incomplete_answer_is_refused(app, world, team, form):
    case = resolved_case(world, team)
    response = post_feedback(client_of(app, team.reporter), case, **form)
    assert response.status_code == 422
    assert stored(case).state is State.RESOLVED and feedback_of(case) == []


# -- return visits ---------------------------------------------------------------------------


def test_branch_member_records_a_phone_return_visit(app, world, team):
    case = resolved_case(world, team)
    member = client_of(app, team.member)
    page = texts(member.get(f"/cases/{case.number}"))
    assert "记录回访" in page and "问题解决了吗？请告诉我们" not in page
    response = post_feedback(
        member,
        case,
        source="phone_visit",
        solved="yes",
        satisfaction="basically",
        comment="电话确认已不漏水",
    )
    assert response.status_code == 302, texts(response)

    case = stored(case)
    assert (case.state, case.closure) == (State.CLOSED, "solved")
    [row] = feedback_of(case)
    assert (row.source, row.solved, row.satisfaction, row.recorded_by_id) == (
        Source.PHONE_VISIT,
        True,
        Satisfaction.BASICALLY,
        team.member.id,
    )
    [event] = events_of(case, "close_solved")
    assert (event.actor_id, event.actor_role) == (team.member.id, "branch_member")
    assert event.data["source"] == "phone_visit"

    seen = timeline(client_of(app, team.reporter).get(f"/cases/{case.number}"))
    assert "确认问题已解决（基本满意）。 电话回访 电话确认已不漏水" in seen


def test_grid_worker_records_a_door_visit_that_reopens_the_case(app, world, team):
    case = resolved_case(world, team)
    grid = client_of(app, team.grid)
    response = post_feedback(
        grid,
        case,
        source="door_visit",
        solved="no",
        satisfaction="dissatisfied",
        comment="上门查看，墙角仍有水渍",
    )
    assert response.status_code == 302, texts(response)

    case = stored(case)
    assert (case.state, case.assignee_id, case.reopen_count) == (
        State.IN_PROGRESS,
        team.fitter.id,
        1,
    )
    [row] = feedback_of(case)
    assert (row.source, row.solved, row.recorded_by_id) == (Source.DOOR_VISIT, False, team.grid.id)
    [event] = events_of(case, "reopen")
    assert (event.actor_id, event.actor_role, event.data["source"]) == (
        team.grid.id,
        "grid_worker",
        "door_visit",
    )
    seen = timeline(client_of(app, team.secretary).get(f"/cases/{case.number}"))
    assert "表示问题未解决，事项退回重办： 上门查看，墙角仍有水渍 (上门回访)" in seen


def test_a_secretary_records_a_return_visit_too(app, world, team):
    case = resolved_case(world, team)
    response = post_feedback(
        client_of(app, team.secretary),
        case,
        source="phone_visit",
        solved="yes",
        satisfaction="satisfied",
    )
    assert response.status_code == 302, texts(response)
    [row] = feedback_of(case)
    assert (row.source, row.recorded_by_id) == (Source.PHONE_VISIT, team.secretary.id)


@pytest.mark.parametrize("who", ["manager", "fitter"])
def test_property_staff_cannot_record_a_return_visit(app, world, team, who):
    case = resolved_case(world, team)
    version = stored(case).version
    response = post_feedback(
        client_of(app, getattr(team, who)),
        case,
        source="phone_visit",
        solved="yes",
        satisfaction="satisfied",
    )
    assert response.status_code == 409
    assert NOT_ALLOWED in texts(response)
    case = stored(case)
    assert case.state is State.RESOLVED and case.version == version
    assert feedback_of(case) == [] and events_of(case, "close_solved") == []


def test_another_resident_cannot_see_or_answer(app, world, team):
    case = resolved_case(world, team)
    neighbour = client_of(app, team.neighbour)
    assert neighbour.get(f"/cases/{case.number}").status_code == 404
    response = post_feedback(neighbour, case, solved="yes", satisfaction="satisfied")
    assert response.status_code == 404
    assert stored(case).state is State.RESOLVED and feedback_of(case) == []


def test_feedback_before_resolution_is_refused(app, world, team):
    case = factories.case(world, by=team.reporter, description="水管漏水")
    response = post_feedback(
        client_of(app, team.reporter), case, at=clock.now(), solved="yes", satisfaction="satisfied"
    )
    assert response.status_code == 409
    assert stored(case).state is State.FILED and feedback_of(case) == []


def _visitor_files(app, world) -> tuple[Case, str]:
    """A visitor files from the lobby's QR code and keeps the private follow-up link."""
    visitor = app.test_client()
    building = next(b for b in world.ymn.buildings if b.code == "2")
    with clock.fixed(T):
        response = visitor.post(
            "/c/ymn/report",
            data={
                "building": str(building.id),
                "category": "repair",
                "description": "楼道灯不亮",
                "location": "2单元3楼",
                "contact_name": "张秀英",
                "contact_phone": "13800001111",
                "privacy": "y",
            },
        )
        assert response.status_code == 302, texts(response)
        receipt = visitor.get(response.headers["Location"]).get_data(as_text=True)
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    link = re.search(r'href="http://localhost(/cases/' + case.number + r'\?key=[^"]+)"', receipt)
    assert link, "the receipt shows a private follow link"
    return case, link.group(1)


def test_visitor_with_the_private_link_gives_feedback(app, world, team):
    case, link = _visitor_files(app, world)
    resolve_case(case, team)

    stranger = app.test_client()
    assert stranger.get(f"/cases/{case.number}").status_code == 404
    follower = app.test_client()
    with clock.fixed(T + timedelta(days=1)):
        page = follower.get(link)
    assert page.status_code == 200 and "楼道灯不亮" in texts(page)
    response = post_feedback(
        follower, case, solved="yes", satisfaction="satisfied", comment="灯亮了"
    )
    assert response.status_code == 302, texts(response)

    case = stored(case)
    assert (case.state, case.closure) == (State.CLOSED, "solved")
    [row] = feedback_of(case)
    assert (row.source, row.solved, row.recorded_by_id) == (Source.RESIDENT, True, None)
    [event] = events_of(case, "close_solved")
    assert (event.actor_id, event.actor_role) == (None, "reporter")


def test_a_visitor_without_the_key_cannot_answer(app, world, team):
    case, _link = _visitor_files(app, world)
    resolve_case(case, team)
    response = post_feedback(app.test_client(), case, solved="yes", satisfaction="satisfied")
    assert response.status_code == 404
    assert stored(case).state is State.RESOLVED and feedback_of(case) == []


# -- nobody answers ---------------------------------------------------------------------------


def satisfied_count(**where) -> int:
    statement = select(func.count(Feedback.id)).where(
        Feedback.satisfaction == Satisfaction.SATISFIED
    )
    if "case" in where:
        statement = statement.where(Feedback.case_id == where["case"].id)
    return db.session.scalar(statement)


def test_no_answer_within_the_window_closes_as_no_feedback_never_satisfied(app, world, team):
    silent = resolved_case(world, team)
    answered = resolved_case(world, team, description="单元门禁坏了")
    assert (
        post_feedback(
            client_of(app, team.reporter), answered, solved="yes", satisfaction="satisfied"
        ).status_code
        == 302
    )

    with clock.fixed(T + timedelta(days=6, hours=23)):
        assert sweep()["closed_without_feedback"] == 0
    assert stored(silent).state is State.RESOLVED

    with clock.fixed(T + timedelta(days=8)):
        counts = sweep()
    assert counts["closed_without_feedback"] == 1

    case = stored(silent)
    assert (case.state, case.closure) == (State.CLOSED, "no_feedback")
    assert case.closed_at == T + timedelta(days=8) and case.feedback_due_at is None
    [row] = feedback_of(case)
    assert (row.source, row.solved, row.satisfaction, row.recorded_by_id) == (
        Source.NO_FEEDBACK,
        None,
        None,
        None,
    )
    [event] = events_of(case, "close_no_feedback")
    assert (event.actor_id, event.actor_role) == (None, "system")
    assert (event.from_state, event.to_state) == (State.RESOLVED, State.CLOSED)

    # The page says so, to the resident and to the staff.
    for person in (team.reporter, team.secretary):
        page = client_of(app, person).get(f"/cases/{case.number}")
        assert NOT_COUNTED in texts(page)
        assert "未收到评价而关闭：评价期内无人回复。" in timeline(page)
        assert "满意）" not in timeline(page)

    # Counted as satisfied nowhere: only the case that said so is.
    assert satisfied_count() == 1 and satisfied_count(case=answered) == 1
    assert satisfied_count(case=silent) == 0
    assert (
        db.session.scalar(
            select(func.count(Feedback.id)).where(
                Feedback.case_id == silent.id, Feedback.satisfaction.is_not(None)
            )
        )
        == 0
    )
    assert (
        db.session.scalar(
            select(func.count(Feedback.id)).where(
                Feedback.case_id == silent.id, Feedback.solved.is_(True)
            )
        )
        == 0
    )

    # The assignee hears of it, and a second sweep closes nothing more.
    assert (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.case_id == silent.id,
                Notification.kind == "close_no_feedback",
                Notification.person_id == team.fitter.id,
            )
        )
        == 1
    )
    with clock.fixed(T + timedelta(days=9)):
        assert sweep()["closed_without_feedback"] == 0
    assert len(feedback_of(silent)) == 1 and len(events_of(silent, "close_no_feedback")) == 1


def test_a_late_answer_after_the_no_feedback_closure_is_refused(app, world, team):
    case = resolved_case(world, team)
    with clock.fixed(T + timedelta(days=8)):
        sweep()
    response = post_feedback(
        client_of(app, team.reporter),
        case,
        at=T + timedelta(days=9),
        solved="yes",
        satisfaction="satisfied",
    )
    assert response.status_code == 409
    case = stored(case)
    assert case.closure == "no_feedback"
    assert [f.source for f in feedback_of(case)] == [Source.NO_FEEDBACK]
