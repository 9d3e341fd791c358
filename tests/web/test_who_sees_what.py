"""Who sees which case (DESIGN.md section 5, issue "case work" points 1 and 2): a resident
representative sees the cases on the agenda of the consultations they are invited to and those
assigned to them, never the queue or an internal note; a resident whose report was merged
follows the case it was merged into and judges it."""

import html
import re

import pytest
from sqlalchemy import select

from portal.accounts import service as accounts
from portal.accounts.models import Membership
from portal.accounts.roles import Role
from portal.cases import photos, service
from portal.cases.categories import Category
from portal.cases.models import Case
from portal.cases.workflow import State
from portal.consultation import service as consultations
from portal.consultation.models import AgendaItem, Invitation, Mode
from portal.extensions import db
from portal.feedback.models import Feedback, Source
from portal.notifications.models import Notification
from portal.organisation.models import PartyKind
from tests import factories
from tests.conftest import sign_in
from tests.conftest import texts as raw_texts
from tests.factories import shanghai
from tests.web.test_case_flow import file_case, jpeg
from tests.web.test_demo import run_demo

REPORTER_PHONE = "13912345678"
INTERNAL = "业主家里有老人独居，钥匙在隔壁"


def texts(response) -> str:
    return html.unescape(raw_texts(response))


def client_of(app, person=None):
    client = app.test_client()
    if person is not None:
        assert sign_in(client, person).status_code == 302
    return client


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def ymn(world):
    """A case on a consultation's agenda, one that is not, and the representatives: one invited
    to the consultation, one who joined after it was convened."""
    people = factories.cast(
        world,
        "secretary manager staff rep reporter",
        rep={"part": "representative", "name": "钱代表"},
        reporter={"name": "张秀英", "phone": REPORTER_PHONE, "building_code": "1"},
        locale="en",
    )

    def new(description, **kwargs):
        return factories.case(
            world,
            State.ACCEPTED,
            by=people.reporter,
            secretary=people.secretary,
            building="1",
            description=description,
            lead_party=PartyKind.BRANCH,
            **kwargs,
        )

    people.agenda = new(
        f"停车位不够，请打我电话 {REPORTER_PHONE}，张秀英",
        category=Category.PARKING,
        needs_consultation=True,
    )
    people.other = new("楼道灯坏了", category=Category.REPAIR)
    for case in (people.agenda, people.other):
        service.post_update(
            case,
            people.secretary,
            body=INTERNAL,
            public=False,
            processed_photos=[photos.process(jpeg(), "internal.jpg")],
        )
        service.post_update(
            case,
            people.secretary,
            body="已安排人员查看",
            public=True,
            processed_photos=[photos.process(jpeg(), "public.jpg")],
        )
    people.internal_photo, people.public_photo = (
        sorted(people.agenda.photos, key=lambda p: p.id)[0].id,
        sorted(people.agenda.photos, key=lambda p: p.id)[1].id,
    )
    people.consultation = consultations.convene(
        world.ymn,
        people.secretary,
        title="北门停车",
        mode=Mode.IN_PERSON,
        case_list=[people.agenda],
        starts_at=shanghai(2026, 12, 20, 19, 30),
        place="党群服务站",
    )
    people.item = people.consultation.items[0]
    consultations.post_opinion(
        people.item, people.manager, party=PartyKind.PROPERTY, body="可以划出十个车位"
    )
    people.late_rep = factories.member(Role.REPRESENTATIVE, world.ymn, name="孙代表", locale="en")
    return people


def test_a_representative_reads_the_case_on_their_agenda_without_notes_or_the_reporter(app, ymn):
    page = texts(client_of(app, ymn.rep).get(f"/cases/{ymn.agenda.number}"))
    assert "停车位不够" in page and "已安排人员查看" in page  # the facts and public events
    assert "可以划出十个车位" in page and "北门停车" in page  # the consultation's opinions
    assert INTERNAL not in page and "Internal" not in page
    # The reporter masked: name and phone, in the contact and in their own words.
    assert REPORTER_PHONE not in page and "张秀英" not in page
    assert "139****5678" in page and "张**" in page
    assert "Show full number" not in page


def test_a_representative_sees_the_public_photos_of_an_agenda_case_not_the_internal_ones(app, ymn):
    rep = client_of(app, ymn.rep)
    page = rep.get(f"/cases/{ymn.agenda.number}").get_data(as_text=True)
    assert f"/photos/{ymn.public_photo}/thumb" in page
    assert f"/photos/{ymn.internal_photo}/thumb" not in page
    base = f"/cases/{ymn.agenda.number}/photos"
    with rep.get(f"{base}/{ymn.public_photo}") as response:
        assert response.status_code == 200
    with rep.get(f"{base}/{ymn.internal_photo}") as response:
        assert response.status_code == 404


def test_a_representative_gets_404_for_a_case_that_is_not_on_their_agenda(app, ymn):
    rep = client_of(app, ymn.rep)
    assert rep.get(f"/cases/{ymn.other.number}").status_code == 404
    assert rep.post(f"/cases/{ymn.other.number}/updates", data={"body": "x"}).status_code == 404
    # Nor one on the agenda of a consultation convened before they became a representative.
    late = client_of(app, ymn.late_rep)
    assert late.get(f"/cases/{ymn.agenda.number}").status_code == 404


def test_a_representative_has_no_queue_but_their_consultations_and_the_noticeboard(app, ymn):
    rep = client_of(app, ymn.rep)
    assert rep.get("/c/ymn/cases").status_code == 404
    desk = rep.get("/desk/representative").get_data(as_text=True)
    assert "/c/ymn/cases" not in desk and "/c/ymn/consultations" in desk
    assert "北门停车" in texts(rep.get("/c/ymn/consultations"))
    assert rep.get(f"/consultations/{ymn.consultation.id}").status_code == 200
    assert rep.get("/c/ymn/notices").status_code == 200
    late = client_of(app, ymn.late_rep)
    assert "北门停车" not in texts(late.get("/c/ymn/consultations"))
    assert late.get(f"/consultations/{ymn.consultation.id}").status_code == 404


def test_a_representative_works_a_case_assigned_to_them_as_any_assignee(app, world, ymn):
    service.assign(ymn.other, ymn.secretary, version=ymn.other.version, assignee=ymn.late_rep)
    client = client_of(app, ymn.late_rep)
    assert ymn.other.number in texts(client.get("/cases/mine"))
    response = client.post(
        f"/cases/{ymn.other.number}/updates", data={"body": "我去看过了", "visibility": "public"}
    )
    assert response.status_code == 302
    assert "我去看过了" in texts(client.get(f"/cases/{ymn.other.number}"))


def test_a_representative_on_the_agenda_may_not_act_on_the_case(app, ymn):
    rep = client_of(app, ymn.rep)
    response = rep.post(
        f"/cases/{ymn.agenda.number}/updates", data={"body": "内部", "visibility": "internal"}
    )
    assert response.status_code == 409
    assert rep.post(f"/cases/{ymn.agenda.number}/reveal-phone").status_code in (404, 409)


def test_no_representative_of_the_demo_sees_a_case_beyond_their_agenda_or_an_internal_note(app):
    run_demo(app, "--lang", "en")
    reps = [
        m.person
        for m in db.session.scalars(
            select(Membership).where(Membership.role == Role.REPRESENTATIVE)
        )
    ]
    assert reps
    # The demo's cases worked through the services (with a reporter's account, on an agenda or
    # assigned to a representative), and every tenth of the others: its year of bulk history,
    # written alike, would make this walk ten times longer.
    on_agendas = set(db.session.scalars(select(AgendaItem.case_id)))
    rep_ids = {rep.id for rep in reps}
    cases = [
        c
        for i, c in enumerate(db.session.scalars(select(Case).order_by(Case.id)))
        if c.reporter_id or c.id in on_agendas or c.assignee_id in rep_ids or i % 10 == 0
    ]
    seen_any = False
    for rep in reps:
        client = app.test_client()
        signed = client.post("/login", data={"phone": rep.phone, "password": "demo1234"})
        assert signed.status_code == 302
        invited = set(
            db.session.scalars(
                select(AgendaItem.case_id)
                .join(Invitation, Invitation.consultation_id == AgendaItem.consultation_id)
                .where(Invitation.person_id == rep.id)
            )
        )
        for case in cases:
            response = client.get(f"/cases/{case.number}")
            theirs = case.id in invited or case.assignee_id == rep.id
            assert response.status_code == (200 if theirs else 404), (rep.name, case.number)
            if response.status_code != 200 or case.assignee_id == rep.id:
                continue
            seen_any = True
            page = texts(response)
            for event in case.events:
                if not event.public and event.body and len(event.body) > 3:
                    assert event.body not in page, (rep.name, case.number, event.body)
            if case.contact_phone:
                assert case.contact_phone not in page, (rep.name, case.number)
    assert seen_any  # the demo puts cases on its representatives' agendas


# -- a merged case is not a dead end -----------------------------------------------------------


@pytest.fixture
def merged(world):
    people = factories.cast(
        world,
        "secretary staff first second",
        first={"part": "reporter", "name": "张秀英", "phone": REPORTER_PHONE},
        second={"part": "reporter", "name": "李建国", "phone": "13811112222"},
        locale="en",
    )
    people.target = factories.case(
        world,
        State.IN_PROGRESS,
        by=people.first,
        secretary=people.secretary,
        assignee=people.staff,
        category=Category.LIFT,
        description=f"3号电梯停了，联系 {REPORTER_PHONE}",
    )
    people.duplicate = factories.case(
        world, by=people.second, category=Category.LIFT, description="电梯又坏了"
    )
    service.merge(
        people.duplicate,
        people.secretary,
        version=people.duplicate.version,
        target_number=people.target.number,
    )
    return people


def a_visitor_files(world, description):
    """A lift case filed without an account: the case and its follow key."""
    return service.file_case(
        world.ymn,
        next(b for b in world.ymn.buildings if b.code == "2"),
        category=Category.LIFT,
        description=description,
        location="",
        urgent=False,
        contact_name="王阿姨",
        contact_phone="13700001111",
    )


def _told(person):
    return [
        (n.kind, n.link)
        for n in db.session.scalars(
            select(Notification)
            .where(Notification.person_id == person.id)
            .order_by(Notification.id)
        )
    ]


def test_a_merged_reporter_follows_the_case_it_was_merged_into(app, merged):
    client = client_of(app, merged.second)
    own = texts(client.get(f"/cases/{merged.duplicate.number}"))
    assert f"The same problem is handled in case {merged.target.number}" in own
    service.post_update(merged.target, merged.staff, body="维保公司明早到", public=True)
    service.post_update(merged.target, merged.staff, body=INTERNAL, public=False)
    page = texts(client.get(f"/cases/{merged.target.number}"))
    assert "You follow this case" in page and "维保公司明早到" in page
    assert INTERNAL not in page
    # The first reporter stays masked to the second.
    assert "张秀英" not in page and REPORTER_PHONE not in page and "139****5678" in page
    kinds = [kind for kind, _link in _told(merged.second)]
    assert "merge" in kinds and "progress" in kinds
    assert (
        "progress",
        f"/cases/{merged.target.number}",
    ) in _told(merged.second)


def test_a_merged_reporter_reads_only(app, merged):
    client = client_of(app, merged.second)
    number = merged.target.number
    assert client.post(f"/cases/{number}/info", data={"body": "还坏着"}).status_code == 409
    response = client.post(f"/cases/{number}/updates", data={"body": "x", "visibility": "public"})
    assert response.status_code == 409


def test_a_merged_reporter_gives_the_closure_feedback(app, merged):
    service.resolve(merged.target, merged.staff, version=merged.target.version, body="换了门机")
    client = client_of(app, merged.second)
    page = texts(client.get(f"/cases/{merged.target.number}"))
    assert "Is it solved? Tell us" in page
    response = client.post(
        f"/cases/{merged.target.number}/feedback",
        data={"solved": "yes", "satisfaction": "satisfied", "comment": "好了"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    target = db.session.get(Case, merged.target.id)
    assert target.state is State.CLOSED
    feedback = db.session.scalars(select(Feedback).where(Feedback.case_id == target.id)).one()
    assert (feedback.source, feedback.recorded_by_id) == (Source.RESIDENT, merged.second.id)
    event = target.events[-1]
    assert (event.actor_id, event.actor_role) == (merged.second.id, "co_reporter")


def test_a_visitors_follow_key_of_a_merged_case_opens_the_case_it_went_into(app, world, merged):
    visitor_case, key = a_visitor_files(world, "电梯不动")
    service.merge(
        visitor_case,
        merged.secretary,
        version=visitor_case.version,
        target_number=merged.target.number,
    )
    visitor = client_of(app)
    assert visitor.get(f"/cases/{merged.target.number}").status_code == 404
    own = texts(visitor.get(f"/cases/{visitor_case.number}?key={key}"))
    assert merged.target.number in own
    response = visitor.get(f"/cases/{merged.target.number}")  # the key, kept in the session
    page = texts(response)
    assert 'id="following"' in response.get_data(as_text=True) and REPORTER_PHONE not in page
    # The key given straight in the link works too, and no other key does.
    fresh = client_of(app)
    assert fresh.get(f"/cases/{merged.target.number}?key={key}").status_code == 200
    assert fresh.get(f"/cases/{merged.target.number}?key=nonsense").status_code == 404
    assert re.search(r"139\*{4}5678", page)


# -- what the review of the rule found -----------------------------------------------------------


def test_a_representative_reads_the_meeting_and_its_minutes_with_the_reporter_masked(app, ymn):
    rep = client_of(app, ymn.rep)
    for url in (
        f"/consultations/{ymn.consultation.id}",
        f"/consultations/{ymn.consultation.id}/minutes",
    ):
        page = texts(rep.get(url))
        assert "停车位不够" in page, url
        assert REPORTER_PHONE not in page and "张秀英" not in page, url
    # The secretary's copy is whole.
    assert REPORTER_PHONE in texts(
        client_of(app, ymn.secretary).get(f"/consultations/{ymn.consultation.id}")
    )


def test_a_representative_whose_role_was_revoked_no_longer_opens_the_meeting(app, ymn):
    membership = next(m for m in ymn.rep.memberships if m.role is Role.REPRESENTATIVE)
    accounts.revoke_role(membership, factories.member(Role.ADMIN))
    db.session.commit()
    rep = client_of(app, ymn.rep)
    assert rep.get(f"/consultations/{ymn.consultation.id}").status_code == 404
    assert rep.get(f"/cases/{ymn.agenda.number}").status_code == 404


def test_a_representative_on_a_case_in_consultation_is_offered_no_case_action(app, ymn):
    page = client_of(app, ymn.rep).get(f"/cases/{ymn.agenda.number}").get_data(as_text=True)
    assert 'id="actions-heading"' not in page


def test_a_representative_filing_for_a_neighbour_follows_the_case_as_its_reporter(app, world, ymn):
    rep = client_of(app, ymn.rep)
    response = file_case(
        rep,
        world,
        category="repair",
        description="隔壁王奶奶家门口的灯坏了",
        contact_name="王奶奶",
        contact_phone="13700002222",
    )
    assert response.status_code == 302
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case.description == "隔壁王奶奶家门口的灯坏了" and case.reporter_id == ymn.rep.id
    assert rep.get(response.headers["Location"]).status_code == 200
    assert rep.get(f"/cases/{case.number}").status_code == 200


def test_the_resolution_and_the_feedback_are_masked_for_another_resident(app, merged):
    service.resolve(
        merged.target,
        merged.staff,
        version=merged.target.version,
        body=f"已给张秀英换了门机，回访 {REPORTER_PHONE}",
    )
    page = texts(client_of(app, merged.second).get(f"/cases/{merged.target.number}"))
    assert "换了门机" in page and "张秀英" not in page and REPORTER_PHONE not in page
    own = texts(client_of(app, merged.first).get(f"/cases/{merged.target.number}"))
    assert "已给张秀英换了门机" in own  # the reporter reads their own case whole


def test_a_co_reporters_notification_masks_the_reporter(app, merged):
    service.post_update(
        merged.target, merged.staff, body=f"明天上门，已约张秀英 {REPORTER_PHONE}", public=True
    )
    told = db.session.scalars(
        select(Notification).where(
            Notification.person_id == merged.second.id, Notification.kind == "progress"
        )
    ).one()
    assert "张秀英" not in told.params["body"] and REPORTER_PHONE not in told.params["body"]
    first = db.session.scalars(
        select(Notification).where(
            Notification.person_id == merged.first.id, Notification.kind == "progress"
        )
    ).one()
    assert REPORTER_PHONE in first.params["body"]


def test_the_reporter_does_not_read_the_co_reporters_name(app, merged):
    service.resolve(merged.target, merged.staff, version=merged.target.version, body="换了门机")
    client_of(app, merged.second).post(
        f"/cases/{merged.target.number}/feedback",
        data={"solved": "no", "satisfaction": "dissatisfied", "comment": "还是坏的"},
    )
    page = texts(client_of(app, merged.first).get(f"/cases/{merged.target.number}"))
    assert "还是坏的" in page and "李建国" not in page
    assert "李建国" in texts(client_of(app, merged.secretary).get(f"/cases/{merged.target.number}"))


def test_a_visitor_who_reported_both_cases_stays_the_reporter_of_the_one_kept(app, world):
    people = factories.cast(world, "secretary")
    (kept, kept_key), (dup, dup_key) = (
        a_visitor_files(world, "电梯停了"),
        a_visitor_files(world, "电梯还是停着"),
    )
    service.merge(dup, people.secretary, version=dup.version, target_number=kept.number)
    visitor = client_of(app)
    assert visitor.get(f"/cases/{kept.number}?key={kept_key}").status_code == 200
    assert visitor.get(f"/cases/{dup.number}?key={dup_key}").status_code == 200
    page = visitor.get(f"/cases/{kept.number}").get_data(as_text=True)
    assert 'id="following"' not in page  # still its own reporter, not a follower
    assert f"/cases/{kept.number}/withdraw" in page
