"""Every action on a case through the web: what it changes, who is refused, what each one sees."""

import html
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal.accounts.models import Home, HomeState, Person
from portal.accounts.roles import Role
from portal.cases.categories import Category
from portal.cases.models import Case, CaseEvent, Priority
from portal.cases.workflow import State
from portal.extensions import db
from portal.organisation.models import PartyKind
from tests import factories
from tests.conftest import sign_in, sign_up_with_code
from tests.conftest import texts as raw_texts
from tests.web.test_case_flow import file_case

PHONE = "13712345678"


def texts(response) -> str:
    return html.unescape(raw_texts(response))


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def people(world):
    return factories.cast(
        world,
        "reporter secretary manager staff branch representative grid overseer",
        locale="en",
        reporter={"phone": PHONE},
        grid={"name": "郑网格员"},
        overseer={"name": "钱主任"},
    )


def building(world, code="2"):
    return next(b for b in world.ymn.buildings if b.code == code)


def new_case(world, people, state=State.FILED, compound=None) -> Case:
    """A case the reporter filed, brought to `state` through the service as the staff would
    (accepted, then assigned to the staff in a step of its own)."""
    return factories.case(
        compound or world,
        state,
        by=people.reporter,
        secretary=people.secretary,
        assignee=people.staff,
        assign_after_accept=True,
        category=Category.LIFT,
        description="电梯困人",
        location="2单元",
        reason="物业合同以外",
        resolution="更换了按钮面板",
    )


def client_of(app, person):
    client = app.test_client()
    assert sign_in(client, person).status_code == 302
    return client


def stored(case_id):
    """What the database holds about a case: state, version, assignee and number of events."""
    db.session.expire_all()
    case = db.session.get(Case, case_id)
    events = db.session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id))
    return SimpleNamespace(
        state=case.state,
        version=case.version,
        assignee_id=case.assignee_id,
        events=events,
        case=case,
    )


def actions_of(case_id):
    return [
        e.action
        for e in db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        )
    ]


def post(client, case, action, people, **changes):
    """Post one action's form with everything it needs, as its form on the page would."""
    version = stored(case.id).version
    url, data = {
        "accept": (
            "accept",
            {
                "version": version,
                "category": "lift",
                "priority": "normal",
                "lead_party": "property",
            },
        ),
        "reject": ("reject", {"version": version, "reason": "不属于物业范围"}),
        "merge": ("merge", {"version": version, "target": case.number}),
        "withdraw": ("withdraw", {"version": version}),
        "assign": ("assign", {"version": version, "assignee": people.branch.id}),
        "progress": ("updates", {"body": "师傅下午到", "visibility": "public"}),
        "note": ("updates", {"body": "配件缺货", "visibility": "internal"}),
        "resolve": ("resolve", {"version": version, "body": "修好了"}),
        "add_info": ("info", {"body": "晚上也坏"}),
        "escalate": ("escalate", {"reason": "物业三天不来"}),
    }[action]
    data.update(changes)
    return client.post(f"/cases/{case.number}/{url}", data=data, content_type="multipart/form-data")


EVERY_ACTION = {
    "accept",
    "reject",
    "merge",
    "withdraw",
    "assign",
    "progress",
    "note",
    "resolve",
    "add_info",
    "escalate",
}
STAFF = ("secretary", "manager", "staff", "branch", "representative", "grid", "overseer")
# Who may do what in each state: lead party property, assigned (from in_progress on) to `staff`.
# Anyone of the compound's parties and the grid worker may also leave a note while the case is
# open or resolved; the community's overseer only reads, as the case is not escalated.
MAY = {
    State.FILED: {
        "reporter": {"withdraw", "add_info"},
        "secretary": {"accept", "reject", "merge", "note", "escalate"},
    },
    State.ACCEPTED: {
        "reporter": {"add_info"},
        "secretary": {"assign", "progress", "note", "escalate"},
        "manager": {"assign", "progress", "note"},
    },
    State.IN_PROGRESS: {
        "reporter": {"add_info"},
        "secretary": {"assign", "progress", "note", "escalate"},
        "manager": {"assign", "progress", "note", "resolve"},
        "staff": {"progress", "note", "resolve"},
    },
    State.RESOLVED: {"reporter": set()},
    State.REJECTED: {"reporter": set(), **{who: set() for who in STAFF}},
}


@pytest.mark.parametrize("state", list(MAY), ids=str)
def test_everyone_is_refused_what_they_may_not_do_and_nothing_changes(app, world, people, state):
    case = new_case(world, people, state)
    before = stored(case.id)
    wrong = []
    for who in ("reporter", *STAFF):
        client = client_of(app, getattr(people, who))
        may = MAY[state].get(
            who, set() if who == "overseer" or state is State.REJECTED else {"note"}
        )
        for action in sorted(EVERY_ACTION - may):
            response = post(client, case, action, people)
            after = stored(case.id)
            # A representative does not see a case that is neither on the agenda of a
            # consultation they are invited to nor assigned to them: 404, not 409.
            refused = 404 if who == "representative" else 409
            if response.status_code != refused or (after.state, after.version, after.events) != (
                before.state,
                before.version,
                before.events,
            ):
                wrong.append((who, action, response.status_code, after.state.value))
    assert wrong == []


def test_a_refusal_says_why_and_shows_the_case_as_it_stands(app, world, people):
    case = new_case(world, people)
    response = post(client_of(app, people.branch), case, "accept", people)
    assert response.status_code == 409
    page = texts(response)
    assert "This action is not possible for you on this case in its present state." in page
    assert case.number in page and stored(case.id).state is State.FILED


def test_secretary_accepts_and_the_case_records_the_triage(app, world, people):
    case = new_case(world, people)
    response = post(
        client_of(app, people.secretary),
        case,
        "accept",
        people,
        category="repair",
        priority="high",
        lead_party="branch",
        responsibility="common_area",
    )
    assert response.status_code == 302
    after = stored(case.id).case
    assert after.state is State.ACCEPTED and after.assignee_id is None
    assert (after.category, after.priority, after.lead_party) == (
        Category.REPAIR,
        Priority.HIGH,
        PartyKind.BRANCH,
    )
    assert after.responsibility.value == "common_area" and after.accepted_at is not None
    assert after.due_at > after.accepted_at
    event = after.events[-1]
    assert (event.action, event.actor_id, event.actor_role, event.public) == (
        "accept",
        people.secretary.id,
        "secretary",
        True,
    )
    assert (event.from_state, event.to_state) == (State.FILED, State.ACCEPTED)


def test_secretary_accepting_with_an_assignee_puts_the_case_in_progress(app, world, people):
    case = new_case(world, people)
    response = post(
        client_of(app, people.secretary), case, "accept", people, assignee=people.staff.id
    )
    assert response.status_code == 302
    after = stored(case.id)
    assert after.state is State.IN_PROGRESS and after.assignee_id == people.staff.id
    assert actions_of(case.id) == ["file", "accept", "assign"]


def test_reject_needs_a_reason_and_the_resident_then_sees_it(app, world, people):
    case = new_case(world, people)
    secretary = client_of(app, people.secretary)
    before = stored(case.id)
    response = post(secretary, case, "reject", people, reason="   ")
    assert response.status_code == 422
    assert "Give the reason; the resident will see it." in texts(response)
    after = stored(case.id)
    assert (after.state, after.version, after.events) == (
        State.FILED,
        before.version,
        before.events,
    )

    assert post(secretary, case, "reject", people, reason="这是业主自家的水管").status_code == 302
    after = stored(case.id)
    assert after.state is State.REJECTED and after.case.due_at is None
    assert after.case.reject_reason == "这是业主自家的水管"
    assert "这是业主自家的水管" in texts(
        client_of(app, people.reporter).get(f"/cases/{case.number}")
    )


def test_secretary_merges_a_duplicate_into_an_earlier_case(app, world, people):
    earlier = new_case(world, people)
    duplicate = new_case(world, people)
    response = post(
        client_of(app, people.secretary), duplicate, "merge", people, target=f" {earlier.number} "
    )
    assert response.status_code == 302
    after = stored(duplicate.id).case
    assert after.state is State.MERGED and after.merged_into_id == earlier.id
    assert actions_of(earlier.id) == ["file", "merged_in"]
    assert stored(earlier.id).case.events[-1].public is False


@pytest.mark.parametrize("target", ["other compound", "itself", "nonexistent"])
def test_merge_into_another_compounds_case_itself_or_nothing_is_refused(app, world, people, target):
    factories.member(Role.SECRETARY, world.czy)
    case = new_case(world, people)
    elsewhere = new_case(world, people, compound=world.czy)
    number = {
        "other compound": elsewhere.number,
        "itself": case.number,
        "nonexistent": "ymn-20200101-0001",
    }[target]
    before = stored(case.id)
    response = post(client_of(app, people.secretary), case, "merge", people, target=number)
    assert response.status_code == 422
    after = stored(case.id)
    assert (after.state, after.version, after.events) == (
        State.FILED,
        before.version,
        before.events,
    )
    assert after.case.merged_into_id is None and actions_of(elsewhere.id) == ["file"]


def test_secretary_assigns_then_reassigns_and_the_timeline_keeps_both(app, world, people):
    case = new_case(world, people, State.ACCEPTED)
    secretary = client_of(app, people.secretary)
    assert post(secretary, case, "assign", people, assignee=people.staff.id).status_code == 302
    assert stored(case.id).state is State.IN_PROGRESS
    assert post(secretary, case, "assign", people, assignee=people.branch.id).status_code == 302
    after = stored(case.id)
    assert after.state is State.IN_PROGRESS and after.assignee_id == people.branch.id
    reassign = after.case.events[-1]
    assert reassign.action == "reassign"
    assert reassign.data == {
        "assignee_id": people.branch.id,
        "previous_id": people.staff.id,
        "party": "branch",
    }


def test_assigning_to_the_present_assignee_again_is_refused(app, world, people):
    case = new_case(world, people, State.IN_PROGRESS)
    before = stored(case.id)
    response = post(
        client_of(app, people.secretary), case, "assign", people, assignee=people.staff.id
    )
    assert response.status_code == 422
    assert stored(case.id).events == before.events


def test_property_manager_reassigns_inside_property_but_not_to_the_branch(app, world, people):
    case = new_case(world, people, State.IN_PROGRESS)
    fitter = factories.member(Role.PROPERTY_STAFF, world.ymn, name="钱师傅")
    manager = client_of(app, people.manager)
    assert post(manager, case, "assign", people, assignee=fitter.id).status_code == 302
    assert stored(case.id).assignee_id == fitter.id

    before = stored(case.id)
    response = post(manager, case, "assign", people, assignee=people.branch.id)
    assert response.status_code == 409
    assert "A party's head can assign only to members of their own party." in texts(response)
    after = stored(case.id)
    assert (after.assignee_id, after.version, after.events) == (
        fitter.id,
        before.version,
        before.events,
    )


def test_reporter_withdraws_before_acceptance_but_not_after(app, world, people):
    reporter = client_of(app, people.reporter)
    case = new_case(world, people)
    assert post(reporter, case, "withdraw", people).status_code == 302
    after = stored(case.id)
    assert after.state is State.WITHDRAWN and after.case.due_at is None
    assert after.case.events[-1].actor_id == people.reporter.id

    accepted = new_case(world, people, State.ACCEPTED)
    before = stored(accepted.id)
    assert post(reporter, accepted, "withdraw", people).status_code == 409
    after = stored(accepted.id)
    assert after.state is State.ACCEPTED and after.events == before.events


def test_assignee_posts_progress_and_resolves_the_case(app, world, people):
    case = new_case(world, people, State.IN_PROGRESS)
    assignee = client_of(app, people.staff)
    assert post(assignee, case, "progress", people, body="师傅已到场").status_code == 302
    assert post(assignee, case, "note", people, body="配件需调货").status_code == 302
    assert stored(case.id).state is State.IN_PROGRESS
    assert post(assignee, case, "resolve", people, body="更换了按钮面板").status_code == 302
    after = stored(case.id).case
    assert after.state is State.RESOLVED and after.resolution == "更换了按钮面板"
    assert after.resolved_at is not None and after.due_at is None
    assert [(e.action, e.public, e.body) for e in after.events[-3:]] == [
        ("progress", True, "师傅已到场"),
        ("note", False, "配件需调货"),
        ("resolve", True, "更换了按钮面板"),
    ]


def test_reporter_adds_information_to_an_open_case(app, world, people):
    case = new_case(world, people, State.ACCEPTED)
    assert (
        post(
            client_of(app, people.reporter), case, "add_info", people, body="晚上十点后也坏"
        ).status_code
        == 302
    )
    event = stored(case.id).case.events[-1]
    assert (event.action, event.actor_role, event.body, event.public) == (
        "add_info",
        "reporter",
        "晚上十点后也坏",
        True,
    )


def test_a_note_posted_meanwhile_does_not_make_the_secretarys_triage_form_stale(app, world, people):
    case = new_case(world, people)
    opened_version = stored(case.id).version
    assert post(client_of(app, people.manager), case, "note", people).status_code == 302
    response = post(
        client_of(app, people.secretary), case, "accept", people, version=opened_version
    )
    assert response.status_code == 302
    assert stored(case.id).state is State.ACCEPTED


def test_updates_added_information_and_reveals_leave_an_open_assignment_form_valid(
    app, world, people
):
    case = new_case(world, people, State.IN_PROGRESS)
    opened_version = stored(case.id).version
    assert post(client_of(app, people.staff), case, "progress", people).status_code == 302
    assert post(client_of(app, people.reporter), case, "add_info", people).status_code == 302
    secretary = client_of(app, people.secretary)
    assert secretary.post(f"/cases/{case.number}/reveal-phone").status_code == 200
    assert stored(case.id).version == opened_version
    response = post(
        secretary, case, "assign", people, version=opened_version, assignee=people.manager.id
    )
    assert response.status_code == 302 and stored(case.id).assignee_id == people.manager.id


# -- filing -----------------------------------------------------------------------------


def test_visitor_files_follows_by_private_link_and_finds_it_in_their_account(
    app, client, world, people, sent_now
):
    response = file_case(client, world, contact_name="张秀英", contact_phone="13800001111")
    assert response.status_code == 302
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case.reporter_id is None and case.filed_by_id is None and case.follow_key_hash
    receipt = client.get(response.headers["Location"]).get_data(as_text=True)
    link = re.search(r'href="(http://localhost/cases/' + case.number + r'\?key=([^"]+))"', receipt)
    assert link, "the receipt shows a private follow link"

    stranger = app.test_client()
    assert stranger.get(f"/cases/{case.number}").status_code == 404
    assert stranger.get(f"/cases/{case.number}?key=wrong").status_code == 404
    assert stranger.get(f"/cases/{case.number}?key={link.group(2)}").status_code == 200

    # Signing up with the same phone, proved by the code texted to it, claims the case.
    newcomer = app.test_client()
    data = {
        "name": "张秀英",
        "phone": "13800001111",
        "building": str(building(world).id),
        "room": "2-501",
        "password": "longenough1",
        "confirm": "longenough1",
        "privacy": "y",
    }
    assert sign_up_with_code(newcomer, sent_now, data).status_code == 302
    home = db.session.scalar(
        select(Home).join(Person, Home.person_id == Person.id).where(Person.phone == "13800001111")
    )
    assert home.state == HomeState.PENDING
    assert case.number in texts(newcomer.get("/my"))
    assert newcomer.get(f"/cases/{case.number}").status_code == 200
    assert stored(case.id).case.reporter_id == home.person_id


def test_grid_worker_files_on_a_residents_behalf(app, world, people):
    grid = client_of(app, people.grid)
    response = file_case(grid, world, contact_name="刘大爷", contact_phone="13900002222")
    assert response.status_code == 302
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case.on_behalf is True and case.filed_by_id == people.grid.id
    assert case.reporter_id is None
    assert (case.contact_name, case.contact_phone) == ("刘大爷", "13900002222")
    event = case.events[0]
    assert (event.action, event.actor_id, event.actor_role) == ("file", people.grid.id, "on_behalf")


def test_signed_in_resident_files_as_themself_whatever_the_form_says(app, world, people):
    reporter = client_of(app, people.reporter)
    response = file_case(reporter, world, contact_name="别人", contact_phone="13900003333")
    assert response.status_code == 302
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert case.reporter_id == people.reporter.id and case.on_behalf is False
    assert (case.contact_name, case.contact_phone) == ("王阿姨", PHONE)


# -- htmx -------------------------------------------------------------------------------


def test_htmx_action_aimed_at_the_case_answers_with_the_case_region_only(app, world, people):
    case = new_case(world, people)
    secretary = client_of(app, people.secretary)
    response = secretary.post(
        f"/cases/{case.number}/accept",
        headers={"HX-Request": "true", "HX-Target": "case"},
        data={
            "version": case.version,
            "category": "lift",
            "priority": "normal",
            "lead_party": "property",
        },
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="case"') and "<html" not in html
    assert f"Case {case.number} accepted." in html
    assert stored(case.id).state is State.ACCEPTED


def test_htmx_action_aimed_at_a_queue_row_answers_with_that_row(app, world, people):
    case = new_case(world, people)
    secretary = client_of(app, people.secretary)
    response = secretary.post(
        f"/cases/{case.number}/reject",
        headers={"HX-Request": "true", "HX-Target": f"row-{case.id}"},
        data={"version": case.version, "reason": "重复", "next": "/c/ymn/cases"},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<li class="row queue-row" id="row-{case.id}">')
    assert "<html" not in html and stored(case.id).state is State.REJECTED


def test_the_queue_draws_a_rows_triage_forms_only_when_they_are_opened(app, world, people):
    first, second = new_case(world, people), new_case(world, people)
    secretary = client_of(app, people.secretary)
    queue = secretary.get("/c/ymn/cases?category=lift").get_data(as_text=True)
    assert "action-accept" not in queue  # no row's forms drawn up front
    for case in (first, second):
        fetch = f'hx-get="/cases/{case.number}/triage?next=/c/ymn/cases?category%3Dlift"'
        assert fetch in queue and 'hx-trigger="toggle once"' in queue
        # Without JavaScript, the link draws the queue again with this row's forms open.
        link = f"/c/ymn/cases?category=lift&amp;triage={case.id}#row-{case.id}"
        assert link in queue

    # htmx, on opening the row: the three forms, with the row's ids and version, and the way
    # back to the queue as it was filtered.
    fragment = secretary.get(
        f"/cases/{first.number}/triage?next=/c/ymn/cases?category%3Dlift",
        headers={"HX-Request": "true", "HX-Target": f"triage-{first.id}"},
    )
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body and "<li" not in body
    for action in ("accept", "reject", "merge"):
        assert f'action="/cases/{first.number}/{action}"' in body
    assert f'id="assignee-{first.id}"' in body and f'value="{first.version}"' in body
    assert 'name="next" value="/c/ymn/cases?category=lift"' in body

    # No JavaScript: the queue with the first row's forms open, the second's still a link.
    shown = secretary.get(f"/c/ymn/cases?category=lift&triage={first.id}").get_data(as_text=True)
    assert f'action="/cases/{first.number}/accept"' in shown
    assert f'action="/cases/{second.number}/accept"' not in shown
    assert re.search(
        rf'<details class="triage" open>\s*<summary>Triage</summary>\s*<div id="triage-{first.id}"',
        shown,
    )
    # The fragment's address asked for without htmx is that same queue.
    plain = secretary.get(f"/cases/{first.number}/triage")
    assert plain.status_code == 302
    assert plain.headers["Location"] == f"/c/ymn/cases?triage={first.id}"

    # Triaged by someone else meanwhile: said so, with the ways on.
    factories.accept(first, people.secretary)
    late = secretary.get(
        f"/cases/{first.number}/triage", headers={"HX-Request": "true", "HX-Target": "x"}
    )
    assert "is no longer waiting for triage" in texts(late) and "action-accept" not in late.text
    # Whoever does not triage the compound's cases gets nothing.
    staff = client_of(app, people.staff)
    assert staff.get(f"/cases/{second.number}/triage").status_code == 404
    assert (
        staff.get(
            f"/cases/{second.number}/triage", headers={"HX-Request": "true", "HX-Target": "x"}
        ).status_code
        == 404
    )


def test_htmx_refusal_aimed_at_the_case_comes_back_as_the_case_region_with_409(app, world, people):
    case = new_case(world, people)
    response = client_of(app, people.staff).post(
        f"/cases/{case.number}/accept",
        headers={"HX-Request": "true", "HX-Target": "case"},
        data={
            "version": case.version,
            "category": "lift",
            "priority": "normal",
            "lead_party": "property",
        },
    )
    assert response.status_code == 409
    assert response.get_data(as_text=True).lstrip().startswith('<div id="case"')


# -- timeline and phone -------------------------------------------------------------------


def test_resident_sees_the_public_timeline_and_staff_see_everything(app, world, people):
    case = new_case(world, people, State.IN_PROGRESS)
    assignee = client_of(app, people.staff)
    post(assignee, case, "progress", people, body="PUBLIC-UPDATE")
    post(assignee, case, "note", people, body="INTERNAL-NOTE")
    secretary = client_of(app, people.secretary)
    assert secretary.post(f"/cases/{case.number}/reveal-phone").status_code == 200

    resident_page = texts(client_of(app, people.reporter).get(f"/cases/{case.number}"))
    assert "PUBLIC-UPDATE" in resident_page
    assert "INTERNAL-NOTE" not in resident_page
    assert "Viewed the reporter's full phone number." not in resident_page
    assert "Internal" not in resident_page

    staff_page = texts(client_of(app, people.branch).get(f"/cases/{case.number}"))
    assert "PUBLIC-UPDATE" in staff_page and "INTERNAL-NOTE" in staff_page
    assert "Viewed the reporter's full phone number." in staff_page


def test_property_staff_see_the_reporters_phone_masked_with_no_way_to_reveal_it(app, world, people):
    case = new_case(world, people)
    staff = client_of(app, people.staff)
    page = staff.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "137****5678" in page and PHONE not in page
    assert "reveal-phone" not in page
    response = staff.post(f"/cases/{case.number}/reveal-phone")
    assert response.status_code == 404 and PHONE not in response.get_data(as_text=True)
    assert "reveal_phone" not in actions_of(case.id)


def test_secretary_reveals_the_phone_and_the_reveal_is_on_the_record(app, world, people):
    case = new_case(world, people)
    secretary = client_of(app, people.secretary)
    page = secretary.get(f"/cases/{case.number}").get_data(as_text=True)
    assert "137****5678" in page and PHONE not in page
    assert f'action="/cases/{case.number}/reveal-phone"' in page
    response = secretary.post(f"/cases/{case.number}/reveal-phone")
    assert response.status_code == 200 and PHONE in response.get_data(as_text=True)
    event = stored(case.id).case.events[-1]
    assert (event.action, event.public, event.actor_id, event.actor_role) == (
        "reveal_phone",
        False,
        people.secretary.id,
        "secretary",
    )
    # Revealing is one look, not a lasting change: the next visit is masked again.
    assert PHONE not in secretary.get(f"/cases/{case.number}").get_data(as_text=True)


def test_htmx_reveal_answers_with_the_number_alone(app, world, people):
    case = new_case(world, people)
    response = client_of(app, people.overseer).post(
        f"/cases/{case.number}/reveal-phone",
        headers={"HX-Request": "true", "HX-Target": "reporter-phone"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert f'<span id="reporter-phone">{PHONE}</span>' in html
    assert stored(case.id).case.events[-1].actor_role == "overseer"


# -- a visitor who filed, by the follow key -----------------------------------------------------


def visitor_case(app, world):
    """A case filed by a visitor; the client keeps the follow key the receipt gave it."""
    client = app.test_client()
    response = file_case(client, world, contact_name="张秀英", contact_phone="13800001111")
    assert response.status_code == 302
    return client, db.session.scalars(select(Case).order_by(Case.id.desc())).first()


def test_visitor_withdraws_their_case_with_the_follow_key(app, world):
    client, case = visitor_case(app, world)
    response = client.post(f"/cases/{case.number}/withdraw", data={"version": case.version})
    assert response.status_code == 302
    after = stored(case.id)
    assert after.state is State.WITHDRAWN
    assert (after.case.events[-1].actor_id, after.case.events[-1].actor_role) == (None, "reporter")


def test_visitor_adds_information_with_the_follow_key(app, world):
    client, case = visitor_case(app, world)
    response = client.post(
        f"/cases/{case.number}/info",
        data={"body": "楼道灯也不亮"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    event = stored(case.id).case.events[-1]
    assert (event.action, event.actor_id, event.body) == ("add_info", None, "楼道灯也不亮")


def test_visitor_cannot_escalate_their_case_with_the_follow_key(app, world):
    client, case = visitor_case(app, world)
    response = client.post(f"/cases/{case.number}/escalate", data={"reason": "没人管"})
    assert response.status_code == 409
    after = stored(case.id)
    assert after.case.escalation_level == 0 and "escalate" not in actions_of(case.id)
