"""The queue, "my cases", the resident's page, QR posters and a community's routing rules."""

import html
import re
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from flask import g
from sqlalchemy import func, select

from portal.accounts.roles import Role
from portal.cases import queries, service
from portal.cases.categories import DEFAULT_RULES, Category
from portal.cases.models import Case, CategoryRule, Priority
from portal.cases.workflow import State
from portal.clock import LOCAL_ZONE, fixed
from portal.extensions import db
from portal.organisation.models import PartyKind
from tests import factories
from tests.conftest import sign_in, texts

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # a Monday, 9:00 in Shanghai


@pytest.fixture(autouse=True)
def uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def crew(world):
    return factories.cast(
        world,
        "reporter neighbour secretary fitter electrician overseer",
        reporter={"locale": "en"},
        neighbour={"name": "李大爷"},
        secretary={"locale": "en"},
        fitter={"locale": "en"},
        overseer={"name": "钱主任", "locale": "en"},
    )


def filed(world, by, category=Category.LIFT, building="2", urgent=False, what="电梯坏了") -> Case:
    return factories.case(
        world, by=by, category=category, building=building, urgent=urgent, description=what
    )


def accepted(case, crew, priority=Priority.NORMAL, assignee=None) -> Case:
    return factories.accept(case, crew.secretary, priority=priority, assignee=assignee)


def signed_in(app, person):
    client = app.test_client()
    assert sign_in(client, person).status_code == 302
    return client


def row_ids(response) -> list[int]:
    return [
        int(n)
        for n in re.findall(
            r'<li class="row queue-row" id="row-(\d+)">', response.get_data(as_text=True)
        )
    ]


def more_link(response):
    page = response.get_data(as_text=True)
    found = re.search(r'<a class="button secondary" href="([^"]+)"', page)
    return html.unescape(found.group(1)) if found else None


# -- the queue ------------------------------------------------------------------------------


def test_queue_puts_new_and_overdue_cases_first_then_the_rest_by_deadline(app, world, crew):
    with fixed(T0):
        calm = accepted(filed(world, crew.reporter, Category.GREENERY), crew)  # 7 working days
        # 较急: due in 3 working days, on Thursday.
        late = accepted(filed(world, crew.reporter, Category.REPAIR), crew, Priority.HIGH)
        done = accepted(filed(world, crew.reporter, Category.LIFT), crew, assignee=crew.fitter)
        service.resolve(done, crew.fitter, version=done.version, body="修好了")
    with fixed(T0 + timedelta(days=4)):
        new = filed(world, crew.reporter, Category.NOISE)  # triage due in 24 hours
    client = signed_in(app, crew.secretary)
    with fixed(T0 + timedelta(days=4, hours=1)):
        response = client.get("/c/ymn/cases")
        everything = client.get("/c/ymn/cases?state=all")
    assert row_ids(response) == [late.id, new.id, calm.id]
    assert row_ids(everything) == [late.id, new.id, calm.id, done.id]
    assert "Overdue since" in texts(response).split(new.number)[0]
    assert "3 cases" in texts(response)


@pytest.fixture
def assorted(world, crew):
    """Cases that differ in one thing each, at known times; the queue is read at NOW."""
    with fixed(T0):
        overdue = accepted(
            filed(world, crew.reporter, Category.NOISE, building="3"), crew, Priority.URGENT
        )  # due within a day
    with fixed(T0 + timedelta(days=2)):
        assigned = accepted(
            filed(world, crew.reporter, Category.REPAIR, building="2"), crew, assignee=crew.fitter
        )
        rejected = filed(world, crew.neighbour, Category.LIFT, building="2")
        service.reject(rejected, crew.secretary, version=rejected.version, reason="重复")
    with fixed(T0 + timedelta(days=2, hours=1)):
        urgent = filed(world, crew.neighbour, Category.LIFT, building="1", urgent=True)
    return SimpleNamespace(
        overdue=overdue.id,
        assigned=assigned.id,
        rejected=rejected.id,
        urgent=urgent.id,
        now=T0 + timedelta(days=2, hours=2),
    )


def test_each_filter_narrows_the_queue(app, world, crew, assorted):
    a = assorted
    building2 = next(b for b in world.ymn.buildings if b.code == "2").id
    expected = {
        "": {a.overdue, a.assigned, a.urgent},
        "?state=filed": {a.urgent},
        "?state=rejected": {a.rejected},
        "?state=all": {a.overdue, a.assigned, a.urgent, a.rejected},
        "?category=lift": {a.urgent},
        "?category=lift&state=all": {a.urgent, a.rejected},
        f"?building={building2}": {a.assigned},
        "?urgent=y": {a.urgent},
        f"?assignee={crew.fitter.id}": {a.assigned},
        "?assignee=none": {a.overdue, a.urgent},
        "?overdue=y": {a.overdue},
        "?overdue=y&category=repair": set(),
    }
    client = signed_in(app, crew.secretary)
    with fixed(a.now):
        found = {query: set(row_ids(client.get(f"/c/ymn/cases{query}"))) for query in expected}
    assert found == expected


def test_a_filtered_queue_is_a_bookmarkable_address(app, world, crew, assorted):
    url = "/c/ymn/cases?category=lift&state=all&assignee=none"
    with fixed(assorted.now):
        response = signed_in(app, crew.secretary).get(url)  # as if opened from a bookmark
    assert set(row_ids(response)) == {assorted.urgent, assorted.rejected}
    page = response.get_data(as_text=True)
    assert '<option selected value="lift">' in page and '<option selected value="all">' in page
    assert '<option selected value="none">' in page
    assert 'method="get"' in page


def test_htmx_filter_request_gets_only_the_list_region(app, world, crew, assorted):
    with fixed(assorted.now):
        response = signed_in(app, crew.secretary).get(
            "/c/ymn/cases?urgent=y", headers={"HX-Request": "true", "HX-Target": "queue"}
        )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.lstrip().startswith('<div id="queue">') and "<html" not in page
    assert 'role="search"' not in page and row_ids(response) == [assorted.urgent]


def test_thirty_cases_come_in_a_page_of_25_and_a_more_page_of_5(app, world, crew):
    with fixed(T0):
        new = [filed(world, crew.reporter, Category.LIFT).id for _ in range(20)]
        working = [
            accepted(filed(world, crew.reporter, Category.REPAIR), crew).id for _ in range(10)
        ]
    client = signed_in(app, crew.secretary)
    with fixed(T0 + timedelta(hours=1)):
        first = client.get("/c/ymn/cases?state=all&category=")
        following = more_link(first)
        assert following and "state=all" in following and "after=" in following
        second = client.get(following)
        htmx_second = client.get(following, headers={"HX-Request": "true", "HX-Target": "queue"})
    assert len(row_ids(first)) == 25 and len(row_ids(second)) == 5
    assert row_ids(first) + row_ids(second) == new + working  # queue order, none twice or missing
    assert more_link(second) is None
    assert row_ids(htmx_second) == row_ids(second)
    assert "30 cases" in texts(second)


def test_paging_through_finished_cases_with_no_deadline_misses_none(app, world, crew):
    with fixed(T0):
        waiting = [filed(world, crew.reporter).id for _ in range(2)]
        finished = []
        for _ in range(28):
            case = filed(world, crew.neighbour, Category.NOISE)
            finished.append(
                service.reject(case, crew.secretary, version=case.version, reason="重复").id
            )
    client = signed_in(app, crew.secretary)
    with fixed(T0 + timedelta(hours=1)):
        first = client.get("/c/ymn/cases?state=all")
        second = client.get(more_link(first))  # the cursor sits on a case with no deadline
    assert row_ids(first) + row_ids(second) == waiting + finished
    assert more_link(second) is None


def pages(client, address) -> list[list[str]]:
    """The case numbers on every page, in order, following "more" links to the end."""
    found: list[list[str]] = []
    while address:
        assert len(found) < 20, "the cursor does not move on"
        response = client.get(address)
        assert response.status_code == 200
        linked = re.findall(r'href="/cases/([a-z]+-\d{8}-\d{4})"', response.get_data(as_text=True))
        found.append(list(dict.fromkeys(linked)))
        address = more_link(response)
    return found


@pytest.mark.parametrize("address", ["/c/ymn/cases?state=all", "/cases/mine?show=all"])
def test_paging_through_every_state_and_deadline_gives_queue_order(app, world, crew, address):
    """Queue order across pages: awaiting triage and overdue first, then the other open cases,
    then those awaiting feedback, then the finished ones; by deadline (none last), then id."""
    walk = [State.FILED, State.ACCEPTED, State.IN_PROGRESS, State.RESOLVED, State.CLOSED]
    walk += [State.REJECTED, State.WITHDRAWN]
    for n in range(63):
        state = walk[n % len(walk)]
        factories.case(
            world,
            state,
            by=crew.reporter,
            secretary=crew.secretary,
            assignee=crew.fitter,
            category=[Category.REPAIR, Category.GREENERY, Category.NOISE][n % 3],
            urgent=n % 5 == 0,
            at=T0 + timedelta(hours=7 * n),
        )
    moment = T0 + timedelta(days=12)
    who = crew.secretary if address.startswith("/c/") else crew.fitter
    with fixed(moment):
        found = pages(signed_in(app, who), address)
        overdue = {c.id: c.is_overdue for c in db.session.scalars(select(Case))}
    everything = db.session.scalars(select(Case)).all()
    if who is crew.fitter:
        everything = [c for c in everything if c.assignee_id == crew.fitter.id]
    expected = sorted(
        everything,
        key=lambda c: (
            queries.bucket_of(c.state, overdue[c.id]),
            c.due_at is None,
            c.due_at or T0,
            c.id,
        ),
    )
    assert [len(p) for p in found][:-1] == [25] * (len(found) - 1)
    assert [n for p in found for n in p] == [c.number for c in expected]
    assert len({queries.bucket_of(c.state, overdue[c.id]) for c in expected}) >= 3


def test_a_tampered_page_cursor_starts_from_the_top(app, world, crew):
    with fixed(T0):
        cases = [filed(world, crew.reporter).id for _ in range(3)]
    with fixed(T0 + timedelta(hours=1)):
        response = signed_in(app, crew.secretary).get("/c/ymn/cases?after=not-a-cursor")
    assert response.status_code == 200 and row_ids(response) == cases


# -- my cases and the resident's page ---------------------------------------------------------


def test_my_cases_lists_only_the_cases_assigned_to_me(app, world, crew):
    mine_open = accepted(filed(world, crew.reporter, what="MINE-OPEN"), crew, assignee=crew.fitter)
    mine_done = accepted(filed(world, crew.reporter, what="MINE-DONE"), crew, assignee=crew.fitter)
    service.resolve(mine_done, crew.fitter, version=mine_done.version, body="好了")
    accepted(filed(world, crew.reporter, what="SOMEONE-ELSES"), crew, assignee=crew.electrician)
    filed(world, crew.reporter, what="NOBODYS")
    client = signed_in(app, crew.fitter)
    open_page = texts(client.get("/cases/mine"))
    all_page = texts(client.get("/cases/mine?show=all"))
    assert mine_open.number in open_page and "MINE-OPEN" in open_page
    assert "MINE-DONE" not in open_page and "MINE-DONE" in all_page
    for page in (open_page, all_page):
        assert "SOMEONE-ELSES" not in page and "NOBODYS" not in page
    assert "Nothing assigned to you." in texts(signed_in(app, crew.secretary).get("/cases/mine"))


def test_residents_page_lists_their_own_cases_with_their_state(app, world, crew):
    waiting = filed(world, crew.reporter, what="MY-LIFT")
    refused = filed(world, crew.reporter, what="MY-PARKING")
    service.reject(refused, crew.secretary, version=refused.version, reason="不归物业管")
    filed(world, crew.neighbour, what="NEIGHBOURS-NOISE")
    page = texts(signed_in(app, crew.reporter).get("/my"))
    assert f"{waiting.number} New MY-LIFT" in page
    assert f"{refused.number} Rejected MY-PARKING" in page
    assert "NEIGHBOURS-NOISE" not in page
    assert page.index(refused.number) < page.index(waiting.number)  # newest first


# -- QR posters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, address",
    [
        ("", "https://portal.example.cn/c/ymn/report"),
        ("?building=2", "https://portal.example.cn/c/ymn/report?building=2"),
    ],
)
def test_poster_prints_a_qr_code_and_the_address_it_opens(app, world, crew, query, address):
    # The printed address comes from BASE_URL, whatever host a proxy passes the request as.
    app.config["BASE_URL"] = "https://portal.example.cn"
    response = signed_in(app, crew.secretary).get(f"/c/ymn/poster{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<svg" in page
    assert f'<p class="address">{html.escape(address)}</p>' in page
    assert "Plum Garden" in page


def test_the_posters_address_opens_the_form_with_the_building_chosen(app, world, crew):
    building = next(b for b in world.ymn.buildings if b.code == "2")
    page = app.test_client().get("/c/ymn/report?building=2").get_data(as_text=True)
    assert f'<option selected value="{building.id}">' in page


def test_a_poster_for_an_unknown_building_is_not_found(app, world, crew):
    assert signed_in(app, crew.secretary).get("/c/ymn/poster?building=99").status_code == 404


# -- routing rules -----------------------------------------------------------------------------


def rules_form(client=None, community="cm", **changes):
    """The whole table as the page posts it: every category, defaults unless changed, and the
    page's CSRF token (the page checks it itself)."""
    form = {}
    if client is not None:
        # The tests' shared app context keeps Flask-WTF's token in g from an earlier client's
        # request; forget it, as a new request context would, so the page signs for this session.
        g.pop("csrf_token", None)
        page = client.get(f"/community/{community}/categories").get_data(as_text=True)
        form["csrf_token"] = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    for category, rule in DEFAULT_RULES.items():
        form[f"{category.value}-lead"] = rule.lead_party.value
        form[f"{category.value}-days"] = str(rule.resolution_days)
        if rule.needs_consultation:
            form[f"{category.value}-consult"] = "y"
    form.update(changes)
    return form


def proposed_lead(page: str, select_id: str = "lead_party") -> str:
    select_tag = re.search(
        rf'<select id="{select_id}" name="lead_party"[^>]*>(.*?)</select>', page, re.S
    )
    return re.search(r'<option selected value="([^"]+)">', select_tag.group(1)).group(1)


def test_overseer_routes_repairs_to_the_branch_and_the_next_accept_proposes_it(app, world, crew):
    before = filed(world, crew.reporter, Category.REPAIR)
    secretary = signed_in(app, crew.secretary)
    page = secretary.get(f"/cases/{before.number}").get_data(as_text=True)
    assert proposed_lead(page) == "property"

    overseer = signed_in(app, crew.overseer)
    response = overseer.post(
        f"/community/{world.community.code}/categories",
        data=rules_form(overseer, **{"repair-lead": "branch", "repair-days": "5"}),
    )
    assert response.status_code == 302

    case = filed(world, crew.reporter, Category.REPAIR)
    assert proposed_lead(secretary.get(f"/cases/{case.number}").get_data(as_text=True)) == "branch"
    # The queue row proposes it too: in the forms htmx fetches, and in the queue without it.
    fetched = secretary.get(
        f"/cases/{case.number}/triage", headers={"HX-Request": "true", "HX-Target": "x"}
    )
    assert proposed_lead(fetched.get_data(as_text=True), f"lead_party-{case.id}") == "branch"
    row = secretary.get(f"/c/ymn/cases?triage={case.id}").get_data(as_text=True)
    assert proposed_lead(row, f"lead_party-{case.id}") == "branch"
    accepted_case = factories.accept(case, crew.secretary, lead_party=PartyKind.BRANCH)
    # Five days to resolve: by the end of the fifth local day after acceptance.
    local_accepted = accepted_case.accepted_at.astimezone(LOCAL_ZONE)
    assert accepted_case.due_at.astimezone(LOCAL_ZONE).date() == (
        local_accepted.date() + timedelta(days=5)
    )
    assert accepted_case.due_at.astimezone(LOCAL_ZONE).time() >= time(23, 59)


def test_a_rule_of_zero_days_is_refused_and_nothing_is_saved(app, world, crew):
    overseer = signed_in(app, crew.overseer)
    response = overseer.post(
        f"/community/{world.community.code}/categories",
        data=rules_form(overseer, **{"repair-lead": "branch", "repair-days": "0"}),
    )
    assert response.status_code == 422
    assert "Choose a lead party and 1 to 90 days." in texts(response)
    assert db.session.scalar(select(func.count(CategoryRule.id))) == 0


@pytest.mark.parametrize("who", ["secretary", "overseer of another community"])
def test_routing_rules_are_not_found_for_those_who_do_not_keep_them(app, world, crew, who):
    person = (
        crew.secretary
        if who == "secretary"
        else factories.member(Role.COMMUNITY_OVERSEER, world.other_community)
    )
    client = signed_in(app, person)
    url = f"/community/{world.community.code}/categories"
    assert client.get(url).status_code == 404
    assert client.post(url, data=rules_form(**{"repair-lead": "branch"})).status_code == 404
    assert db.session.scalar(select(func.count(CategoryRule.id))) == 0
