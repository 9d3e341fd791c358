"""Deadlines as the design says (DESIGN.md section 3), through the doors people use: triage
sets the tier's deadline on the working calendar, the response (first contact) is tracked,
administrators import and correct the calendar on a page and on the command line, a year
without a calendar is counted in calendar days and said on the case page, and the sweep warns
the administrators once."""

import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal import clock
from portal.accounts.roles import Role
from portal.cases.categories import Category
from portal.cases.models import Case, CategoryRule
from portal.cases.workflow import State
from portal.cli import portal_cli
from portal.extensions import db
from portal.feedback.sweep import sweep
from portal.notifications.models import Notification
from portal.organisation.models import PartyKind
from portal.workdays.models import CalendarDay, CalendarYear, YearSource
from tests import factories
from tests.conftest import sign_in, texts

local, end_of = factories.shanghai, factories.end_of_day


@pytest.fixture
def team(world):
    admin = factories.member(Role.ADMIN, None, name="管理员", phone="13900000099")
    people = factories.cast(world, "reporter secretary fitter")
    people.admin = admin
    return people


def stored(case) -> Case:
    db.session.expire_all()
    return db.session.get(Case, case.id)


def triage(client, case, at, **fields):
    """The secretary accepts the case on its page at `at`."""
    data = {
        "version": case.version,
        "category": case.category.value,
        "priority": "normal",
        "lead_party": "property",
        **fields,
    }
    with clock.fixed(at):
        return client.post(f"/cases/{case.number}/accept", data=data)


def filed(world, team, at, **kwargs) -> Case:
    return factories.case(world, by=team.reporter, at=at, **kwargs)


# -- the tiers at triage -------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields, due",
    [
        # Ordinary: 7 working days over the National Day week (8, 9, Sat 10, 12-15 October).
        ({}, end_of(2026, 10, 15)),
        # 较急: 3 working days.
        ({"priority": "high"}, end_of(2026, 10, 10)),
        # Urgent: 24 hours on the clock.
        ({"priority": "urgent"}, local(2026, 9, 30) + timedelta(hours=24)),
        # The three parties consult: 15 working days.
        ({"needs_consultation": "y"}, end_of(2026, 10, 27)),
        # Water, power, gas, heating: 24 hours on the clock.
        ({"category": "utilities"}, local(2026, 9, 30) + timedelta(hours=24)),
    ],
    ids=["ordinary", "high", "urgent", "complex", "utilities"],
)
def test_the_priority_and_kind_chosen_at_triage_set_the_deadline(client, world, team, fields, due):
    case = filed(world, team, local(2026, 9, 29))
    sign_in(client, team.secretary)
    response = triage(client, case, local(2026, 9, 30), **fields)
    assert response.status_code == 302, texts(response)
    assert stored(case).due_at == due
    assert not stored(case).due_on_calendar_days
    with clock.fixed(local(2026, 9, 30, 11)):
        page = texts(client.get(f"/cases/{case.number}"))
    assert "calendar days" not in page


def test_the_spring_festival_counts_its_saturdays_worked_in_exchange(client, world, team):
    case = filed(world, team, local(2026, 2, 12))
    sign_in(client, team.secretary)
    triage(client, case, local(2026, 2, 13))
    assert stored(case).due_at == end_of(2026, 3, 2)


def test_a_reopened_case_gets_a_new_deadline_on_the_calendar(client, world, team):
    case = factories.case(
        world,
        State.RESOLVED,
        by=team.reporter,
        secretary=team.secretary,
        assignee=team.fitter,
        at=local(2026, 9, 20),
    )
    sign_in(client, team.reporter)
    with clock.fixed(local(2026, 9, 30)):
        response = client.post(
            f"/cases/{case.number}/feedback",
            data={"solved": "no", "satisfaction": "dissatisfied", "comment": "还是不亮"},
        )
    assert response.status_code == 302, texts(response)
    assert stored(case).due_at == end_of(2026, 10, 15)


def test_a_community_that_gives_utilities_more_days_counts_working_days(world, team):
    for days, due in ((1, local(2026, 9, 30) + timedelta(hours=24)), (3, end_of(2026, 10, 10))):
        db.session.query(CategoryRule).delete()
        db.session.add(
            CategoryRule(
                community_id=world.community.id,
                category=Category.UTILITIES,
                lead_party=PartyKind.PROPERTY,
                resolution_days=days,
            )
        )
        db.session.commit()
        case = factories.case(
            world,
            State.ACCEPTED,
            by=team.reporter,
            secretary=team.secretary,
            category=Category.UTILITIES,
            at=local(2026, 9, 30),
        )
        assert stored(case).due_at == due


# -- a year without a calendar -------------------------------------------------------------


def test_a_year_without_a_calendar_counts_calendar_days_and_the_case_page_says_so(
    client, world, team
):
    # 2098-12-30 is a Tuesday; nothing is known of 2098 or 2099: 7 calendar days, weekend too.
    case = filed(world, team, local(2098, 12, 29))
    with clock.fixed(local(2098, 12, 30)):  # a session signed in today would have expired
        sign_in(client, team.secretary)
    triage(client, case, local(2098, 12, 30))
    assert stored(case).due_at == end_of(2099, 1, 6)
    assert stored(case).due_on_calendar_days
    for person in (team.secretary, team.reporter):
        with clock.fixed(local(2098, 12, 30, 11)):
            sign_in(client, person)
            page = client.get(f"/cases/{case.number}")
        assert page.status_code == 200
        assert "按自然日计算" in texts(page)
        assert 'id="calendar-days"' in page.get_data(as_text=True)


def test_the_sweep_tells_the_administrators_once_that_next_year_is_missing(world, team):
    # 2098-12-01: this year is unknown too; both are told, once.
    with clock.fixed(local(2098, 12, 1)):
        first = sweep()
    with clock.fixed(local(2098, 12, 2)):
        second = sweep()
    assert first["calendar_missing"] == 2 and second["calendar_missing"] == 0
    told = db.session.scalars(
        select(Notification).where(Notification.person_id == team.admin.id)
    ).all()
    assert sorted(n.params["year"] for n in told) == [2098, 2099]
    assert {n.kind for n in told} == {"calendar_missing"}


def test_no_warning_while_the_years_needed_are_known(world, team):
    # 2026-03-02: 2026 is known and 2027 is months away.
    with clock.fixed(local(2026, 3, 2)):
        assert sweep()["calendar_missing"] == 0


# -- the response ---------------------------------------------------------------------------


def test_the_response_is_due_a_day_after_filing_and_two_hours_when_urgent(client, world, team):
    normal = filed(world, team, local(2026, 10, 2))
    urgent = filed(world, team, local(2026, 10, 2), urgent=True)
    assert stored(normal).response_due_at == local(2026, 10, 3)
    assert stored(urgent).response_due_at == local(2026, 10, 2, 12)
    # Made urgent at triage: two hours from filing.
    sign_in(client, team.secretary)
    triage(client, normal, local(2026, 10, 2, 11), priority="urgent")
    assert stored(normal).response_due_at == local(2026, 10, 2, 12)
    assert stored(normal).responded_at is None


def test_a_public_update_is_the_first_contact_and_leaves_open_forms_valid(client, world, team):
    case = factories.case(
        world,
        State.IN_PROGRESS,
        by=team.reporter,
        secretary=team.secretary,
        assignee=team.fitter,
        at=local(2026, 10, 8, 9),
    )
    version = stored(case).version
    sign_in(client, team.fitter)
    with clock.fixed(local(2026, 10, 8, 15)):
        client.post(
            f"/cases/{case.number}/updates", data={"body": "明早来修", "visibility": "public"}
        )
    assert stored(case).responded_at == local(2026, 10, 8, 15)
    assert stored(case).version == version
    with clock.fixed(local(2026, 10, 9, 15)):
        client.post(
            f"/cases/{case.number}/updates", data={"body": "修好了", "visibility": "public"}
        )
        page = texts(client.get(f"/cases/{case.number}"))
    assert stored(case).responded_at == local(2026, 10, 8, 15)  # the first contact stays
    assert "首次联系居民" in page
    assert not stored(case).response_late


def test_a_note_counts_as_contact_only_after_the_phone_was_revealed(client, world, team):
    case = factories.case(
        world,
        State.IN_PROGRESS,
        by=team.reporter,
        secretary=team.secretary,
        assignee=team.fitter,
        at=local(2026, 10, 8, 9),
    )
    sign_in(client, team.fitter)
    with clock.fixed(local(2026, 10, 8, 10)):
        client.post(
            f"/cases/{case.number}/updates", data={"body": "看了现场", "visibility": "internal"}
        )
    assert stored(case).responded_at is None
    with clock.fixed(local(2026, 10, 9, 11)):
        client.post(f"/cases/{case.number}/reveal-phone")
        client.post(
            f"/cases/{case.number}/updates", data={"body": "电话约了周六", "visibility": "internal"}
        )
    # A day and an hour after filing: the contact came, late.
    assert stored(case).responded_at == local(2026, 10, 9, 11)
    assert stored(case).response_late
    with clock.fixed(local(2026, 10, 9, 12)):
        assert "超时" in texts(client.get(f"/cases/{case.number}"))


def test_a_case_filed_for_a_resident_on_the_phone_is_answered_at_once(world, team):
    case = factories.case(
        world,
        by=team.secretary,
        contact_name="王阿姨",
        contact_phone="13811112222",
        at=local(2026, 10, 8, 9),
    )
    assert stored(case).responded_at == local(2026, 10, 8, 9)


def test_staff_see_an_overdue_contact_and_the_resident_does_not(client, world, team):
    case = filed(world, team, local(2026, 10, 8, 9))
    sign_in(client, team.secretary)
    with clock.fixed(local(2026, 10, 9, 10)):
        staff_page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'id="response"' in staff_page
    sign_in(client, team.reporter)
    with clock.fixed(local(2026, 10, 9, 10)):
        resident_page = client.get(f"/cases/{case.number}").get_data(as_text=True)
    assert 'id="response"' not in resident_page


# -- administrators keep the calendar ------------------------------------------------------

GOOD_2099 = (
    "date,kind,name\n"
    "2099-10-01,holiday,国庆节\n"
    "2099-10-02,休,国庆节\n"
    "2099-10-05,holiday,国庆节\n"
    "2099-10-10,workday,\n"
).encode()


def test_an_imported_year_is_what_deadlines_count_on(client, world, team):
    sign_in(client, team.admin)
    page = client.get("/admin/calendar/")
    assert page.status_code == 200
    response = client.post(
        "/admin/calendar/import",
        data={"file": (io.BytesIO(GOOD_2099), "2099.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, texts(response)
    kept = db.session.get(CalendarYear, 2099)
    assert kept.source is YearSource.IMPORTED and kept.updated_by_id == team.admin.id
    # 2099-09-30 is a Wednesday: 10-01, 10-02 and 10-05 off, Sat 10-10 worked.
    # 10-06 (1), 07 (2), 08 (3), 09 (4), Sat 10 (5), 12 (6), 13 (7).
    case = filed(world, team, local(2099, 9, 29))
    with clock.fixed(local(2099, 9, 30)):
        sign_in(client, team.secretary)
    triage(client, case, local(2099, 9, 30))
    assert stored(case).due_at == end_of(2099, 10, 13)
    assert not stored(case).due_on_calendar_days
    sign_in(client, team.admin)
    year = texts(client.get("/admin/calendar/2099"))
    assert "国庆节" in year


@pytest.mark.parametrize("locale, words", [("zh_CN", "第 3 行"), ("en", "line 3")])
def test_a_bad_file_changes_nothing_and_says_which_lines(client, world, team, locale, words):
    team.admin.locale = locale
    db.session.commit()
    sign_in(client, team.admin)
    bad = (
        "date,kind,name\n2099-10-01,holiday,国庆节\n2099-13-01,holiday,\n"
        "2099-10-08,workday,\n2099-10-01,holiday,again\n"
    ).encode()
    response = client.post(
        "/admin/calendar/import",
        data={"file": (io.BytesIO(bad), "bad.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    page = texts(response)
    assert words in page
    assert db.session.get(CalendarYear, 2099) is None
    assert db.session.scalar(select(CalendarDay).limit(1)) is None


def test_the_command_line_imports_the_same_file(app, tmp_path, world):
    path = tmp_path / "2099.csv"
    path.write_bytes(GOOD_2099)
    result = app.test_cli_runner().invoke(
        portal_cli, ["calendar", "import", str(path), "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "Imported 3 holidays and 1 working days." in result.output
    assert db.session.get(CalendarYear, 2099).source is YearSource.IMPORTED
    path.write_bytes(b"date,kind\n2099-10-05,workday\n")  # a Monday
    result = app.test_cli_runner().invoke(
        portal_cli, ["calendar", "import", str(path), "--lang", "en"]
    )
    assert result.exit_code == 1
    assert "line 2" in result.output


def test_correcting_a_day_of_a_package_year_keeps_the_year_here(client, world, team):
    sign_in(client, team.admin)
    page = texts(client.get("/admin/calendar/2026"))
    assert "国庆节" in page or "National Day" in page
    # Say 2026-10-09 (a Friday) is a holiday too: the year is copied here, then changed.
    response = client.post(
        "/admin/calendar/2026", data={"day": "2026-10-09", "kind": "holiday", "name": "补假"}
    )
    assert response.status_code == 302, texts(response)
    assert db.session.get(CalendarYear, 2026).source is YearSource.EDITED
    assert db.session.get(CalendarDay, date(2026, 10, 10)).working  # the package's days came
    case = filed(world, team, local(2026, 9, 29))
    sign_in(client, team.secretary)
    triage(client, case, local(2026, 9, 30))
    assert stored(case).due_at == end_of(2026, 10, 16)  # one working day later than before
    sign_in(client, team.admin)
    client.post("/admin/calendar/2026/2026-10-09/remove")
    assert db.session.get(CalendarDay, date(2026, 10, 9)) is None


def test_a_day_worked_in_exchange_must_be_a_weekend_day(client, world, team):
    sign_in(client, team.admin)
    response = client.post(
        "/admin/calendar/2099", data={"day": "2099-10-08", "kind": "workday", "name": "补班"}
    )
    assert response.status_code == 422
    assert "补班" in response.get_data(as_text=True)  # what was typed is kept
    response = client.post(
        "/admin/calendar/2099", data={"day": "2098-10-08", "kind": "holiday", "name": ""}
    )
    assert response.status_code == 422
    assert db.session.get(CalendarYear, 2099) is None


def test_only_administrators_keep_the_calendar(client, world, team):
    for person in (team.secretary, team.reporter):
        sign_in(client, person)
        assert client.get("/admin/calendar/").status_code == 403
        assert client.post("/admin/calendar/2026", data={}).status_code == 403
    sign_in(client, team.admin)
    assert client.get("/admin/calendar/1900").status_code == 404
