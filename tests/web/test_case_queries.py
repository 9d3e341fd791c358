"""The SQL statements a case page or list costs do not grow with the number of cases or events."""

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from portal.accounts.models import Person
from portal.accounts.roles import Role
from portal.cases import photos, service
from portal.cases.categories import Category
from portal.cases.models import Case
from portal.cases.workflow import State
from portal.extensions import db
from portal.organisation import queries as org
from tests import factories
from tests.conftest import sign_in
from tests.web.test_case_flow import jpeg

CATEGORIES = [Category.LIFT, Category.REPAIR, Category.NOISE, Category.PARKING]


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


class Cast:
    """The people of the compound, by id: each measured request starts from an empty session,
    so objects are looked up again rather than kept."""

    def __init__(self, world):
        people = factories.cast(world, "reporter secretary manager branch overseer")
        self.ids = {part: someone.id for part, someone in vars(people).items()}
        ymn = world.ymn
        self.fitter_ids = [
            factories.member(Role.PROPERTY_STAFF, ymn, name=f"师傅{i}").id for i in range(3)
        ]
        self.neighbour_ids = [
            factories.resident(ymn, building_code="1", room=f"1-{i}01").id for i in range(3)
        ]

    def __getattr__(self, name):
        return db.session.get(Person, self.ids[name])

    @property
    def fitters(self):
        return [db.session.get(Person, i) for i in self.fitter_ids]

    @property
    def neighbours(self):
        return [db.session.get(Person, i) for i in self.neighbour_ids]


@pytest.fixture
def cast(world):
    return Cast(world)


PHOTO = None


def a_photo():
    global PHOTO
    PHOTO = PHOTO or photos.process(jpeg(), "p.jpg")
    return PHOTO


def make_cases(cast, n, start=0):
    """n cases of several shapes: some new, some accepted, most assigned with updates and photos."""
    made = []
    ymn = org.compound_by_code("ymn")
    for i in range(start, start + n):
        reporter = cast.reporter if i % 2 == 0 else cast.neighbours[i % 3]
        state = {1: State.FILED, 2: State.ACCEPTED}.get(i % 6, State.IN_PROGRESS)
        fitter = cast.fitters[i % 3]
        case = factories.case(
            ymn,
            state,
            by=reporter,
            secretary=cast.secretary,
            assignee=fitter,
            assign_after_accept=True,
            building=ymn.buildings[i % 3].code,
            category=CATEGORIES[i % 4],
            description=f"问题 {i}",
            location=f"{i}单元",
            urgent=i % 5 == 0,
            processed_photos=[a_photo()],
        )
        if i % 7 == 3:  # overdue long enough to reach the community
            case = service.escalate_overdue(case, level=1)
        if state is State.IN_PROGRESS:
            service.post_update(
                case, fitter, body=f"进展 {i}", public=True, processed_photos=[a_photo()]
            )
            service.post_update(case, cast.manager, body=f"内部 {i}", public=False)
        made.append(case.number)
    return made


def add_events(case_number, cast, n):
    case = db.session.scalar(select(Case).where(Case.number == case_number))
    for i in range(n):
        who = cast.fitters[0] if i % 2 else cast.manager
        service.post_update(
            case,
            who,
            body=f"第 {i} 次进展",
            public=i % 3 != 0,
            processed_photos=[a_photo()] if i % 4 == 0 else [],
        )
        if i % 10 == 0:
            service.reveal_phone(case, cast.secretary)


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


def statements_for(client, url):
    # A fresh session, as a real request would have: nothing the test built is cached.
    db.session.close()
    with counted() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def signed_in(app, person):
    client = app.test_client()
    assert sign_in(client, person).status_code == 302
    return client


def filing_statements(client) -> int:
    """The statements of one filing POST by a signed-in resident."""
    ymn = org.compound_by_code("ymn")
    form = {
        "building": str(ymn.buildings[0].id),
        "category": Category.REPAIR.value,
        "description": "楼道灯坏了",
        "contact_name": "王阿姨",
        "contact_phone": "13700000000",
        "privacy": "y",
        # The open cases of the same problem were shown: this send files (cases.views.report).
        "seen_same": f"{ymn.buildings[0].id}:{Category.REPAIR.value}",
    }
    db.session.close()
    with counted() as statements:
        response = client.post("/c/ymn/report", data=form)
    assert response.status_code == 302
    return len(statements)


def test_every_page_the_benchmark_measures_costs_the_same_with_4_cases_or_34(app, world, cast):
    """The pages scripts/bench.py measures, each in the role that uses it."""
    numbers = make_cases(cast, 4)
    fitter = cast.fitters[0]
    views = {
        "queue": (signed_in(app, cast.secretary), "/c/ymn/cases"),
        "queue, all states": (signed_in(app, cast.secretary), "/c/ymn/cases?state=all"),
        "secretary's desk": (signed_in(app, cast.secretary), "/desk/secretary"),
        "my cases": (signed_in(app, fitter), "/cases/mine?show=all"),
        "my open cases": (signed_in(app, fitter), "/cases/mine"),
        "resident's page": (signed_in(app, cast.reporter), "/my"),
        "noticeboard": (signed_in(app, cast.reporter), "/c/ymn/notices"),
        "overseer's desk": (signed_in(app, cast.overseer), "/desk/community_overseer"),
        "escalated cases": (signed_in(app, cast.overseer), "/oversight/escalated"),
        "health": (app.test_client(), "/healthz"),
    }
    resident = signed_in(app, cast.neighbours[0])
    few = {name: statements_for(client, url) for name, (client, url) in views.items()}
    few["filing"] = filing_statements(resident)
    seen_few = signed_in(app, cast.secretary).get("/c/ymn/cases").get_data(as_text=True)
    assert all(n in seen_few for n in numbers)
    escalated_few = signed_in(app, cast.overseer).get("/oversight/escalated").get_data(True)
    assert numbers[3] in escalated_few and numbers[0] not in escalated_few

    later = make_cases(cast, 30, start=4)
    many = {name: statements_for(client, url) for name, (client, url) in views.items()}
    many["filing"] = filing_statements(resident)
    assert many == few
    # The longer list was drawn: the escalated list shows the cases the community now holds.
    escalated = signed_in(app, cast.overseer).get("/oversight/escalated").get_data(as_text=True)
    assert later[6] in escalated  # the eleventh case


def test_a_later_queue_page_costs_what_the_first_does(app, world, cast):
    make_cases(cast, 60)
    client = signed_in(app, cast.secretary)
    first = client.get("/c/ymn/cases?state=all").get_data(as_text=True)
    after = re.search(r'<a class="button secondary" href="([^"]*after=[^"]+)"', first)
    assert after, "sixty cases fill more than a page"
    later = after.group(1).replace("&amp;", "&")
    assert statements_for(client, later) == statements_for(client, "/c/ymn/cases?state=all")


def test_a_case_page_costs_the_same_with_a_few_events_or_forty(app, world, cast):
    [number, *_] = make_cases(cast, 3)
    pages = {
        "secretary": signed_in(app, cast.secretary),
        "resident": signed_in(app, cast.reporter),
        "assignee": signed_in(app, cast.fitters[0]),
    }
    few = {who: statements_for(client, f"/cases/{number}") for who, client in pages.items()}

    add_events(number, cast, 30)
    many = {who: statements_for(client, f"/cases/{number}") for who, client in pages.items()}
    assert many == few
    page = pages["secretary"].get(f"/cases/{number}").get_data(as_text=True)
    assert "第 29 次进展" in page and page.count("/thumb") >= 9
