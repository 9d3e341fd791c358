""" "Is it this one?" while filing (issue "case work" point 11; DESIGN.md section 3: "merge into
an existing case about the same thing", section 7: "Filing must take under a minute"): once
building and kind are chosen, the open cases of the same problem are offered with their public
summary; the resident follows one instead of filing ("me too", told as it moves and counted),
or files anyway. The form's script fetches them as they choose; without it, they come as a step
before filing."""

import html
import re

import pytest
from sqlalchemy import func, select

from portal.cases import service
from portal.cases.categories import Category
from portal.cases.models import Case, CaseEvent, Supporter
from portal.cases.workflow import State
from portal.extensions import db
from portal.notifications.models import Notification
from tests import factories
from tests.conftest import texts as raw_texts
from tests.web.test_case_flow import file_case
from tests.web.test_oversight import client_of

PHONE = "13912345678"


def texts(response) -> str:
    return html.unescape(raw_texts(response))


@pytest.fixture
def scene(world):
    people = factories.cast(
        world,
        "reporter secretary fitter neighbour",
        reporter={"name": "张秀英", "phone": PHONE, "building_code": "2"},
        neighbour={"part": "reporter", "name": "李建国", "building_code": "2", "room": "2-502"},
        locale="en",
    )
    people.lift = factories.case(
        world,
        State.IN_PROGRESS,
        by=people.reporter,
        secretary=people.secretary,
        assignee=people.fitter,
        building="2",
        category=Category.LIFT,
        description=f"2号楼电梯停在三楼不动，张秀英 {PHONE}",
    )
    people.b2 = next(b for b in world.ymn.buildings if b.code == "2")
    people.b3 = next(b for b in world.ymn.buildings if b.code == "3")
    return people


def hint(client, building, category):
    return client.get(
        "/c/ymn/report/same", query_string={"building": building.id, "category": category}
    )


def offered(response) -> list[str]:
    return re.findall(r"/cases/([\w-]+)/support", response.get_data(as_text=True))


def test_the_open_cases_of_the_same_building_and_kind_are_offered(app, world, scene):
    visitor = app.test_client()
    response = hint(visitor, scene.b2, "lift")
    assert response.status_code == 200 and offered(response) == [scene.lift.number]
    page = texts(response)
    # The public summary: the reporter masked.
    assert "电梯停在三楼" in page and "张秀英" not in page and PHONE not in page
    assert offered(hint(visitor, scene.b3, "lift")) == []  # another building
    assert offered(hint(visitor, scene.b2, "repair")) == []  # another kind
    assert offered(visitor.get("/c/ymn/report/same?building=x&category=lift")) == []
    # A kind that concerns the whole compound is offered from any building.
    parking = factories.case(
        world, by=scene.reporter, building="3", category=Category.PARKING, description="乱停车"
    )
    assert offered(hint(visitor, scene.b2, "parking")) == [parking.number]
    # A case no longer open is not offered.
    service.resolve(scene.lift, scene.fitter, version=scene.lift.version, body="修好了")
    assert offered(hint(visitor, scene.b2, "lift")) == []


def test_without_javascript_the_hint_is_a_step_before_filing(app, world, scene):
    visitor = app.test_client()
    before = db.session.scalar(select(func.count(Case.id)))
    first = file_case(visitor, world, description="电梯又坏了，我家老人下不了楼")
    assert first.status_code == 200
    page = first.get_data(as_text=True)
    assert offered(first) == [scene.lift.number]
    assert "电梯又坏了，我家老人下不了楼" in html.unescape(page)  # what was typed is kept
    assert db.session.scalar(select(func.count(Case.id))) == before
    shown = re.search(r'name="seen_same" type="hidden" value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="seen_same"', page
    )
    assert shown and shown.group(1) == f"{scene.b2.id}:lift"
    # Sent again as it is, it is filed as its own case.
    again = file_case(visitor, world, description="电梯又坏了", seen_same=shown.group(1))
    assert again.status_code == 302 and "/receipt" in again.headers["Location"]
    assert db.session.scalar(select(func.count(Case.id))) == before + 1


def test_a_resident_says_me_too_and_follows_the_case(app, scene):
    neighbour = client_of(app, scene.neighbour)
    response = neighbour.post(f"/cases/{scene.lift.number}/support")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/cases/{scene.lift.number}")
    supporter = db.session.scalars(select(Supporter)).one()
    assert (supporter.case_id, supporter.person_id) == (scene.lift.id, scene.neighbour.id)
    page = texts(neighbour.get(f"/cases/{scene.lift.number}"))
    assert "You follow this case" in page and "1 more resident has the same problem." in page
    assert "张秀英" not in page and PHONE not in page  # the reporter masked to them
    # Counted for everyone, staff included; the act is on the staff's timeline.
    staff = texts(client_of(app, scene.secretary).get(f"/cases/{scene.lift.number}"))
    assert "1 more resident has the same problem." in staff
    assert "Has the same problem and follows the case (me too)." in staff
    # Told as it moves, of public steps only; reading only.
    service.post_update(scene.lift, scene.fitter, body="明早换门机", public=True)
    service.post_update(scene.lift, scene.fitter, body="配件缺货", public=False)
    told = db.session.scalars(
        select(Notification.kind).where(Notification.person_id == scene.neighbour.id)
    ).all()
    assert told == ["progress"]
    assert neighbour.post(f"/cases/{scene.lift.number}/info", data={"body": "x"}).status_code == 409
    # Once is enough.
    neighbour.post(f"/cases/{scene.lift.number}/support")
    assert db.session.scalar(select(func.count(Supporter.id))) == 1


def test_a_visitor_says_me_too_and_follows_it_with_a_key_of_their_own(app, scene):
    visitor = app.test_client()
    response = visitor.post(f"/cases/{scene.lift.number}/support")
    assert response.status_code == 302
    link = response.headers["Location"]
    assert "key=" in link
    page = visitor.get(link)
    assert page.status_code == 200 and 'id="following"' in page.get_data(as_text=True)
    assert PHONE not in texts(page)
    assert visitor.get(f"/cases/{scene.lift.number}").status_code == 200  # kept in the session
    stranger = app.test_client()
    assert stranger.get(f"/cases/{scene.lift.number}").status_code == 404
    assert stranger.get(link.split("http://localhost")[-1]).status_code == 200
    event = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == scene.lift.id, CaseEvent.action == "support")
    ).one()
    assert (event.actor_id, event.actor_role, event.public) == (None, "supporter", False)


def test_me_too_is_refused_on_a_case_no_longer_open(app, scene):
    service.resolve(scene.lift, scene.fitter, version=scene.lift.version, body="修好了")
    response = client_of(app, scene.neighbour).post(f"/cases/{scene.lift.number}/support")
    assert response.status_code == 302 and response.headers["Location"].endswith("/c/ymn/report")
    assert db.session.scalar(select(func.count(Supporter.id))) == 0
    assert app.test_client().post("/cases/nope-1/support").status_code == 404
