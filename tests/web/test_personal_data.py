"""Personal data (PIPL): a resident's copy of what the portal holds about them, the deletion of
their account, cases kept for the record, and the sweep's retention period."""

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal import clock
from portal.accounts.models import Home, Person
from portal.accounts.roles import Role
from portal.cases import service as cases
from portal.cases.events import EventKind
from portal.cases.models import Case, Photo
from portal.cases.photos import process
from portal.cases.workflow import State
from portal.extensions import db
from portal.feedback.sweep import sweep
from portal.notifications.models import Notification, OutboxMessage
from portal.open311 import keys
from portal.personal_data.service import REMOVED
from portal.privacy import mask_phone
from tests import factories
from tests.conftest import sign_in, texts
from tests.web.test_case_flow import jpeg

T = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def team(world):
    people = factories.cast(
        world,
        "reporter neighbour secretary fitter grid overseer other_overseer street",
        locale="en",
    )
    people.admin = factories.member(Role.ADMIN, None, name="管理员", locale="en")
    return people


def reporters_case(world, team, description="二楼楼道灯坏了", **more):
    """The reporter's case, in progress with the fitter: a photo, a public update, an internal
    note and information the reporter added."""
    case = factories.case(
        world,
        State.IN_PROGRESS,
        by=team.reporter,
        secretary=team.secretary,
        assignee=team.fitter,
        description=description,
        processed_photos=[process(jpeg(), "light.jpg")],
        **more,
    )
    cases.post_update(case, team.fitter, body="明天上午来修", public=True)
    cases.post_update(case, team.secretary, body="内部备注：先查线路", public=False)
    cases.add_info(case, team.reporter, body="晚上更暗了")
    return case


def stored(case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def delete_account(client, password=factories.PASSWORD, **extra):
    return client.post("/me/delete", data={"password": password, "understood": "y", **extra})


# -- the copy --------------------------------------------------------------------------------


def test_a_residents_copy_holds_every_case_event_and_message_of_theirs_and_nothing_else(
    client, world, team, login
):
    mine = reporters_case(world, team)
    neighbours = factories.case(world, by=team.neighbour, description="三楼水管漏水")
    login(team.reporter)

    assert "Download my data" in texts(client.get("/me/data"))
    answer = client.get("/me/data.json")
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert answer.headers["Cache-Control"] == "no-store"
    raw, copy = answer.get_data(as_text=True), json.loads(answer.get_data(as_text=True))

    assert copy["person"]["name"] == "王阿姨" and copy["person"]["phone"] == team.reporter.phone
    assert [h["room"] for h in copy["homes"]] == ["1-101"]
    assert copy["sign_ins"] and "token" not in " ".join(copy["sign_ins"][0])
    assert [c["number"] for c in copy["cases"]] == [mine.number]
    (case,) = copy["cases"]
    assert case["description"] == "二楼楼道灯坏了" and case["contact_phone"] == team.reporter.phone
    public = [e for e in stored(mine).events if e.public]
    assert [e["kind"] for e in case["events"]] == [e.action.value for e in public]
    assert {"明天上午来修", "晚上更暗了"} <= {e["text"] for e in case["events"]}
    assert len(case["photos"]) == 1
    inbox = db.session.scalars(
        select(Notification).where(Notification.person_id == team.reporter.id)
    )
    assert len(copy["notifications"]) == len(list(inbox)) > 0
    assert all(mine.number in n["text"] for n in copy["notifications"])
    # Nothing of anyone else's: no internal note, no other resident's case, name or number.
    for theirs in ("内部备注", neighbours.number, "三楼水管漏水", "赵大妈", team.neighbour.phone):
        assert theirs not in raw
    assert team.secretary.phone not in raw and team.fitter.phone not in raw

    spreadsheet = client.get("/me/data.csv")
    assert spreadsheet.mimetype == "text/csv"
    assert spreadsheet.headers["Cache-Control"] == "no-store"
    rows = dict(csv.reader(io.StringIO(spreadsheet.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows["cases.1.description"] == "二楼楼道灯坏了"
    assert "晚上更暗了" in rows.values() and "三楼水管漏水" not in rows.values()
    assert not any("内部备注" in value for value in rows.values())


def test_the_copy_is_for_the_signed_in_only(client, world):
    assert client.get("/me/data.json").status_code == 302


# -- deleting an account -----------------------------------------------------------------------


def test_deletion_needs_the_password_and_the_tick(client, world, team, login):
    login(team.reporter)
    assert delete_account(client, password="wrong-password").status_code == 422
    assert client.post("/me/delete", data={"password": factories.PASSWORD}).status_code == 422
    db.session.expire_all()
    assert team.reporter.active and team.reporter.name == "王阿姨"
    assert client.get("/my").status_code == 200  # still signed in


def test_anyone_holding_a_role_is_sent_to_an_administrator(client, world, team, login):
    login(team.secretary)
    page = client.get("/me/delete")
    assert "administrator" in texts(page) and 'name="password"' not in page.get_data(as_text=True)
    assert delete_account(client).status_code == 403
    db.session.expire_all()
    assert team.secretary.active and team.secretary.name == "李书记"


def walk(app, person, addresses) -> str:
    browser = app.test_client()
    sign_in(browser, person)
    seen = []
    for address in addresses:
        answer = browser.get(address)
        assert answer.status_code in (200, 302), (address, answer.status_code)
        seen.append(answer.get_data(as_text=True))
    return "\n".join(seen)


def test_after_deletion_no_page_or_export_shows_their_name_or_phone(
    app, client, world, team, login
):
    name, phone = team.reporter.name, team.reporter.phone
    mine = reporters_case(world, team, description=f"二楼楼道灯坏了，请打{phone}")
    # Filed for them by the grid worker, with their number as the contact.
    for_them = factories.case(
        world, by=team.grid, description="门禁坏了", contact_name=name, contact_phone=phone
    )
    key = keys.issue("12345热线", world.ymn, may_read=True, may_file=False)[1]
    case_pages = [f"/cases/{mine.number}", f"/cases/{for_them.number}"]
    before = walk(app, team.secretary, case_pages)
    assert name in before and mask_phone(phone) in before and "晚上更暗了" in before
    other_device = app.test_client()
    sign_in(other_device, team.reporter)
    login(team.reporter)

    done = delete_account(client)
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert "Your account is deleted" in texts(client.get("/"))
    for browser in (client, other_device):  # the old sessions open nothing any more
        assert browser.get("/my").headers["Location"].startswith("/login")
    old_password = {"phone": phone, "password": factories.PASSWORD}
    assert app.test_client().post("/login", data=old_password).status_code != 302

    person = db.session.get(Person, team.reporter.id)
    assert (person.name, person.phone, person.email, person.active) == (
        REMOVED,
        f"deleted-{person.id}",
        None,
        False,
    )
    assert not db.session.scalars(select(Home).where(Home.person_id == person.id)).all()
    assert not db.session.scalars(
        select(Notification).where(Notification.person_id == person.id)
    ).all()
    assert stored(mine).description == REMOVED and stored(for_them).description == REMOVED
    assert not db.session.scalars(select(Photo).where(Photo.case_id == mine.id)).all()
    assert not list(Path(app.config["UPLOAD_FOLDER"]).rglob("*.jpg"))
    assert stored(mine).events[-1].action is EventKind.ANONYMISE

    admin = app.test_client()
    sign_in(admin, team.admin)
    found = admin.get("/admin/", query_string={"phone": phone})  # the page repeats what was asked
    assert found.status_code == 200 and "Nobody is registered" in texts(found)
    seen = "\n".join(
        [
            walk(app, team.secretary, [*case_pages, "/c/ymn/cases?state=all", "/inbox"]),
            walk(app, team.overseer, [*case_pages, "/c/ymn/cases?state=all"]),
            walk(
                app,
                team.admin,
                ["/admin/compounds/ymn", f"/admin/people/{person.id}"],
            ),
            client.get("/open311/v2/requests.json", query_string={"api_key": key}).get_data(
                as_text=True
            ),
        ]
    )
    assert mine.number in seen and "明天上午来修" in seen  # the pages were drawn
    assert "Former resident" in seen and "Removed to protect the reporter" in seen
    for trace in (name, phone, mask_phone(phone), "晚上更暗了"):
        assert trace not in seen, trace

    # The case goes on; the deleted account is told nothing of it, on no channel.
    app.config["WEBHOOK_URL"] = "http://127.0.0.1:9/unused"
    cases.post_update(stored(mine), team.fitter, body="修好了", public=True)
    assert not db.session.scalars(
        select(Notification).where(Notification.person_id == person.id)
    ).all()
    assert not db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.address == person.phone)
    ).all()


def test_a_case_kept_for_the_record_keeps_its_text_but_loses_name_and_phone(
    app, client, world, team, login
):
    phone = team.reporter.phone
    kept = reporters_case(world, team, description=f"二楼楼道灯坏了，请打{phone}找王阿姨")
    login(team.overseer)
    marked = client.post(f"/cases/{kept.number}/retention", data={"reason": "典型案例"})
    assert marked.status_code == 302
    assert stored(kept).retained and stored(kept).events[-1].action is EventKind.RETAIN
    client.post("/logout")
    login(team.reporter)
    assert kept.number in texts(client.get("/me/delete"))  # they are told before they delete

    assert delete_account(client).status_code == 302
    case = stored(kept)
    assert case.description == f"二楼楼道灯坏了，请打{REMOVED}找{REMOVED}"
    assert "晚上更暗了" in [e.body for e in case.events] and len(case.photos) == 1
    assert (case.contact_name, case.contact_phone) == (REMOVED, "")
    page = walk(app, team.secretary, [f"/cases/{kept.number}"])
    assert "二楼楼道灯坏了" in page and "晚上更暗了" in page
    for trace in ("王阿姨", phone, mask_phone(phone)):
        assert trace not in page


# -- kept for the record -----------------------------------------------------------------------


def test_only_the_cases_overseers_keep_it_for_the_record(app, client, world, team, login):
    case = reporters_case(world, team)
    for someone in (team.secretary, team.reporter, team.grid, team.other_overseer):
        browser = app.test_client()
        sign_in(browser, someone)
        assert "Keep for the record" not in texts(browser.get(f"/cases/{case.number}"))
        refused = browser.post(f"/cases/{case.number}/retention", data={"reason": "留档"})
        assert refused.status_code == 404, someone.name
    assert not stored(case).retained

    login(team.street)
    assert "Keep for the record" in texts(client.get(f"/cases/{case.number}"))
    assert client.post(f"/cases/{case.number}/retention", data={"reason": ""}).status_code == 302
    assert not stored(case).retained  # a reason is needed
    client.post(f"/cases/{case.number}/retention", data={"reason": "留档"})
    assert stored(case).retained
    client.post(f"/cases/{case.number}/retention/end", data={"reason": ""})
    assert not stored(case).retained
    steps = [e for e in stored(case).events if e.action in (EventKind.RETAIN, EventKind.RELEASE)]
    assert [(e.action, e.body, e.public) for e in steps] == [
        (EventKind.RETAIN, "留档", False),
        (EventKind.RELEASE, None, False),
    ]


# -- the retention period ---------------------------------------------------------------------


def test_the_sweep_anonymises_old_finished_cases_only_when_the_setting_is_on(app, world, team):
    def closed(description, at=T):
        return factories.case(
            world,
            State.CLOSED,
            by=team.reporter,
            secretary=team.secretary,
            assignee=team.fitter,
            description=description,
            at=at,
        )

    old, kept = closed("旧的已办结"), closed("留档的")
    recent = closed("新近办结", at=T + timedelta(days=25))
    still_open = factories.case(world, by=team.reporter, description="还开着", at=T)
    kept.retained = True
    db.session.commit()
    later = T + timedelta(days=31)

    with clock.fixed(later):
        assert "anonymised" not in sweep()  # off by default
    assert stored(old).contact_phone == team.reporter.phone

    app.config["ANONYMISE_CLOSED_AFTER_DAYS"] = 30
    with clock.fixed(later):
        assert sweep()["anonymised"] == 1
        assert sweep()["anonymised"] == 0  # once
    gone = stored(old)
    assert (gone.contact_name, gone.contact_phone) == (REMOVED, "")
    assert gone.description == "旧的已办结" and gone.reporter_id == team.reporter.id
    assert gone.events[-1].action is EventKind.ANONYMISE and gone.anonymised_at == later
    for untouched in (kept, recent, still_open):
        assert stored(untouched).contact_phone == team.reporter.phone
    assert stored(kept).description == "留档的"

    with clock.fixed(later + timedelta(days=30)):  # the recent one's turn
        said = app.test_cli_runner().invoke(args=["portal", "sweep", "--lang", "en"])
    assert "Removed the reporter's details from 1 finished cases." in said.output
