"""The number of SQL statements a consultation's pages cost does not grow with the number of
cases on its agenda: the meeting page, the minutes, the noticeboard and an agenda case's page."""

import re
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from portal.accounts.models import Person
from portal.accounts.roles import Role
from portal.cases.categories import Category
from portal.cases.workflow import State
from portal.clock import local_date, now
from portal.consultation import service
from portal.consultation.models import Decision, Mode, ResolutionState
from portal.extensions import db
from portal.organisation import queries as org
from portal.organisation.models import PartyKind
from tests import factories
from tests.conftest import sign_in

CATEGORIES = [Category.PARKING, Category.MAINTENANCE_FUND]


class Cast:
    """The people of the compound, by id: each measured request starts from an empty session,
    so objects are looked up again rather than kept."""

    def __init__(self, world):
        people = factories.cast(
            world,
            "secretary manager staff rep reporter neighbour",
            rep={"part": "representative", "name": "钱代表"},
            reporter={"room": "2-201"},
            neighbour={"room": "1-301", "name": "邻居老刘"},
        )
        self.ids = {part: someone.id for part, someone in vars(people).items()}
        ymn = world.ymn
        # A compound has a representative or two per building; each speaks on the cases of
        # their own building, so a longer agenda hears more of them.
        self.rep_ids = [self.ids["rep"]] + [
            factories.member(Role.REPRESENTATIVE, ymn, name=f"{i}号楼代表").id for i in range(1, 6)
        ]
        # Each building's leader (楼栋长) is a member of the branch, not invited by default.
        self.leader_ids = [
            factories.member(Role.BRANCH_MEMBER, ymn, name=f"{b.code}号楼楼栋长").id
            for b in ymn.buildings
        ]

    def __getattr__(self, name):
        return db.session.get(Person, self.ids[name])

    def representative(self, i):
        return db.session.get(Person, self.rep_ids[i % len(self.rep_ids)])

    @property
    def leaders(self):
        """The building leaders, in the order of the compound's buildings."""
        return [db.session.get(Person, i) for i in self.leader_ids]


@pytest.fixture
def cast(world):
    return Cast(world)


def hold_consultation(cast, n, title, leaders_speak=False) -> tuple[int, list[str]]:
    """An in-person meeting on n new cases, every one fully worked: the three parties attend
    and give an opinion on each case (the residents' side through the representatives, in turn),
    each case gets a resolution with two action items, and the three parties sign it.
    With leaders_speak, the branch's opinion on a case is given by the leader of its building.
    Returns the consultation's id and the agenda cases' numbers."""
    ymn = org.compound_by_code("ymn")
    agenda = []
    for i in range(n):
        case = factories.case(
            ymn,
            State.ACCEPTED,
            by=cast.reporter,
            secretary=cast.secretary,
            building=ymn.buildings[i % 3].code,
            category=CATEGORIES[i % 2],
            description=f"{title}：第 {i} 件事",
            location=f"{i}单元",
            lead_party=PartyKind.BRANCH,
            needs_consultation=True,
        )
        agenda.append(case)
    consultation = service.convene(
        ymn,
        cast.secretary,
        title=title,
        mode=Mode.IN_PERSON,
        case_list=agenda,
        starts_at=now() + timedelta(days=1),
        place="小区党群服务站",
    )
    for party, who in (
        (PartyKind.BRANCH, "李书记"),
        (PartyKind.PROPERTY, "赵经理"),
        (PartyKind.RESIDENTS, "钱代表、1号楼代表"),
    ):
        service.record_attendance(
            consultation, cast.secretary, party=party, present=True, attendees=who
        )
    due = local_date() + timedelta(days=14)
    for i, item in enumerate(consultation.items):
        voice = cast.leaders[i % 3] if leaders_speak else cast.secretary
        service.post_opinion(item, voice, party=PartyKind.BRANCH, body=f"支部意见 {i}")
        service.post_opinion(item, cast.manager, party=PartyKind.PROPERTY, body=f"物业意见 {i}")
        service.post_opinion(
            item, cast.representative(i), party=PartyKind.RESIDENTS, body=f"居民意见 {i}"
        )
        service.post_opinion(
            item, cast.representative(i + 1), party=PartyKind.RESIDENTS, body=f"居民补充意见 {i}"
        )
        resolution = service.draft_resolution(
            item,
            cast.secretary,
            text=f"决议 {i}：按三方意见办理",
            actions=[
                {
                    "party": PartyKind.PROPERTY,
                    "assignee": cast.staff,
                    "description": f"物业施工 {i}",
                    "due_on": due,
                },
                {
                    "party": PartyKind.RESIDENTS,
                    "assignee": cast.rep,
                    "description": f"征求住户意见 {i}",
                    "due_on": due,
                },
            ],
        )
        service.sign(resolution, cast.secretary, party=PartyKind.BRANCH, decision=Decision.SIGN)
        service.sign(resolution, cast.manager, party=PartyKind.PROPERTY, decision=Decision.SIGN)
        service.sign(
            resolution, cast.representative(i), party=PartyKind.RESIDENTS, decision=Decision.SIGN
        )
        assert resolution.state is ResolutionState.EFFECTIVE
    return consultation.id, [case.number for case in agenda]


@contextmanager
def counted():
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def statements_for(client, url, headers=None) -> list[str]:
    # A fresh session, as a real request would have: nothing the test built is cached.
    db.session.close()
    with counted() as statements:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200, url
    return statements


def signed_in(app, person):
    client = app.test_client()
    assert sign_in(client, person).status_code == 302
    return client


def measure(app, cast, consultation_id, case_number) -> dict[str, list[str]]:
    secretary, rep = signed_in(app, cast.secretary), signed_in(app, cast.rep)
    staff, neighbour = signed_in(app, cast.staff), signed_in(app, cast.neighbour)
    reporter = signed_in(app, cast.reporter)
    meeting = f"/consultations/{consultation_id}"
    region = {"HX-Request": "true", "HX-Target": "consultation"}
    views = {
        "meeting page, secretary": (secretary, meeting, None),
        "meeting region (htmx), secretary": (secretary, meeting, region),
        "meeting page, representative": (rep, meeting, None),
        "minutes": (secretary, f"{meeting}/minutes", None),
        "noticeboard, secretary": (secretary, "/c/ymn/notices", None),
        "noticeboard, resident": (neighbour, "/c/ymn/notices", None),
        "agenda case page, secretary": (secretary, f"/cases/{case_number}", None),
        "agenda case page, action-item assignee": (staff, f"/cases/{case_number}", None),
        "agenda case page, reporter": (reporter, f"/cases/{case_number}", None),
        "my cases, action-item assignee": (staff, "/cases/mine", None),
    }
    return {
        name: statements_for(client, url, headers) for name, (client, url, headers) in views.items()
    }


def shape(statement: str) -> str:
    """A statement without its layout and the length of its IN lists."""
    return re.sub(r" IN \([^()]*\)", " IN (…)", " ".join(statement.split()))


def explain(few: dict[str, list[str]], many: dict[str, list[str]]) -> str:
    """For each view whose count grew, the statements it ran more often with 12 agenda cases
    than with 2: the relationship loaded row by row."""
    lines = []
    for name in few:
        if len(few[name]) == len(many[name]):
            continue
        lines.append(
            f"{name}: {len(few[name])} statements with 2 agenda cases, "
            f"{len(many[name])} with 12; these ran more often:"
        )
        before, after = Counter(map(shape, few[name])), Counter(map(shape, many[name]))
        for statement, times in (after - before).items():
            lines.append(f"  +{times} × {statement[:300]}")
    return "\n".join(lines)


def counts(measured):
    return {name: len(statements) for name, statements in measured.items()}


def measure_both(app, cast, leaders_speak=False):
    """The views measured on a meeting with 2 agenda cases, then on one with 12; returns
    both measurements and the second meeting's id and agenda."""
    first_id, first_numbers = hold_consultation(cast, 2, "北门停车与外墙维修", leaders_speak)
    few = measure(app, cast, first_id, first_numbers[0])
    second_id, second_numbers = hold_consultation(cast, 12, "十二件事的协商会", leaders_speak)
    many = measure(app, cast, second_id, second_numbers[0])
    return few, many, second_id, second_numbers


@pytest.mark.parametrize(
    "leaders_speak", [False, True], ids=["invitees-speak", "building-leaders-speak"]
)
def test_consultation_pages_cost_the_same_with_2_agenda_cases_or_12(
    app, world, cast, leaders_speak
):
    """With leaders_speak, a building leader, a branch member who is not invited by default,
    speaks for the branch on the cases of their building: a longer agenda hears more people
    (2 leaders, then 3), whom the minutes must not load one by one."""
    few, many, second_id, second_numbers = measure_both(app, cast, leaders_speak)
    assert counts(many) == counts(few), explain(few, many)

    # What was measured is the full thing: every agenda case, opinion, action item, signature.
    page = signed_in(app, cast.rep).get(f"/consultations/{second_id}").get_data(as_text=True)
    assert all(number in page for number in second_numbers)
    assert "居民补充意见 11" in page and "征求住户意见 11" in page and page.count("已签字") == 36
    minutes = signed_in(app, cast.secretary).get(f"/consultations/{second_id}/minutes")
    minutes = minutes.get_data(as_text=True)
    assert "决议 11：按三方意见办理" in minutes
    assert ("（3号楼楼栋长，" in minutes) is leaders_speak
    board = signed_in(app, cast.neighbour).get("/c/ymn/notices").get_data(as_text=True)
    assert board.count("notice-resolution") == 14 and "王阿姨" not in board
    mine = signed_in(app, cast.staff).get("/cases/mine").get_data(as_text=True)
    assert "物业施工 0" in mine and "物业施工 11" in mine
