"""Desks say what is waiting: each count on a desk is a link to a list of exactly that many
(DESIGN.md section 6; issue 8's desks), for the secretary, the property manager, the staff,
the grid worker and the overseers."""

import re
from datetime import timedelta
from html import unescape

import pytest

from portal import clock
from portal.accounts.models import HomeState
from portal.cases import service as cases
from portal.cases.models import State
from portal.consultation import service as consultations
from portal.consultation.models import Decision, Mode
from portal.extensions import db
from portal.organisation.models import PartyKind
from tests import factories
from tests.conftest import sign_in

TODAY = factories.shanghai(2026, 12, 3, 9)


@pytest.fixture
def busy(world):
    people = factories.cast(
        world, "reporter secretary manager fitter grid overseer street", locale="en"
    )
    ymn = world.ymn
    with clock.fixed(TODAY - timedelta(days=30)):
        # Filed a month ago and in progress: long overdue, escalated by the secretary.
        late = factories.case(
            ymn,
            State.IN_PROGRESS,
            by=people.reporter,
            secretary=people.secretary,
            assignee=people.fitter,
        )
        cases.escalate(late, people.secretary, reason="物业拖延")
        # Led by the property company, nobody assigned: overdue too.
        factories.case(ymn, State.ACCEPTED, by=people.reporter, secretary=people.secretary)
        # Led by the branch: the property side's counts leave it out.
        factories.case(
            ymn,
            State.ACCEPTED,
            by=people.reporter,
            secretary=people.secretary,
            lead_party=PartyKind.BRANCH,
        )
    with clock.fixed(TODAY - timedelta(days=9)):
        # Accepted on Tuesday 24 November: its seventh working day ends today.
        factories.case(
            ymn,
            State.IN_PROGRESS,
            by=people.reporter,
            secretary=people.secretary,
            assignee=people.fitter,
        )
    with clock.fixed(TODAY - timedelta(hours=3)):
        factories.case(ymn, by=people.reporter)  # new
        factories.case(ymn, by=people.reporter, building="1")  # new
        factories.case(
            ymn,
            State.RESOLVED,
            by=people.reporter,
            secretary=people.secretary,
            assignee=people.fitter,
        )
    factories.resident(ymn, state=HomeState.PENDING, name="待核实居民")
    return people


def counts_on(response) -> list[tuple[str, int, str]]:
    """(link, count, label) of each count on the desk."""
    html = response.get_data(as_text=True)
    found = []
    for block in re.findall(r'<ul class="counted">(.*?)</ul>', html, re.S):
        for href, count, label in re.findall(
            r'<a href="([^"]+)"><strong class="count[^"]*">(\d+)</strong>\s*(.*?)</a>', block, re.S
        ):
            found.append((unescape(href), int(count), label.strip()))
    return found


def length_of(client, address) -> int:
    """How many the list at the address holds, as it says and as it shows."""
    with clock.fixed(TODAY):
        html = client.get(address).get_data(as_text=True)
    if said := re.search(r'role="status">(\d+) case', html):
        number = int(said[1])
        assert html.count('class="case-number"') == min(number, 25), address
        return number
    if said := re.search(r'id="pending-count">(\d+)<', html):
        return int(said[1])
    return html.count('<li class="row">')


@pytest.mark.parametrize(
    "who, role, expected",
    [
        (
            "secretary",
            "secretary",
            {
                "New, awaiting triage": 2,
                "Overdue": 3,
                "Due today": 1,
                "Resolved, awaiting feedback": 1,
                "Consultations still open": 0,
            },
        ),
        (
            "manager",
            "property_manager",
            {
                "Open, led by the property company": 3,
                "Of those, nobody assigned": 1,
                "Of those, overdue": 2,
                "Of those, due today": 1,
            },
        ),
        ("fitter", "property_staff", {"My cases overdue": 1, "My open cases": 2}),
        ("grid", "grid_worker", {"Return visits to make (resolved)": 1}),
        ("overseer", "community_overseer", {"Escalated to you, still open": 1}),
    ],
)
def test_each_count_on_a_desk_links_to_a_list_of_that_many(client, busy, who, role, expected):
    sign_in(client, getattr(busy, who))
    with clock.fixed(TODAY):
        desk = client.get(f"/desk/{role}")
    assert desk.status_code == 200
    shown = counts_on(desk)
    assert {label: count for _href, count, label in shown if label in expected} == expected
    for href, count, label in shown:
        assert length_of(client, href) == count, (label, href)


def test_the_overseers_desk_ranks_compounds_by_overdue_and_says_this_months_rates(client, busy):
    sign_in(client, busy.street)
    with clock.fixed(TODAY):
        html = client.get("/desk/subdistrict_overseer").get_data(as_text=True)
    table = re.search(r'<table class="data" id="overdue-compounds">(.*?)</table>', html, re.S)[1]
    assert "Plum Garden" in table and "Bamboo Court" not in table
    link = re.search(r'<a href="([^"]+)">(\d+)</a>', table)
    assert int(link[2]) == 3 == length_of(client, unescape(link[1]))
    rates = re.sub(r"<[^>]+>", "", re.search(r'id="month-rates">(.*?)</p>', html, re.S)[1])
    assert "December 2026 so far" in rates and "Response rate" in rates


def test_a_representatives_desk_counts_the_agenda_items_waiting_for_their_word(client, world, busy):
    reps = factories.cast(
        world, "secretary manager representative", second={"part": "representative"}
    )
    agenda = [
        factories.case(world.ymn, State.ACCEPTED, secretary=reps.secretary, needs_consultation=True)
        for _ in range(2)
    ]
    with clock.fixed(TODAY):
        meeting = consultations.convene(
            world.ymn,
            reps.secretary,
            title="车位协商",
            mode=Mode.IN_PERSON,
            case_list=agenda,
            starts_at=TODAY + timedelta(days=1),
            place="会议室",
        )

    def waiting(person) -> int:
        client.post("/logout")
        sign_in(client, person)
        with clock.fixed(TODAY):
            desk = client.get("/desk/representative")
        (found,) = [
            (href, count)
            for href, count, label in counts_on(desk)
            if label == "Agenda items waiting for my opinion or signature"
        ]
        assert length_of(client, found[0]) == found[1]
        return found[1]

    reps.representative.locale = reps.second.locale = "en"
    db.session.commit()
    assert waiting(reps.representative) == 2  # both items want the residents' opinion
    first, second = meeting.items
    consultations.post_opinion(first, reps.second, party=PartyKind.RESIDENTS, body="同意")
    resolution = consultations.draft_resolution(second, reps.secretary, text="划线", actions=[])
    # The first has the residents' opinion (from the other representative); the second waits
    # for the residents' signature now, from either of them.
    assert waiting(reps.representative) == waiting(reps.second) == 1
    consultations.sign(
        resolution, reps.representative, party=PartyKind.RESIDENTS, decision=Decision.SIGN
    )
    assert waiting(reps.representative) == waiting(reps.second) == 0
