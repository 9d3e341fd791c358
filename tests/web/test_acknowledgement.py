"""报到 and the escalated list (issue "case work" points 7 and 10; DESIGN.md section 3: "it
escalates: to the community (level 1), then to the sub-district (level 2), whose overseers can
take it over"): an escalated case is acknowledged by an overseer at the level it reached within
a deadline on the working calendar, reminded and then passed up when nobody does; the community
passes a case to the sub-district by hand; overseers list their escalated cases with counts,
filters and pages."""

import html
import re
from datetime import timedelta

import pytest

from portal import clock
from portal.cases import service
from portal.cases.categories import Category
from portal.cases.models import Case
from portal.cases.workflow import State
from tests import factories
from tests.conftest import texts as raw_texts
from tests.factories import end_of_day, shanghai
from tests.web.test_oversight import client_of
from tests.web.test_sweep import events_of, stored, sweep_at, told

# Monday 2 March 2026, 10:00 in Shanghai; Friday 6 March for a deadline across a weekend.
MONDAY = shanghai(2026, 3, 2, 10, 0)
FRIDAY = shanghai(2026, 3, 6, 10, 0)


def texts(response) -> str:
    return html.unescape(raw_texts(response))


@pytest.fixture
def team(world):
    return factories.cast(
        world, "reporter secretary fitter overseer other_overseer street", locale="en"
    )


def escalated_case(world, team, at=MONDAY, **kwargs) -> Case:
    """A case in progress with the fitter, that the secretary escalates to the community at
    `at`."""
    case = factories.case(
        world,
        State.IN_PROGRESS,
        by=team.reporter,
        secretary=team.secretary,
        assignee=team.fitter,
        at=at - timedelta(hours=1),
        **kwargs,
    )
    with clock.fixed(at):
        service.escalate(stored(case), team.secretary, reason="物业一直没来，请社区协调")
    return stored(case)


# -- 报到 -----------------------------------------------------------------------------------------


def test_an_escalated_case_is_acknowledged_by_an_overseer_at_its_level(app, world, team):
    case = escalated_case(world, team)
    # One working day: by the end of Tuesday.
    assert case.acknowledge_due_at == end_of_day(2026, 3, 3)
    overseer = client_of(app, team.overseer)
    with clock.fixed(MONDAY + timedelta(hours=1)):
        page = texts(overseer.get(f"/cases/{case.number}"))
        assert "To be acknowledged by an overseer by" in page
        assert "Acknowledge: I take charge of this case" in page
        # The sub-district reads the case but it is not theirs to acknowledge yet.
        street_page = texts(client_of(app, team.street).get(f"/cases/{case.number}"))
        assert "Acknowledge: I take charge of this case" not in street_page
        refused = client_of(app, team.street).post(
            f"/cases/{case.number}/acknowledge", data={"version": case.version}
        )
        assert refused.status_code == 409

        response = overseer.post(
            f"/cases/{case.number}/acknowledge", data={"version": case.version}
        )
    assert response.status_code == 302
    after = stored(case)
    assert (after.acknowledged_by_id, after.acknowledged_at) == (
        team.overseer.id,
        MONDAY + timedelta(hours=1),
    )
    [event] = events_of(case, "acknowledge")
    assert (event.actor_id, event.actor_role, event.data["level"]) == (
        team.overseer.id,
        "overseer",
        1,
    )
    assert told(case, "acknowledge") == sorted([team.secretary.id, team.fitter.id])
    page = texts(overseer.get(f"/cases/{case.number}"))
    assert f"Acknowledged: {team.overseer.name} took charge" in page
    assert "Took charge of the case for the community (acknowledged)." in page
    assert "Acknowledge: I take charge of this case" not in page
    # Given once: a second acknowledgement is refused and changes nothing.
    again = overseer.post(f"/cases/{case.number}/acknowledge", data={"version": after.version})
    assert again.status_code == 409 and len(events_of(case, "acknowledge")) == 1
    # Another community's overseer does not even see the case.
    other = client_of(app, team.other_overseer)
    assert (
        other.post(f"/cases/{case.number}/acknowledge", data={"version": after.version}).status_code
        == 404
    )


def test_unacknowledged_it_is_reminded_then_passed_to_the_sub_district(app, world, team):
    case = escalated_case(world, team, at=FRIDAY)
    # Friday's deadline is the end of Monday: the weekend does not count.
    assert case.acknowledge_due_at == end_of_day(2026, 3, 9)
    assert sweep_at(end_of_day(2026, 3, 9) - timedelta(minutes=1))["acknowledge_reminded"] == 0

    counts = sweep_at(shanghai(2026, 3, 10, 8, 0))
    assert (counts["acknowledge_reminded"], counts["unacknowledged_escalated"]) == (1, 0)
    [reminder] = events_of(case, "remind_acknowledge")
    assert (reminder.actor_role, reminder.public, reminder.data["level"]) == ("system", False, 1)
    assert told(case, "remind_acknowledge") == [team.overseer.id]
    # As many working days again: to the end of Wednesday, reminded once.
    assert stored(case).acknowledge_due_at == end_of_day(2026, 3, 11)
    assert sweep_at(shanghai(2026, 3, 11, 20, 0))["acknowledge_reminded"] == 0

    counts = sweep_at(shanghai(2026, 3, 12, 8, 0))
    assert counts["unacknowledged_escalated"] == 1
    after = stored(case)
    assert after.escalation_level == 2 and after.acknowledged_at is None
    assert after.acknowledge_due_at == end_of_day(2026, 3, 13)
    passed = events_of(case, "escalate")[-1]
    assert passed.data["unacknowledged"] is True and passed.data["level"] == 2
    assert team.street.id in told(case, "escalate")
    page = texts(client_of(app, team.street).get(f"/cases/{case.number}"))
    assert "nobody at the community acknowledged the case" in page

    # At the sub-district it is reminded once, and nothing is above it.
    assert sweep_at(shanghai(2026, 3, 16, 8, 0))["acknowledge_reminded"] == 1
    assert told(case, "remind_acknowledge").count(team.street.id) == 1
    counts = sweep_at(shanghai(2026, 3, 30, 8, 0))
    assert (counts["acknowledge_reminded"], counts["unacknowledged_escalated"]) == (0, 0)
    assert stored(case).escalation_level == 2


def test_an_acknowledged_case_is_neither_reminded_nor_passed_up(app, world, team):
    case = escalated_case(world, team)
    with clock.fixed(MONDAY + timedelta(hours=2)):
        service.acknowledge(case, team.overseer, version=case.version)
    counts = sweep_at(shanghai(2026, 3, 6, 8, 0))
    assert (counts["acknowledge_reminded"], counts["unacknowledged_escalated"]) == (0, 0)
    assert events_of(case, "remind_acknowledge") == []


def test_a_take_over_is_an_acknowledgement(app, world, team):
    case = escalated_case(world, team)
    with clock.fixed(MONDAY + timedelta(hours=3)):
        service.take_over(case, team.overseer, version=case.version)
    after = stored(case)
    assert after.acknowledged_by_id == team.overseer.id
    assert sweep_at(shanghai(2026, 3, 6, 8, 0))["acknowledge_reminded"] == 0


def test_the_community_passes_a_case_to_the_sub_district_by_hand_with_a_reason(app, world, team):
    case = escalated_case(world, team)
    overseer = client_of(app, team.overseer)
    page = texts(overseer.get(f"/cases/{case.number}"))
    assert "Escalate to the sub-district" in page
    assert overseer.post(f"/cases/{case.number}/escalate", data={"reason": " "}).status_code == 422
    assert stored(case).escalation_level == 1
    with clock.fixed(MONDAY + timedelta(hours=4)):
        response = overseer.post(
            f"/cases/{case.number}/escalate", data={"reason": "涉及市政管网，社区协调不了"}
        )
    assert response.status_code == 302
    after = stored(case)
    assert after.escalation_level == 2 and after.escalated_at == MONDAY + timedelta(hours=4)
    passed = events_of(case, "escalate")[-1]
    assert (passed.actor_id, passed.actor_role, passed.body) == (
        team.overseer.id,
        "overseer",
        "涉及市政管网，社区协调不了",
    )
    assert team.street.id in told(case, "escalate")
    assert after.acknowledge_due_at == end_of_day(2026, 3, 3)
    # Nothing is above the sub-district: it is offered no whistle, and one sent is refused.
    street = client_of(app, team.street)
    assert "Escalate to the" not in texts(street.get(f"/cases/{case.number}"))
    refused = street.post(f"/cases/{case.number}/escalate", data={"reason": "再往上"})
    assert refused.status_code == 409 and stored(case).escalation_level == 2
    # Nor does the community pass on what it no longer holds.
    again = overseer.post(f"/cases/{case.number}/escalate", data={"reason": "再报一次"})
    assert again.status_code == 409


# -- the escalated list -------------------------------------------------------------------------


def listed(page_html) -> list[str]:
    return [
        line.split('href="/cases/', 1)[1].split('"', 1)[0]
        for line in page_html.split("\n")
        if 'class="case-number" href="/cases/' in line
    ]


def count_rows(page_html) -> dict[str, list[int]]:
    table = page_html.split('id="escalated-counts"', 1)[1].split("</table>", 1)[0]
    return {
        name: [int(n) for n in re.findall(r"<td>(\d+)</td>", cells)]
        for name, cells in re.findall(r'<th scope="row">([^<]+)</th>(.*?)</tr>', table)
    }


def test_the_list_counts_by_level_and_state_and_filters(app, world, team):
    lift = escalated_case(world, team, at=MONDAY, category=Category.LIFT)
    repair = escalated_case(world, team, at=MONDAY + timedelta(hours=1), category=Category.REPAIR)
    czy = factories.cast(
        world, "czy_secretary", czy_secretary={"part": "secretary", "compound": world.czy}
    )
    elsewhere = factories.case(
        world.czy,
        State.ACCEPTED,
        by=team.reporter,
        secretary=czy.czy_secretary,
        at=MONDAY - timedelta(hours=3),
    )
    with clock.fixed(MONDAY + timedelta(hours=2)):
        service.escalate(stored(elsewhere), czy.czy_secretary, reason="请社区协调")
        service.acknowledge(stored(repair), team.overseer, version=stored(repair).version)
    with clock.fixed(MONDAY + timedelta(hours=5)):
        service.escalate(stored(lift), team.overseer, reason="交给街道", level=2)

    overseer = client_of(app, team.overseer)
    with clock.fixed(MONDAY + timedelta(hours=6)):
        page = overseer.get("/oversight/escalated").get_data(as_text=True)
        # Oldest escalation first: the lift case went on to the sub-district last.
        assert listed(page) == [repair.number, lift.number]
        # filed, accepted, in progress, consulting, waiting; and not acknowledged.
        assert count_rows(page) == {
            "The community": [0, 0, 1, 0, 0, 0],
            "The sub-district": [0, 0, 1, 0, 0, 1],
        }
        filtered = {
            "compound=ymn": [repair.number, lift.number],
            "compound=czy": [],  # another community's: never in this overseer's list
            "category=lift": [lift.number],
            "category=repair": [repair.number],
            "level=2": [lift.number],
            "level=1": [repair.number],
            "acknowledged=yes": [repair.number],
            "acknowledged=no": [lift.number],
            "overdue=y": [],
        }
        for query, expected in filtered.items():
            got = listed(overseer.get(f"/oversight/escalated?{query}").get_data(as_text=True))
            assert got == expected, query
        # The filters together, and the region alone for htmx.
        fragment = overseer.get(
            "/oversight/escalated?compound=ymn&acknowledged=no",
            headers={"HX-Request": "true", "HX-Target": "escalated"},
        ).get_data(as_text=True)
        assert 'id="escalated"' in fragment
        assert "<html" not in fragment and listed(fragment) == [lift.number]
    # Overdue: past its deadline while its clock runs.
    with clock.fixed(stored(repair).due_at + timedelta(minutes=1)):
        got = listed(overseer.get("/oversight/escalated?overdue=y").get_data(as_text=True))
        assert repair.number in got

    # The sub-district sees only what reached it.
    street = client_of(app, team.street)
    assert listed(street.get("/oversight/escalated").get_data(as_text=True)) == [lift.number]
    # Another community's overseer sees their own community's case only.
    other = client_of(app, team.other_overseer)
    assert listed(other.get("/oversight/escalated").get_data(as_text=True)) == [elsewhere.number]


def test_the_list_has_no_fixed_limit_it_pages_oldest_first(app, world, team):
    made = []
    for n in range(53):
        case = factories.case(
            world, State.ACCEPTED, by=team.reporter, secretary=team.secretary, at=MONDAY
        )
        with clock.fixed(MONDAY + timedelta(minutes=n)):
            service.escalate(stored(case), team.secretary, reason=f"第{n}件")
        made.append(case.number)
    overseer = client_of(app, team.overseer)
    first = overseer.get("/oversight/escalated").get_data(as_text=True)
    assert "53 cases" in texts(overseer.get("/oversight/escalated"))
    assert listed(first) == made[:50]
    more = first.split('class="button secondary" href="', 1)[1].split('"', 1)[0]
    second = overseer.get(html.unescape(more))
    assert listed(second.get_data(as_text=True)) == made[50:]
    assert "More" not in texts(second)  # the last page
    # A cursor nobody was given starts from the first page.
    assert (
        listed(overseer.get("/oversight/escalated?after=bm9uc2Vuc2U=").get_data(as_text=True))
        == made[:50]
    )
