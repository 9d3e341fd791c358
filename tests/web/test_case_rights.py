"""Rights that follow a person's present roles, and records that stay where they belong."""

from sqlalchemy import select

from portal.accounts import service as accounts
from portal.accounts.roles import Role
from portal.cases import service as cases
from portal.cases.categories import Category
from portal.cases.models import Case, CaseEvent
from portal.cases.workflow import State
from portal.extensions import db
from tests import factories
from tests.conftest import texts


def _assigned_case(world, resident, secretary, staff):
    return factories.case(
        world, State.IN_PROGRESS, by=resident, secretary=secretary, assignee=staff, building="1"
    )


def test_assignee_whose_role_is_removed_loses_the_case(client, world, login):
    resident = factories.resident(world.ymn)
    secretary = factories.member(Role.SECRETARY, world.ymn)
    staff = factories.member(Role.PROPERTY_STAFF, world.ymn, name="孙师傅")
    admin = factories.member(Role.ADMIN)
    case = _assigned_case(world, resident, secretary, staff)
    login(staff)
    assert client.get(f"/cases/{case.number}").status_code == 200
    accounts.revoke_role(staff.memberships[0], admin)
    assert client.get(f"/cases/{case.number}").status_code == 404
    response = client.post(
        f"/cases/{case.number}/resolve", data={"version": case.version, "body": "修好了"}
    )
    assert response.status_code == 404
    assert db.session.get(Case, case.id).state is State.IN_PROGRESS


def test_escalation_reason_is_not_shown_to_the_resident(client, world, login):
    resident = factories.resident(world.ymn)
    secretary = factories.member(Role.SECRETARY, world.ymn)
    staff = factories.member(Role.PROPERTY_STAFF, world.ymn)
    case = _assigned_case(world, resident, secretary, staff)
    login(secretary)
    assert (
        client.post(
            f"/cases/{case.number}/escalate", data={"reason": "物业推诿，需社区协调"}
        ).status_code
        == 302
    )
    assert "物业推诿" in texts(client.get(f"/cases/{case.number}"))
    client.post("/logout")
    login(resident)
    assert "物业推诿" not in texts(client.get(f"/cases/{case.number}"))


def test_an_action_without_the_version_seen_is_refused_and_changes_nothing(client, world, login):
    resident = factories.resident(world.ymn)
    secretary = factories.member(Role.SECRETARY, world.ymn)
    case = factories.case(world, by=resident, building="1", description="漏水")
    login(secretary)
    for version in (None, "abc"):
        data = {"reason": "不属于小区范围"} | ({"version": version} if version else {})
        response = client.post(f"/cases/{case.number}/reject", data=data)
        assert response.status_code == 422
        assert "页面已过期，请刷新后再试。" in texts(response)
    assert db.session.get(Case, case.id).state is State.FILED


def test_a_visitor_posting_for_a_queue_row_gets_the_case_back_not_an_error(client, world):
    case, key = cases.file_case(
        world.ymn,
        world.ymn.buildings[0],
        category=Category.NOISE,
        description="夜里施工",
        location="",
        urgent=False,
        contact_name="刘女士",
        contact_phone="13600001234",
    )
    response = client.post(
        f"/cases/{case.number}/withdraw?key={key}",
        data={"version": case.version},
        headers={"HX-Request": "true", "HX-Target": f"row-{case.id}"},
    )
    assert response.status_code == 200
    assert '<div id="case"' in response.get_data(as_text=True)
    assert db.session.get(Case, case.id).state is State.WITHDRAWN


def test_a_case_joining_an_account_is_on_the_record(client, world, login):
    case = factories.case(
        world,
        building="1",
        category=Category.NOISE,
        description="夜里施工",
        contact_name="刘女士",
        contact_phone="13600001234",
    )
    from portal.accounts.models import HomeState

    newcomer = factories.resident(world.ymn, phone="13600001234", state=HomeState.PENDING)
    accounts.verify_home(newcomer.homes[0], factories.member(Role.SECRETARY, world.ymn))
    event = db.session.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.action == "claimed")
    )
    assert event is not None and event.public is False
    assert db.session.get(Case, case.id).reporter_id == newcomer.id
