"""Three-party consultation via the client: convene, attend, opinions, resolve, sign, publish."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.cases import service as cases
from portal.cases.categories import Category
from portal.cases.models import Case, CaseEvent
from portal.cases.workflow import State
from portal.consultation.models import (
    ActionItem,
    AgendaItem,
    Consultation,
    ConsultationState,
    Resolution,
    ResolutionState,
)
from portal.extensions import db
from portal.feedback.sweep import sweep
from portal.notifications.models import Notification
from portal.organisation.models import PartyKind
from tests import factories
from tests.conftest import texts


@pytest.fixture
def ymn(world):
    """The people of one compound and two cases that need a consultation."""
    ymn = factories.cast(
        world,
        "secretary member manager staff rep rep2 resident",
        rep={"part": "representative", "name": "钱代表"},
        rep2={"part": "representative"},
        resident={"part": "reporter", "building_code": "1"},
    )
    ymn.compound = world.ymn
    ymn.cases = [
        factories.case(
            world,
            State.ACCEPTED,
            by=ymn.resident,
            secretary=ymn.secretary,
            building="1",
            category=category,
            description=text,
            lead_party=PartyKind.BRANCH,
            needs_consultation=True,
        )
        for text, category in (
            ("停车位不够，希望重新规划", Category.PARKING),
            ("想用维修资金修外墙", Category.MAINTENANCE_FUND),
        )
    ]
    return ymn


def _convene(client, ymn, mode="in_person", **extra):
    data = {
        "title": "北门停车与外墙维修",
        "cases": [c.id for c in ymn.cases],
        "mode": mode,
        "starts_at": "2026-12-01T19:30",
        "place": "小区党群服务站",
        "window_days": "7",
        **extra,
    }
    return client.post("/c/ymn/consultations/new", data=data)


def _consultation():
    return db.session.scalars(select(Consultation).order_by(Consultation.id.desc())).first()


def test_secretary_convenes_and_cases_go_into_consultation(client, ymn, login):
    login(ymn.secretary)
    response = _convene(client, ymn)
    assert response.status_code == 302, texts(response)
    consultation = _consultation()
    assert [i.case_id for i in consultation.items] == [c.id for c in ymn.cases]
    db.session.expire_all()
    assert {db.session.get(Case, c.id).state for c in ymn.cases} == {State.CONSULTING}
    invited = {(i.person.name, i.party) for i in consultation.invitations}
    assert invited == {
        ("李书记", PartyKind.BRANCH),
        ("赵经理", PartyKind.PROPERTY),
        ("钱代表", PartyKind.RESIDENTS),
        ("吴代表", PartyKind.RESIDENTS),
    }
    client.post("/logout")
    login(ymn.rep)
    assert "北门停车与外墙维修" in texts(client.get("/desk/representative"))


def test_a_case_cannot_be_on_two_open_agendas(client, ymn, login):
    login(ymn.secretary)
    _convene(client, ymn)
    again = _convene(client, ymn, title="再议")
    assert again.status_code == 422
    assert "已列入“北门停车与外墙维修”的议程" in texts(again)
    assert db.session.scalar(select(func.count(Consultation.id))) == 1


def test_meeting_missing_a_party_cannot_conclude_and_says_which(client, ymn, login):
    login(ymn.secretary)
    _convene(client, ymn)
    consultation = _consultation()
    for party in ("branch", "property"):
        client.post(
            f"/consultations/{consultation.id}/attendance",
            data={"party": party, "present": "y", "attendees": "x"},
        )
    response = client.post(f"/consultations/{consultation.id}/conclude")
    assert response.status_code == 422
    assert "会议不能结束：居民代表未参加。" in texts(response)
    assert _consultation().state is ConsultationState.OPEN


def _resolve_and_sign(client, ymn, login, consultation, item):
    login(ymn.secretary)
    due = (date.today() + timedelta(days=10)).isoformat()
    response = client.post(
        f"/consultations/{consultation.id}/items/{item.id}/resolution",
        data={
            "text": "北门增设二十个临时车位，物业负责划线，居民代表负责征求意见",
            "actions-0-assignee": ymn.staff.id,
            "actions-0-description": "划线施工",
            "actions-0-due_on": due,
            "actions-1-assignee": ymn.rep.id,
            "actions-1-description": "征求住户意见",
            "actions-1-due_on": due,
        },
    )
    assert response.status_code == 302, texts(response)
    resolution = db.session.scalar(select(Resolution).where(Resolution.item_id == item.id))
    client.post(f"/resolutions/{resolution.id}/sign", data={"party": "branch", "decision": "sign"})
    client.post("/logout")
    return resolution


def test_resolution_signed_by_three_takes_effect_and_is_published(client, ymn, login):
    login(ymn.secretary)
    _convene(client, ymn)
    consultation = _consultation()
    item = consultation.items[0]
    client.post("/logout")
    resolution = _resolve_and_sign(client, ymn, login, consultation, item)
    login(ymn.manager)
    client.post(
        f"/resolutions/{resolution.id}/sign", data={"party": "property", "decision": "sign"}
    )
    client.post("/logout")
    login(ymn.rep)
    client.post(
        f"/resolutions/{resolution.id}/sign", data={"party": "residents", "decision": "sign"}
    )
    db.session.expire_all()
    resolution = db.session.get(Resolution, resolution.id)
    assert resolution.state is ResolutionState.EFFECTIVE
    case = db.session.get(Case, item.case_id)
    assert case.state is State.IN_PROGRESS and case.assignee_id == ymn.staff.id
    client.post("/logout")
    login(ymn.staff)
    assert "划线施工" in texts(client.get("/cases/mine"))
    client.post("/logout")
    neighbour = factories.resident(ymn.compound, name="邻居老刘", room="3-301")
    login(neighbour)
    board = texts(client.get("/c/ymn/notices"))
    assert "北门增设二十个临时车位" in board
    assert "王阿姨" not in board and ymn.resident.phone not in board


def test_representative_cannot_sign_for_the_property_party(client, ymn, login):
    login(ymn.secretary)
    _convene(client, ymn)
    consultation = _consultation()
    client.post("/logout")
    resolution = _resolve_and_sign(client, ymn, login, consultation, consultation.items[0])
    login(ymn.rep)
    response = client.post(
        f"/resolutions/{resolution.id}/sign", data={"party": "property", "decision": "sign"}
    )
    assert response.status_code == 302  # plain form: back to the page with the refusal
    assert "您不能代表这一方签字" in texts(client.get(response.headers["Location"]))
    assert db.session.get(Resolution, resolution.id).signature(PartyKind.PROPERTY) is None


def test_head_signs_only_for_their_own_party(client, ymn, login):
    login(ymn.secretary)
    _convene(client, ymn)
    consultation = _consultation()
    client.post("/logout")
    resolution = _resolve_and_sign(client, ymn, login, consultation, consultation.items[0])
    login(ymn.manager)
    client.post(
        f"/resolutions/{resolution.id}/sign", data={"party": "residents", "decision": "sign"}
    )
    db.session.expire_all()
    assert db.session.get(Resolution, resolution.id).signature(PartyKind.RESIDENTS) is None


def test_dissent_is_recorded_and_the_case_can_be_escalated(client, ymn, login):
    login(ymn.secretary)
    _convene(client, ymn)
    consultation = _consultation()
    item = consultation.items[1]
    client.post("/logout")
    resolution = _resolve_and_sign(client, ymn, login, consultation, item)
    login(ymn.manager)
    client.post(
        f"/resolutions/{resolution.id}/sign",
        data={"party": "property", "decision": "dissent", "reason": "维修资金不足"},
    )
    db.session.expire_all()
    assert db.session.get(Resolution, resolution.id).state is ResolutionState.DISSENTED
    case = db.session.get(Case, item.case_id)
    assert case.state is not State.CONSULTING
    client.post("/logout")
    login(ymn.secretary)
    response = client.post(
        f"/cases/{case.number}/escalate", data={"reason": "三方意见不一致，请社区协调"}
    )
    assert response.status_code == 302, texts(response)
    db.session.expire_all()
    assert db.session.get(Case, case.id).escalation_level == 1


def test_a_dissent_is_told_and_can_go_a_level_higher_when_escalated_before(client, ymn, login):
    # Issue 9 point 9: the secretary and the community hear of a dissent; a case already
    # escalated to the community can go on to the sub-district.
    overseer = factories.member(factories.Role.COMMUNITY_OVERSEER, ymn.compound.community)
    login(ymn.secretary)
    _convene(client, ymn)
    consultation = _consultation()
    item = consultation.items[1]
    case = db.session.get(Case, item.case_id)
    cases.escalate(case, ymn.secretary, reason="维修资金争议，请社区先介入")
    resolution = _resolve_and_sign(client, ymn, login, consultation, item)
    login(ymn.manager)
    client.post(
        f"/resolutions/{resolution.id}/sign",
        data={"party": "property", "decision": "dissent", "reason": "维修资金不足"},
    )
    for person in (ymn.secretary, overseer):
        [told] = _notified(person, "dissented")
        assert told.params["body"] == "维修资金不足"
    login(ymn.secretary)
    page = texts(client.get(f"/cases/{case.number}"))
    assert "上报街道（吹哨）" in page
    response = client.post(
        f"/cases/{case.number}/escalate", data={"reason": "社区协调未果，请街道协调"}
    )
    assert response.status_code == 302, texts(response)
    db.session.expire_all()
    assert db.session.get(Case, case.id).escalation_level == 2
    assert "上报街道（吹哨）" not in texts(client.get(f"/cases/{case.number}"))


def test_online_opinion_after_the_window_is_refused(client, ymn, login, app):
    from datetime import datetime

    from portal import clock

    login(ymn.secretary)
    _convene(client, ymn, mode="online", window_days="3")
    consultation = _consultation()
    item = consultation.items[0]
    client.post("/logout")
    login(ymn.manager)
    ok = client.post(
        f"/consultations/{consultation.id}/items/{item.id}/opinion",
        data={"party": "property", "body": "同意增设车位"},
    )
    assert ok.status_code == 302
    with clock.fixed(datetime.now(UTC) + timedelta(days=4)):
        late = client.post(
            f"/consultations/{consultation.id}/items/{item.id}/opinion",
            data={"party": "property", "body": "补充意见"},
        )
    assert late.status_code == 302
    assert "逾期意见不再受理" in texts(client.get(late.headers["Location"]))
    assert len(db.session.get(AgendaItem, item.id).opinions) == 1


def test_cancelled_meeting_returns_its_cases_to_work(client, ymn, login):
    login(ymn.secretary)
    _convene(client, ymn)
    consultation = _consultation()
    response = client.post(
        f"/consultations/{consultation.id}/cancel", data={"reason": "场地临时不可用"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert _consultation().state is ConsultationState.CANCELLED
    assert {db.session.get(Case, c.id).state for c in ymn.cases} == {State.ACCEPTED}


def test_minutes_print_in_the_readers_language_or_in_chinese_when_asked(client, ymn, login):
    login(ymn.secretary)
    _convene(client, ymn)
    minutes = f"/consultations/{_consultation().id}/minutes"
    assert "三方协商会议纪要" in texts(client.get(minutes))
    client.post("/language", data={"locale": "en"})
    page = texts(client.get(minutes))
    assert "minutes of the three-party consultation" in page and "三方协商" not in page
    page = texts(client.get(f"{minutes}?lang=zh_CN"))  # for the paper file
    assert "三方协商会议纪要" in page and "小区党群服务站" in page


def test_action_items_done_then_case_resolves(client, ymn, login):
    login(ymn.secretary)
    _convene(client, ymn)
    consultation = _consultation()
    item = consultation.items[0]
    client.post("/logout")
    resolution = _resolve_and_sign(client, ymn, login, consultation, item)
    for signer, party in ((ymn.manager, "property"), (ymn.rep, "residents")):
        login(signer)
        client.post(f"/resolutions/{resolution.id}/sign", data={"party": party, "decision": "sign"})
        client.post("/logout")
    case = db.session.get(Case, item.case_id)
    login(ymn.staff)
    refused = client.post(
        f"/cases/{case.number}/resolve", data={"version": case.version, "body": "完成"}
    )
    assert refused.status_code == 409
    for action in db.session.scalars(select(ActionItem).where(ActionItem.case_id == case.id)).all():
        who = ymn.staff if action.assignee_id == ymn.staff.id else ymn.rep
        client.post("/logout")
        login(who)
        client.post(f"/action-items/{action.id}/done", data={"note": "已完成"})
    client.post("/logout")
    login(ymn.staff)
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    done = client.post(
        f"/cases/{case.number}/resolve", data={"version": case.version, "body": "车位已划好"}
    )
    assert done.status_code == 302, texts(done)
    assert (
        db.session.scalar(
            select(func.count(CaseEvent.id)).where(
                CaseEvent.case_id == case.id, CaseEvent.action == "action_done"
            )
        )
        == 2
    )


def test_the_clock_pauses_while_a_case_waits_on_the_consultation(app, client, ymn, login):
    from portal import clock
    from portal.feedback.sweep import sweep

    case = ymn.cases[0]
    due = db.session.get(Case, case.id).due_at
    with clock.fixed(due - timedelta(days=1)):
        login(ymn.secretary)
        _convene(client, ymn)
    consultation = _consultation()
    weeks_later = due + timedelta(days=20)
    with clock.fixed(weeks_later):
        counts = sweep()
        assert counts["reminded"] == 0 and counts["escalated"] == 0
        db.session.expire_all()
        assert not db.session.get(Case, case.id).is_overdue
        client.post(f"/consultations/{consultation.id}/cancel", data={"reason": "改期"})
    db.session.expire_all()
    moved = db.session.get(Case, case.id).due_at
    # The day it had left when the meeting was convened is still left afterwards.
    assert moved - weeks_later == timedelta(days=1)


# -- no case stuck in consultation (issue: the signing deadline and the closed window) -------


def _draft(client, ymn, consultation, item):
    due = (date.today() + timedelta(days=30)).isoformat()
    return client.post(
        f"/consultations/{consultation.id}/items/{item.id}/resolution",
        data={
            "text": "北门增设二十个临时车位",
            "actions-0-assignee": ymn.staff.id,
            "actions-0-description": "划线施工",
            "actions-0-due_on": due,
        },
    )


def _notified(person, kind):
    return [
        n
        for n in db.session.scalars(select(Notification).where(Notification.person_id == person.id))
        if n.kind == kind
    ]


def test_a_resolution_left_unsigned_past_its_deadline_lapses_and_the_case_goes_back(
    client, ymn, login
):
    # Drafted on Monday 7 December 2026: five working days, to the end of Monday the 14th.
    monday = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
    with clock.fixed(monday):
        login(ymn.secretary)
        _convene(client, ymn)
        consultation = _consultation()
        item = consultation.items[0]
        assert _draft(client, ymn, consultation, item).status_code == 302
        client.post(
            f"/resolutions/{item.resolution.id}/sign", data={"party": "branch", "decision": "sign"}
        )
    resolution = db.session.get(Resolution, item.resolution.id)
    assert resolution.sign_by == datetime(2026, 12, 14, 15, 59, 59, tzinfo=UTC)
    with clock.fixed(datetime(2026, 12, 14, 15, 0, tzinfo=UTC)):
        assert sweep()["resolutions_lapsed"] == 0
    with clock.fixed(datetime(2026, 12, 14, 16, 0, tzinfo=UTC)):
        assert sweep()["resolutions_lapsed"] == 1
        assert sweep()["resolutions_lapsed"] == 0
    db.session.expire_all()
    assert db.session.get(Resolution, resolution.id).state is ResolutionState.LAPSED
    case = db.session.get(Case, item.case_id)
    assert case.state is State.ACCEPTED  # back to work, to be assigned
    last = case.events[-1]
    assert last.data["outcome"] == "lapsed" and last.actor_id is None
    [told] = _notified(ymn.secretary, "resolution_lapsed")
    assert told.params["number"] == case.number
    # Too late to sign now; the meeting page says why.
    with clock.fixed(datetime(2026, 12, 15, 2, 0, tzinfo=UTC)):
        login(ymn.manager)
        late = client.post(
            f"/resolutions/{resolution.id}/sign", data={"party": "property", "decision": "sign"}
        )
        assert "不再接受签字" in texts(client.get(late.headers["Location"]))
        page = texts(client.get(f"/consultations/{consultation.id}"))
    assert "已失效" in page
    # The other case of the agenda, with no resolution, waits for the meeting as before.
    assert db.session.get(Case, ymn.cases[1].id).state is State.CONSULTING


def test_a_resolution_signed_in_time_does_not_lapse(client, ymn, login):
    login(ymn.secretary)
    _convene(client, ymn)
    consultation = _consultation()
    item = consultation.items[0]
    resolution = _resolve_and_sign(client, ymn, login, consultation, item)
    for who, party in ((ymn.manager, "property"), (ymn.rep, "residents")):
        login(who)
        client.post(f"/resolutions/{resolution.id}/sign", data={"party": party, "decision": "sign"})
    with clock.fixed(datetime.now(UTC) + timedelta(days=60)):
        assert sweep()["resolutions_lapsed"] == 0
    assert db.session.get(Resolution, resolution.id).state is ResolutionState.EFFECTIVE


def test_an_online_window_closed_without_a_conclusion_sends_its_cases_back(client, ymn, login):
    login(ymn.secretary)
    _convene(client, ymn, mode="online", window_days="3")
    consultation = _consultation()
    first, second = consultation.items
    # The first case has a resolution waiting for signatures: its own deadline governs it.
    assert _draft(client, ymn, consultation, first).status_code == 302
    with clock.fixed(datetime.now(UTC) + timedelta(days=2)):
        assert sweep()["released_after_window"] == 0
    with clock.fixed(datetime.now(UTC) + timedelta(days=3, hours=1)):
        assert sweep()["released_after_window"] == 1
        assert sweep()["released_after_window"] == 0
    db.session.expire_all()
    assert db.session.get(Case, second.case_id).state is State.ACCEPTED
    assert db.session.get(Case, first.case_id).state is State.CONSULTING
    assert db.session.get(Case, second.case_id).events[-1].data["outcome"] == "window_closed"
    [told] = _notified(ymn.secretary, "window_closed")
    assert told.params["title"] == "北门停车与外墙维修"
