"""Nobody sees a case, its photos or its actions unless it is theirs to see; overseers see below."""

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.accounts.models import HomeState
from portal.accounts.roles import Role
from portal.cases import photos, service
from portal.cases.categories import Category
from portal.cases.models import CaseEvent
from portal.cases.workflow import State
from portal.extensions import db
from tests import factories
from tests.conftest import sign_in
from tests.web.test_case_flow import jpeg


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def scene(world):
    """A case in ymn with a photo on filing, a public update photo and an internal note photo."""
    people = factories.cast(world, "reporter secretary staff")
    case = factories.case(
        world,
        State.IN_PROGRESS,
        by=people.reporter,
        secretary=people.secretary,
        assignee=people.staff,
        category=Category.LIFT,
        description="电梯困人",
        location="2单元",
        processed_photos=[photos.process(jpeg(), "filed.jpg")],
    )
    service.post_update(
        case,
        people.staff,
        body="师傅已到场",
        public=True,
        processed_photos=[photos.process(jpeg(), "public.jpg")],
    )
    service.post_update(
        case,
        people.staff,
        body="配件损坏照片",
        public=False,
        processed_photos=[photos.process(jpeg(), "internal.jpg")],
    )
    filed, public, internal = sorted(case.photos, key=lambda p: p.id)
    return SimpleNamespace(
        case=case,
        number=case.number,
        reporter=people.reporter,
        secretary=people.secretary,
        staff=people.staff,
        filed=filed.id,
        public=public.id,
        internal=internal.id,
    )


def client_of(app, person=None):
    client = app.test_client()
    if person is not None:
        assert sign_in(client, person).status_code == 302
    return client


def fetch(client, url):
    """GET a photo and close the file it streams, as a server would."""
    with client.get(url) as response:
        return SimpleNamespace(
            status=response.status_code,
            mimetype=response.mimetype,
            data=response.get_data(),
            headers=response.headers,
        )


def events_of(case_id):
    return db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id))


def outsider(world, who):
    return {
        "secretary of another compound": lambda: factories.member(Role.SECRETARY, world.czy),
        "another resident of the compound": lambda: factories.resident(
            world.ymn, "2", room="2-502"
        ),
        "a resident still awaiting verification": lambda: factories.resident(
            world.ymn, "2", room="2-503", state=HomeState.PENDING
        ),
        "overseer of another community": lambda: factories.member(
            Role.COMMUNITY_OVERSEER, world.other_community
        ),
        "grid worker of another community": lambda: factories.member(
            Role.GRID_WORKER, world.other_community
        ),
        "visitor": lambda: None,
    }[who]()


OUTSIDERS = [
    "secretary of another compound",
    "another resident of the compound",
    "a resident still awaiting verification",
    "overseer of another community",
    "grid worker of another community",
    "visitor",
]
ACTIONS = {
    "accept": {"version": "1", "category": "lift", "priority": "normal", "lead_party": "property"},
    "reject": {"version": "1", "reason": "x"},
    "merge": {"version": "1", "target": "x"},
    "assign": {"version": "1", "assignee": "1"},
    "withdraw": {"version": "1"},
    "updates": {"body": "x", "visibility": "public"},
    "resolve": {"version": "1", "body": "x"},
    "info": {"body": "x"},
    "reveal-phone": {},
}


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_not_found_for_the_case_its_photos_and_every_action(app, world, scene, who):
    client = client_of(app, outsider(world, who))
    n = scene.number
    pages = [f"/cases/{n}", f"/cases/{n}/receipt"] + [
        f"/cases/{n}/photos/{p}{end}"
        for p in (scene.filed, scene.public, scene.internal)
        for end in ("", "/thumb")
    ]
    statuses = {url: fetch(client, url).status for url in pages}
    before = events_of(scene.case.id)
    statuses.update(
        {
            f"POST {a}": client.post(f"/cases/{n}/{a}", data=data).status_code
            for a, data in ACTIONS.items()
        }
    )
    assert statuses == dict.fromkeys(statuses, 404)
    assert events_of(scene.case.id) == before


@pytest.mark.parametrize("overseer", ["community", "sub_district"])
def test_overseers_above_the_compound_see_the_case_and_all_its_photos(app, world, scene, overseer):
    person = (
        factories.member(Role.COMMUNITY_OVERSEER, world.community)
        if overseer == "community"
        else factories.member(Role.SUBDISTRICT_OVERSEER, world.sub)
    )
    client = client_of(app, person)
    page = client.get(f"/cases/{scene.number}")
    assert page.status_code == 200 and "配件损坏照片" in page.get_data(as_text=True)
    for photo in (scene.filed, scene.public, scene.internal):
        response = fetch(client, f"/cases/{scene.number}/photos/{photo}/thumb")
        assert response.status == 200 and response.mimetype == "image/jpeg"


def test_grid_worker_of_the_community_sees_the_case(app, world, scene):
    client = client_of(app, factories.member(Role.GRID_WORKER, world.community))
    assert client.get(f"/cases/{scene.number}").status_code == 200


def test_reporter_sees_public_photos_but_not_those_of_an_internal_note(app, scene):
    client = client_of(app, scene.reporter)
    page = client.get(f"/cases/{scene.number}").get_data(as_text=True)
    assert f"/photos/{scene.public}/thumb" in page and f"/photos/{scene.internal}" not in page
    for photo in (scene.filed, scene.public):
        response = fetch(client, f"/cases/{scene.number}/photos/{photo}")
        assert response.status == 200 and response.data[:2] == b"\xff\xd8"
        assert response.headers["Cache-Control"] == "private, max-age=3600"
    assert fetch(client, f"/cases/{scene.number}/photos/{scene.internal}").status == 404
    assert fetch(client, f"/cases/{scene.number}/photos/{scene.internal}/thumb").status == 404


def test_staff_see_the_photos_of_an_internal_note(app, world, scene):
    client = client_of(app, factories.member(Role.PROPERTY_STAFF, world.ymn))
    page = client.get(f"/cases/{scene.number}").get_data(as_text=True)
    assert f"/photos/{scene.internal}/thumb" in page
    response = fetch(client, f"/cases/{scene.number}/photos/{scene.internal}")
    assert response.status == 200 and response.data[:2] == b"\xff\xd8"


def test_a_photo_is_not_served_under_another_cases_number(app, world, scene):
    other = factories.case(
        world, by=scene.reporter, building="1", category=Category.NOISE, description="楼上装修"
    )
    client = client_of(app, scene.reporter)
    assert client.get(f"/cases/{other.number}").status_code == 200
    assert fetch(client, f"/cases/{other.number}/photos/{scene.filed}").status == 404
    assert fetch(client, f"/cases/{scene.number}/photos/999999").status == 404


def test_a_visitors_follow_key_opens_only_its_own_case(app, world, scene):
    place = next(b for b in world.ymn.buildings if b.code == "1")
    theirs, key = service.file_case(
        world.ymn,
        place,
        category=Category.NOISE,
        description="楼上装修",
        location="",
        urgent=False,
        contact_name="张秀英",
        contact_phone="13800001111",
    )
    client = client_of(app)
    assert client.get(f"/cases/{theirs.number}?key={key}").status_code == 200
    assert client.get(f"/cases/{scene.number}?key={key}").status_code == 404
    # The key it showed once stays with the visitor's session, and only for that case.
    assert client.get(f"/cases/{theirs.number}").status_code == 200
    assert client.get(f"/cases/{scene.number}").status_code == 404


@pytest.mark.parametrize(
    "who", ["another resident of the compound", "secretary of another compound"]
)
def test_the_compounds_queue_is_not_found_for_residents_and_other_compounds(app, world, scene, who):
    client = client_of(app, outsider(world, who))
    assert client.get("/c/ymn/cases").status_code == 404
    assert client.get("/c/ymn/poster").status_code == 404


def test_the_queue_is_open_to_the_compounds_parties_and_its_overseers(app, world, scene):
    for person in (
        scene.secretary,
        scene.staff,
        factories.member(Role.COMMUNITY_OVERSEER, world.community),
        factories.member(Role.SUBDISTRICT_OVERSEER, world.sub),
    ):
        response = client_of(app, person).get("/c/ymn/cases")
        assert response.status_code == 200 and scene.number in response.get_data(as_text=True)


def test_a_visitor_is_sent_to_sign_in_from_the_queue(app, world, scene):
    response = client_of(app).get("/c/ymn/cases")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
