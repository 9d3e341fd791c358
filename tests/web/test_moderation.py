"""Moderation (issue "case work" point 14; DESIGN.md section 5: residents see their cases'
public events and the noticeboard, overseers everything below them): the secretary and the
overseers hide a public text (a description, an update, a notice) or a photo with a reason;
the public reads "hidden by the branch" and the reason, staff still read the original marked
hidden, and the act is an event."""

import html

import pytest
from sqlalchemy import select

from portal.accounts.roles import Role
from portal.cases import photos, service
from portal.cases.categories import Category
from portal.cases.models import Case, CaseEvent, Photo
from portal.cases.workflow import State
from portal.consultation import service as consultations
from portal.consultation.models import Mode, Notice
from portal.extensions import db
from portal.open311 import keys
from tests import factories
from tests.conftest import texts as raw_texts
from tests.web.test_case_flow import jpeg
from tests.web.test_open311 import api, parse
from tests.web.test_oversight import client_of

RUDE = "楼上那个姓赵的就是个无赖，电话13911112222"
UPDATE = "已联系维修，赵某家里不开门，太过分了"
REASON = "含有对他人的人身攻击和电话号码"


def texts(response) -> str:
    return html.unescape(raw_texts(response))


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def scene(world):
    people = factories.cast(
        world,
        "reporter secretary manager fitter overseer other_overseer street",
        reporter={"building_code": "1"},
        locale="en",
    )
    case = factories.case(
        world,
        State.IN_PROGRESS,
        by=people.reporter,
        secretary=people.secretary,
        assignee=people.fitter,
        category=Category.NOISE,
        description=RUDE,
        processed_photos=[photos.process(jpeg(), "filed.jpg")],
    )
    service.post_update(
        case,
        people.fitter,
        body=UPDATE,
        public=True,
        processed_photos=[photos.process(jpeg(), "update.jpg")],
    )
    people.case = stored(case)
    people.update = next(e for e in people.case.events if e.body == UPDATE)
    people.filed_photo, people.update_photo = sorted(p.id for p in people.case.photos)
    return people


def stored(case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def hide(client, case, what, reason=REASON, item=""):
    return client.post(
        f"/cases/{case.number}/hide", data={"what": what, "item": item, "reason": reason}
    )


def test_the_secretary_hides_the_description_and_the_public_reads_why(app, scene):
    version = scene.case.version
    response = hide(client_of(app, scene.secretary), scene.case, "description")
    assert response.status_code == 302
    case = stored(scene.case)
    assert (case.description_hidden_by_id, case.description_hidden_reason) == (
        scene.secretary.id,
        REASON,
    )
    assert case.version == version  # nobody's open form goes stale over it
    reporter = texts(client_of(app, scene.reporter).get(f"/cases/{case.number}"))
    assert f"Hidden by the branch: {REASON}" in reporter and "无赖" not in reporter
    staff = texts(client_of(app, scene.fitter).get(f"/cases/{case.number}"))
    assert "无赖" in staff and f"Hidden from the public: {REASON}" in staff
    [event] = [e for e in case.events if e.action == "hide"]
    assert (event.actor_id, event.actor_role, event.public, event.body) == (
        scene.secretary.id,
        "secretary",
        False,
        REASON,
    )
    assert event.data["what"] == "description"
    assert "Hid the description from the public" in staff
    # On the resident's own list too.
    assert "无赖" not in texts(client_of(app, scene.reporter).get("/my"))


def test_an_overseer_hides_an_updates_text_and_shows_it_again(app, scene):
    overseer = client_of(app, scene.overseer)
    assert hide(overseer, scene.case, "event", item=scene.update.id).status_code == 302
    reporter = client_of(app, scene.reporter)
    page = texts(reporter.get(f"/cases/{scene.case.number}"))
    assert "太过分了" not in page and f"Hidden by the branch: {REASON}" in page
    staff = texts(client_of(app, scene.secretary).get(f"/cases/{scene.case.number}"))
    assert "太过分了" in staff and "Hid an update's text from the public" in staff
    response = overseer.post(
        f"/cases/{scene.case.number}/unhide", data={"what": "event", "item": scene.update.id}
    )
    assert response.status_code == 302
    assert "太过分了" in texts(reporter.get(f"/cases/{scene.case.number}"))
    kinds = [e.action for e in stored(scene.case).events]
    assert kinds[-2:] == ["hide", "unhide"]


def test_a_hidden_photo_is_not_served_to_the_public(app, scene):
    secretary = client_of(app, scene.secretary)
    assert hide(secretary, scene.case, "photo", item=scene.update_photo).status_code == 302
    reporter = client_of(app, scene.reporter)
    page = reporter.get(f"/cases/{scene.case.number}").get_data(as_text=True)
    assert f"/photos/{scene.update_photo}/thumb" not in page
    assert f"/photos/{scene.filed_photo}/thumb" in page
    assert REASON in html.unescape(page)
    base = f"/cases/{scene.case.number}/photos"
    with reporter.get(f"{base}/{scene.update_photo}") as response:
        assert response.status_code == 404
    with secretary.get(f"{base}/{scene.update_photo}") as response:
        assert response.status_code == 200
    assert db.session.get(Photo, scene.update_photo).hidden_reason == REASON


def test_only_the_secretary_and_the_overseers_hide_and_a_reason_is_needed(app, scene):
    for who in (scene.fitter, scene.manager, scene.reporter):
        response = hide(client_of(app, who), scene.case, "description")
        assert response.status_code == 409, who.name
    assert hide(client_of(app, scene.other_overseer), scene.case, "description").status_code == 404
    assert stored(scene.case).description_hidden_at is None
    secretary = client_of(app, scene.secretary)
    response = hide(secretary, scene.case, "description", reason="  ")
    assert response.status_code == 422
    assert "Say why it is hidden: the public reads the reason." in texts(response)
    assert hide(secretary, scene.case, "event", item=999999).status_code == 422
    # The sub-district's overseer may, and twice is refused.
    assert hide(client_of(app, scene.street), scene.case, "description").status_code == 302
    assert hide(secretary, scene.case, "description").status_code == 409
    hides = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == scene.case.id, CaseEvent.action == "hide")
    ).all()
    assert len(hides) == 1 and hides[0].actor_id == scene.street.id


def test_with_htmx_hiding_answers_with_the_case_region(app, scene):
    response = client_of(app, scene.secretary).post(
        f"/cases/{scene.case.number}/hide",
        data={"what": "description", "item": "", "reason": REASON},
        headers={"HX-Request": "true", "HX-Target": "case"},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="case"') and "Hidden from the public" in body


def test_the_api_says_hidden_instead_of_the_text_and_the_photo(client, app, world, scene):
    key = keys.issue("12345热线", world.ymn, may_read=True, may_file=False)[1]
    secretary = client_of(app, scene.secretary)
    hide(secretary, scene.case, "description")
    hide(secretary, scene.case, "event", item=scene.update.id)
    hide(secretary, scene.case, "photo", item=scene.filed_photo)
    hide(secretary, scene.case, "photo", item=scene.update_photo)
    [found] = parse(api(client, "json", f"requests/{scene.case.number}", key), "json")
    assert REASON in found["description"] and "无赖" not in found["description"]
    assert "太过分了" not in (found["status_notes"] or "")
    assert not found.get("media_url")


def test_a_notice_is_hidden_from_residents_and_shown_again(app, world, scene):
    notice = consultations.post_notice(
        world.ymn, scene.secretary, title="停车新规", body="赵某乱停车，大家注意"
    )
    resident = factories.resident(world.ymn, name="钱阿姨", locale="en")
    secretary = client_of(app, scene.secretary)
    refused = client_of(app, scene.manager).post(
        f"/notices/{notice.id}/hide", data={"reason": REASON}
    )
    assert refused.status_code == 404
    assert (
        client_of(app, scene.overseer)
        .post(f"/notices/{notice.id}/hide", data={"reason": REASON})
        .status_code
        == 302
    )
    page = texts(client_of(app, resident).get("/c/ymn/notices"))
    assert "赵某乱停车" not in page and f"Hidden by the branch: {REASON}" in page
    staff = texts(client_of(app, scene.fitter).get("/c/ymn/notices"))
    assert "赵某乱停车" in staff and f"Hidden from the public: {REASON}" in staff
    assert secretary.post(f"/notices/{notice.id}/show").status_code == 302
    assert "赵某乱停车" in texts(client_of(app, resident).get("/c/ymn/notices"))
    db.session.expire_all()
    assert db.session.get(Notice, notice.id).hidden_at is None


def test_a_representative_on_the_agenda_reads_the_hidden_note_too(app, world, scene):
    rep = factories.member(Role.REPRESENTATIVE, world.ymn, name="钱代表", locale="en")
    case = factories.case(
        world,
        State.ACCEPTED,
        by=scene.reporter,
        secretary=scene.secretary,
        category=Category.PARKING,
        description="楼下赵某天天占车位",
        needs_consultation=True,
    )
    consultations.convene(
        world.ymn,
        scene.secretary,
        title="车位",
        mode=Mode.ONLINE,
        case_list=[case],
        window_days=7,
    )
    hide(client_of(app, scene.secretary), case, "description")
    page = texts(client_of(app, rep).get(f"/cases/{case.number}"))
    assert "占车位" not in page and f"Hidden by the branch: {REASON}" in page
