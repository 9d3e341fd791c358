"""Overseers (DESIGN.md sections 3 and 5): the community sees escalated cases of its own
compounds, the sub-district the ones escalated to it; read-only until a case is escalated to
them, then they can comment, reassign or take it over. Never another community's cases."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.cases import service
from portal.cases.models import Case, CaseEvent
from portal.cases.workflow import State
from portal.extensions import db
from portal.feedback.sweep import sweep
from portal.notifications.models import Notification
from tests import factories
from tests.conftest import sign_in, texts

T = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NOT_ALLOWED = "此事项当前的状态下，您不能进行这个操作。"


@pytest.fixture
def people(world):
    czy, hill = world.czy, factories.sub_district(code="sd2", name="Hill sub-district")
    return factories.cast(
        world,
        "reporter czy_reporter secretary czy_secretary manager fitter grid overseer north street",
        "far_street",
        czy_reporter={"part": "reporter", "compound": czy, "building_code": "1", "name": "钱大爷"},
        czy_secretary={"part": "secretary", "compound": czy, "name": "竹园书记"},
        north={"part": "other_overseer", "name": "北湖吴主任"},
        far_street={"part": "street", "scope": hill, "name": "山区街道郑书记"},
    )


def new_case(compound, reporter, description, at=T) -> Case:
    return factories.case(compound, by=reporter, building="1", description=description, at=at)


def in_progress(world, people, description="电梯按钮失灵", at=T) -> Case:
    return factories.case(
        world,
        State.IN_PROGRESS,
        by=people.reporter,
        secretary=people.secretary,
        assignee=people.fitter,
        building="1",
        description=description,
        at=at,
    )


def client_of(app, person):
    client = app.test_client()
    assert sign_in(client, person).status_code == 302
    return client


def stored(case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def events_of(case, action) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.action == action)
            .order_by(CaseEvent.id)
        )
    )


def listed(client) -> list[str]:
    """The case numbers on the overseer's queue of escalated cases."""
    response = client.get("/oversight/escalated")
    assert response.status_code == 200
    return re.findall(
        r'<a class="case-number" href="/cases/([^"]+)">', response.get_data(as_text=True)
    )


# -- the queue ---------------------------------------------------------------------------------


def test_a_community_overseer_sees_the_escalated_cases_of_their_community_only(app, world, people):
    ours = in_progress(world, people, "2号楼电梯困人")
    quiet = in_progress(world, people, "绿化带需要修剪")
    theirs = new_case(world.czy, people.czy_reporter, "竹园北门门禁坏了")
    service.escalate(ours, people.secretary, reason="物业拖了两周，请社区协调")
    service.escalate(theirs, people.czy_secretary, reason="门禁厂家联系不上")

    assert listed(client_of(app, people.overseer)) == [ours.number]
    assert listed(client_of(app, people.north)) == [theirs.number]
    assert quiet.number not in listed(client_of(app, people.overseer))
    page = texts(client_of(app, people.overseer).get("/oversight/escalated"))
    assert "上报的事项" in page and "Plum Garden" in page and "Bamboo Court" not in page


def test_the_sub_district_sees_only_cases_escalated_to_it(app, world, people):
    by_hand = in_progress(world, people, "楼道堆放杂物")
    service.escalate(by_hand, people.secretary, reason="需要社区出面")
    overdue = new_case(world.czy, people.czy_reporter, "竹园地下车库漏水")
    with clock.fixed(T + timedelta(hours=48, minutes=1)):
        assert sweep()["escalated"] == 1
    assert listed(client_of(app, people.street)) == []
    assert "没有上报的事项。" in texts(client_of(app, people.street).get("/oversight/escalated"))

    with clock.fixed(T + timedelta(hours=48 + 72, minutes=2)):
        assert sweep()["escalated_again"] == 1
    assert stored(overdue).escalation_level == 2 and stored(by_hand).escalation_level == 1
    assert listed(client_of(app, people.street)) == [overdue.number]
    assert listed(client_of(app, people.far_street)) == []
    # The community still sees its own case once it has gone further up.
    assert listed(client_of(app, people.north)) == [overdue.number]
    assert listed(client_of(app, people.overseer)) == [by_hand.number]
    told = db.session.scalars(
        select(Notification.person_id).where(
            Notification.case_id == overdue.id, Notification.kind == "escalate"
        )
    ).all()
    assert told.count(people.street.id) == 1 and people.far_street.id not in told


def test_a_case_leaves_the_queue_once_it_is_finished(app, world, people):
    case = in_progress(world, people)
    service.escalate(case, people.secretary, reason="请社区督办")
    assert listed(client_of(app, people.overseer)) == [case.number]
    service.resolve(case, people.fitter, version=stored(case).version, body="已修好")
    assert listed(client_of(app, people.overseer)) == []


@pytest.mark.parametrize("who", ["secretary", "reporter", "grid", "manager"])
def test_only_overseers_open_the_queue(app, world, people, who):
    assert client_of(app, getattr(people, who)).get("/oversight/escalated").status_code == 403


def test_the_queue_needs_signing_in(app, world):
    assert app.test_client().get("/oversight/escalated").status_code in (302, 401)


# -- read-only until escalated to them -----------------------------------------------------------


def note(client, case, body="请物业三天内答复"):
    return client.post(
        f"/cases/{case.number}/updates", data={"body": body, "visibility": "internal"}
    )


def reassign(client, case, to):
    return client.post(
        f"/cases/{case.number}/assign", data={"version": stored(case).version, "assignee": to.id}
    )


def test_an_overseer_sees_but_cannot_act_on_a_case_not_escalated(app, world, people):
    case = in_progress(world, people)
    overseer = client_of(app, people.overseer)
    page = overseer.get(f"/cases/{case.number}")
    assert page.status_code == 200 and "电梯按钮失灵" in texts(page)
    assert "接手此事项" not in texts(page)
    version = stored(case).version

    for response in (
        note(overseer, case),
        reassign(overseer, case, people.manager),
        overseer.post(f"/cases/{case.number}/take-over", data={"version": version}),
    ):
        assert response.status_code == 409
        assert NOT_ALLOWED in texts(response)
    case = stored(case)
    assert (case.assignee_id, case.version) == (people.fitter.id, version)
    assert events_of(case, "note") == [] and events_of(case, "take_over") == []


def test_once_escalated_the_community_overseer_comments_and_reassigns(app, world, people):
    case = in_progress(world, people)
    service.escalate(case, people.secretary, reason="物业拖了两周，请社区协调")
    overseer = client_of(app, people.overseer)

    response = note(overseer, case, "已约物业经理明天面谈")
    assert response.status_code == 302, texts(response)
    [comment] = events_of(case, "note")
    assert (comment.actor_id, comment.actor_role, comment.public) == (
        people.overseer.id,
        "overseer",
        False,
    )

    response = reassign(overseer, case, people.manager)
    assert response.status_code == 302, texts(response)
    case = stored(case)
    assert case.assignee_id == people.manager.id
    [moved] = events_of(case, "reassign")
    assert (moved.actor_id, moved.actor_role, moved.data["previous_id"]) == (
        people.overseer.id,
        "overseer",
        people.fitter.id,
    )

    # Escalated to the community is not escalated to the sub-district: the street still reads.
    street = client_of(app, people.street)
    assert street.get(f"/cases/{case.number}").status_code == 200
    assert note(street, case).status_code == 409
    assert reassign(street, case, people.fitter).status_code == 409


def test_once_escalated_to_the_sub_district_its_overseer_acts_too(app, world, people):
    case = new_case(world.ymn, people.reporter, "楼顶防水层破损")
    with clock.fixed(T + timedelta(hours=48, minutes=1)):
        sweep()
    with clock.fixed(T + timedelta(hours=48 + 72, minutes=2)):
        sweep()
    assert stored(case).escalation_level == 2
    street = client_of(app, people.street)
    response = note(street, case, "街道已联系住建部门")
    assert response.status_code == 302, texts(response)
    # An unassigned case: the overseer assigns it (from "accepted")…
    factories.accept(stored(case), people.secretary)
    assert reassign(street, case, people.manager).status_code == 302
    case = stored(case)
    assert (case.state, case.assignee_id) == (State.IN_PROGRESS, people.manager.id)
    assert events_of(case, "assign")[0].actor_id == people.street.id


def test_taking_over_makes_the_overseer_the_assignee(app, world, people):
    case = in_progress(world, people)
    service.escalate(case, people.secretary, reason="物业拖了两周，请社区协调")
    overseer = client_of(app, people.overseer)
    page = texts(overseer.get(f"/cases/{case.number}"))
    assert "接手此事项" in page

    response = overseer.post(
        f"/cases/{case.number}/take-over", data={"version": stored(case).version}
    )
    assert response.status_code == 302, texts(response)
    case = stored(case)
    assert (case.assignee_id, case.state) == (people.overseer.id, State.IN_PROGRESS)
    [taken] = events_of(case, "take_over")
    assert (taken.actor_id, taken.actor_role) == (people.overseer.id, "overseer")
    assert (taken.data["assignee_id"], taken.data["previous_id"]) == (
        people.overseer.id,
        people.fitter.id,
    )
    assert (
        people.secretary.id
        in db.session.scalars(
            select(Notification.person_id).where(
                Notification.case_id == case.id, Notification.kind == "take_over"
            )
        ).all()
    )

    page = texts(overseer.get(f"/cases/{case.number}"))
    assert "承办人 社区陈主任" in page and "接手了此事项。" in page
    # Now the assignee, the overseer can resolve it.
    response = overseer.post(
        f"/cases/{case.number}/resolve",
        data={"version": case.version, "body": "社区协调更换了电梯主板"},
    )
    assert response.status_code == 302, texts(response)
    assert stored(case).state is State.RESOLVED


def test_an_overseer_triages_and_takes_over_a_case_escalated_while_waiting_for_triage(
    app, world, people
):
    case = new_case(world.ymn, people.reporter, "楼顶防水层破损")  # the secretary never triages
    with clock.fixed(T + timedelta(hours=48, minutes=1)):
        assert sweep()["escalated"] == 1
    overseer = client_of(app, people.overseer)
    response = overseer.post(
        f"/cases/{case.number}/accept",
        data={
            "version": stored(case).version,
            "category": "repair",
            "priority": "normal",
            "lead_party": "property",
        },
    )
    assert response.status_code == 302, texts(response)
    [accepted] = events_of(case, "accept")
    assert (accepted.actor_id, accepted.actor_role) == (people.overseer.id, "overseer")
    response = overseer.post(
        f"/cases/{case.number}/take-over", data={"version": stored(case).version}
    )
    assert response.status_code == 302, texts(response)
    assert (stored(case).state, stored(case).assignee_id) == (State.IN_PROGRESS, people.overseer.id)
    # Another community's overseer still cannot.
    assert (
        client_of(app, people.north)
        .post(f"/cases/{case.number}/take-over", data={"version": stored(case).version})
        .status_code
        == 404
    )


def test_an_overseer_cannot_triage_a_case_not_escalated(app, world, people):
    case = new_case(world.ymn, people.reporter, "楼顶防水层破损")
    response = client_of(app, people.overseer).post(
        f"/cases/{case.number}/accept",
        data={
            "version": stored(case).version,
            "category": "repair",
            "priority": "normal",
            "lead_party": "property",
        },
    )
    assert response.status_code == 409
    assert stored(case).state is State.FILED


def test_a_stale_take_over_is_told(app, world, people):
    case = in_progress(world, people)
    service.escalate(case, people.secretary, reason="请社区协调")
    seen = stored(case).version
    service.assign(stored(case), people.secretary, version=seen, assignee=people.manager)
    response = client_of(app, people.overseer).post(
        f"/cases/{case.number}/take-over", data={"version": seen}
    )
    assert response.status_code == 409
    assert stored(case).assignee_id == people.manager.id


# -- never another community's cases -----------------------------------------------------------


def test_overseers_of_another_community_get_404_on_its_case_pages(app, world, people):
    case = in_progress(world, people)
    service.escalate(case, people.secretary, reason="请社区协调")
    for who in (people.north, people.far_street):
        client = client_of(app, who)
        assert client.get(f"/cases/{case.number}").status_code == 404
        assert note(client, case).status_code == 404
        assert (
            client.post(
                f"/cases/{case.number}/take-over", data={"version": stored(case).version}
            ).status_code
            == 404
        )
        assert client.post(f"/cases/{case.number}/reveal-phone").status_code == 404
    case = stored(case)
    assert case.assignee_id == people.fitter.id and events_of(case, "note") == []


# -- blowing the whistle by hand (吹哨) -----------------------------------------------------------


def test_the_secretary_escalates_by_hand_with_a_reason(app, world, people):
    case = in_progress(world, people)
    secretary = client_of(app, people.secretary)
    assert secretary.post(f"/cases/{case.number}/escalate", data={"reason": " "}).status_code == 422
    assert stored(case).escalation_level == 0

    response = secretary.post(
        f"/cases/{case.number}/escalate", data={"reason": "物业拖了两周，请社区协调"}
    )
    assert response.status_code == 302, texts(response)
    case = stored(case)
    assert case.escalation_level == 1 and case.escalated_at is not None
    [whistle] = events_of(case, "escalate")
    assert (whistle.actor_id, whistle.actor_role, whistle.body, whistle.data["level"]) == (
        people.secretary.id,
        "secretary",
        "物业拖了两周，请社区协调",
        1,
    )
    assert "automatic" not in whistle.data
    told = db.session.scalars(
        select(Notification.person_id).where(
            Notification.case_id == case.id, Notification.kind == "escalate"
        )
    ).all()
    assert people.overseer.id in told and people.north.id not in told
    assert people.secretary.id not in told  # not told of her own act
    page = texts(client_of(app, people.overseer).get(f"/cases/{case.number}"))
    assert "将事项上报社区： 物业拖了两周，请社区协调" in page

    # Still stuck, the next whistle goes to the sub-district; there is nothing above it.
    again = secretary.post(f"/cases/{case.number}/escalate", data={"reason": "再次上报"})
    assert again.status_code == 302, texts(again)
    assert stored(case).escalation_level == 2
    third = secretary.post(f"/cases/{case.number}/escalate", data={"reason": "还要上报"})
    assert third.status_code == 409
    assert [e.data["level"] for e in events_of(case, "escalate")] == [1, 2]


@pytest.mark.parametrize("who", ["fitter", "manager", "overseer", "reporter"])
def test_only_the_secretary_escalates_by_hand(app, world, people, who):
    case = in_progress(world, people)
    response = client_of(app, getattr(people, who)).post(
        f"/cases/{case.number}/escalate", data={"reason": "帮帮忙"}
    )
    assert response.status_code == 409
    assert stored(case).escalation_level == 0 and events_of(case, "escalate") == []


def test_a_visitor_with_the_private_link_cannot_escalate(app, world, people):
    """The follow key makes a visitor the reporter, never the sweep."""
    visitor = app.test_client()
    building = world.ymn.buildings[0]
    response = visitor.post(
        "/c/ymn/report",
        data={
            "building": str(building.id),
            "category": "repair",
            "description": "楼道灯不亮",
            "location": "",
            "contact_name": "张秀英",
            "contact_phone": "13800001111",
            "privacy": "y",
        },
    )
    assert response.status_code == 302
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert visitor.get(f"/cases/{case.number}").status_code == 200  # the key is in the session
    response = visitor.post(f"/cases/{case.number}/escalate", data={"reason": "快点处理"})
    assert response.status_code == 409
    assert stored(case).escalation_level == 0 and events_of(case, "escalate") == []


def test_a_take_over_completes_the_case_is_theirs_with_a_new_deadline(app, world, people):
    # Issue 9 point 8 (DESIGN.md section 3: "whose overseers can take it over").
    case = in_progress(world, people, at=factories.shanghai(2026, 12, 7))
    service.escalate(case, people.secretary, reason="物业拖了两周，请社区协调")
    overseer = client_of(app, people.overseer)
    with clock.fixed(factories.shanghai(2026, 12, 9, 15)):  # a Wednesday
        response = overseer.post(
            f"/cases/{case.number}/take-over", data={"version": stored(case).version}
        )
        assert response.status_code == 302, texts(response)
        page = overseer.get(f"/cases/{case.number}")
    case = stored(case)
    # Theirs to lead and to do, with seven working days from the take-over (10-11, 14-18).
    assert case.assignee_id == people.overseer.id
    assert case.due_at == factories.end_of_day(2026, 12, 18)
    html = page.get_data(as_text=True)
    assert 'id="taken-over"' in html and people.overseer.name in texts(page)
    assert "接手此事项" not in texts(page)  # the button is gone
    again = overseer.post(f"/cases/{case.number}/take-over", data={"version": case.version})
    assert again.status_code == 409
    assert len(events_of(case, "take_over")) == 1
