"""A resolution that takes effect hands a case nobody handled yet to its first action item's
person, for that item's party, and on the record in the role of whoever signed last."""

from datetime import timedelta

from portal.accounts import service as accounts
from portal.accounts.roles import Role
from portal.cases.categories import Category
from portal.cases.events import EventKind
from portal.cases.workflow import State
from portal.clock import local_date, now
from portal.consultation import service
from portal.consultation.models import Decision, Mode, ResolutionState
from portal.extensions import db
from portal.organisation.models import PartyKind
from tests import factories


def _signed_by_all_but_the_manager(world):
    ymn = world.ymn
    people = factories.cast(
        world,
        "secretary manager staff rep resident",
        rep={"part": "representative", "name": "钱代表"},
        resident={"part": "reporter", "building_code": "1"},
    )
    secretary, manager, staff, rep = people.secretary, people.manager, people.staff, people.rep
    case = factories.case(
        world,
        State.ACCEPTED,
        by=people.resident,
        secretary=secretary,
        building="1",
        category=Category.PARKING,
        description="停车位不够",
        lead_party=PartyKind.BRANCH,
        needs_consultation=True,
    )
    consultation = service.convene(
        ymn,
        secretary,
        title="停车规划",
        mode=Mode.IN_PERSON,
        case_list=[case],
        starts_at=now() + timedelta(days=1),
        place="党群服务站",
    )
    item = consultation.items[0]
    resolution = service.draft_resolution(
        item,
        secretary,
        text="重新划线",
        actions=[
            {
                "party": PartyKind.PROPERTY,
                "assignee": staff,
                "description": "划线",
                "due_on": local_date() + timedelta(days=7),
            }
        ],
    )
    service.sign(resolution, secretary, party=PartyKind.BRANCH, decision=Decision.SIGN)
    service.sign(resolution, rep, party=PartyKind.RESIDENTS, decision=Decision.SIGN)
    return case, resolution, manager, staff


def _assign_event(case):
    db.session.expire_all()
    return next(e for e in case.events if e.action == EventKind.ASSIGN)


def test_the_resolution_hands_the_case_to_its_first_action_items_person(app, world):
    case, resolution, manager, staff = _signed_by_all_but_the_manager(world)
    service.sign(resolution, manager, party=PartyKind.PROPERTY, decision=Decision.SIGN)
    assert resolution.state is ResolutionState.EFFECTIVE
    assert case.assignee_id == staff.id
    event = _assign_event(case)
    assert event.data["party"] == "property" and event.data["by_resolution"] == resolution.id
    assert event.actor_role == "property_manager"


def test_it_takes_effect_even_when_that_person_has_left_their_party(app, world):
    case, resolution, manager, staff = _signed_by_all_but_the_manager(world)
    admin = factories.member(Role.ADMIN)
    accounts.revoke_role(staff.memberships[0], admin)
    service.sign(resolution, manager, party=PartyKind.PROPERTY, decision=Decision.SIGN)
    assert resolution.state is ResolutionState.EFFECTIVE
    assert _assign_event(case).data["party"] == "property"
