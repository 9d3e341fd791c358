"""English complete: every page each role can open, drawn in English for a world whose own words
(names, places, descriptions, opinions) are all Latin, shows no Chinese but what is Chinese on
purpose (the language's own name, marked lang="zh-CN"); the printed minutes and posters follow
the reader's language, a poster can be printed in the other one, dates read in the locale's
medium format and lists are joined as the language joins them."""

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.accounts.models import HomeState
from portal.accounts.roles import Role
from portal.cases import service as cases
from portal.cases.categories import Category
from portal.cases.photos import process
from portal.cases.workflow import State
from portal.clock import local_date, now
from portal.consultation import service as consultation
from portal.consultation.models import Decision, Mode
from portal.extensions import db
from portal.open311 import keys
from portal.organisation.models import PartyKind
from portal.recurring import detect as recurring
from portal.recurring import service as recurring_service
from portal.recurring.models import Topic
from tests import factories
from tests.conftest import sign_in, texts
from tests.web.test_case_flow import jpeg
from tests.web.test_hostile_input import ENDS_SIGN_IN, ROLES, paths

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
SHORT_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2}\b")
# 19:30 in Shanghai, a moment the pages show in full.
T = datetime(2026, 12, 3, 11, 30, tzinfo=UTC)
NAMES = {
    "reporter": "Ann Reporter",
    "neighbour": "Ned Neighbour",
    "secretary": "Sam Secretary",
    "manager": "Mia Manager",
    "fitter": "Fred Fitter",
    "member": "Meg Member",
    "representative": "Rita Representative",
    "grid": "Greg Grid",
    "overseer": "Olga Overseer",
    "street": "Stan Street",
}
# The desk each walker opens (anyone else's is a 404 page, walked all the same).
DESKS = {
    "secretary": Role.SECRETARY,
    "manager": Role.PROPERTY_MANAGER,
    "fitter": Role.PROPERTY_STAFF,
    "member": Role.BRANCH_MEMBER,
    "representative": Role.REPRESENTATIVE,
    "grid": Role.GRID_WORKER,
    "overseer": Role.COMMUNITY_OVERSEER,
    "street": Role.SUBDISTRICT_OVERSEER,
    "admin": Role.ADMIN,
}
HTMX = {"HX-Request": "true"}


def english_world(world) -> SimpleNamespace:
    """The factories' world (its places are named in English) with people who read English,
    and cases, a meeting, an on-line consultation, a notice and an API key in Latin words."""
    changes = {part: {"name": name} for part, name in NAMES.items()}
    changes["neighbour"]["state"] = HomeState.PENDING  # for the secretary to verify
    people = factories.cast(world, *NAMES, locale="en", **changes)
    people.admin = factories.member(Role.ADMIN, None, name="Ada Admin", locale="en")
    walk = {
        "by": people.reporter,
        "secretary": people.secretary,
        "assignee": people.fitter,
        "resolution": "Fixed it",
    }
    worked = factories.case(
        world,
        State.IN_PROGRESS,
        **walk,
        description="The stair light is broken",
        location="Stairwell B",
        processed_photos=[process(jpeg(), "light.jpg")],
    )
    cases.post_update(worked, people.fitter, body="Coming tomorrow morning", public=True)
    cases.post_update(worked, people.secretary, body="Check the wiring first", public=False)
    escalated = factories.case(world, State.IN_PROGRESS, **walk, description="Lift stuck")
    cases.escalate(escalated, people.secretary, reason="Two weeks without a fix")
    filed = factories.case(world, State.FILED, by=people.reporter, description="Bins overflow")
    closed = factories.case(world, State.CLOSED, **walk, description="Gate squeaks", at=T)
    factories.case(
        world, State.REJECTED, secretary=people.secretary, description="Tree", reason="Not ours"
    )
    factories.case(world, State.RESOLVED, **walk, description="Dripping tap")
    agenda = [
        factories.case(
            world,
            State.ACCEPTED,
            by=people.reporter,
            secretary=people.secretary,
            description=f"Parking by the north gate, part {i}",
            lead_party=PartyKind.BRANCH,
            needs_consultation=True,
        )
        for i in (1, 2, 3)
    ]
    meeting = consultation.convene(
        world.ymn,
        people.secretary,
        title="North gate parking",
        mode=Mode.IN_PERSON,
        case_list=agenda[:2],
        starts_at=now() + timedelta(days=1),
        place="Community hall",
    )
    for party, present, who in (
        (PartyKind.BRANCH, True, "Sam Secretary"),
        (PartyKind.PROPERTY, True, "Mia Manager"),
        (PartyKind.RESIDENTS, False, ""),
    ):
        consultation.record_attendance(
            meeting, people.secretary, party=party, present=present, attendees=who
        )
    voices = (
        (PartyKind.BRANCH, people.secretary),
        (PartyKind.PROPERTY, people.manager),
        (PartyKind.RESIDENTS, people.representative),
    )
    for item in meeting.items:
        for party, who in voices:
            consultation.post_opinion(item, who, party=party, body=f"Opinion of the {party.value}")
    due = local_date() + timedelta(days=14)
    for item, dissent in zip(meeting.items, (False, True), strict=True):
        resolution = consultation.draft_resolution(
            item,
            people.secretary,
            text="Paint lines and share the costs",
            actions=[
                {
                    "party": PartyKind.PROPERTY,
                    "assignee": people.fitter,
                    "description": "Paint the lines",
                    "due_on": due,
                }
            ],
        )
        for party, who in voices:
            no = dissent and party is PartyKind.RESIDENTS
            consultation.sign(
                resolution,
                who,
                party=party,
                decision=Decision.DISSENT if no else Decision.SIGN,
                reason="Costs unclear" if no else None,
            )
    online = consultation.convene(
        world.ymn,
        people.secretary,
        title="Bikes in the hallway",
        mode=Mode.ONLINE,
        case_list=agenda[2:],
        window_days=7,
    )
    consultation.post_notice(
        world.ymn, people.secretary, title="Water off on Monday", body="From 9 to 11."
    )
    keys.issue("Hotline", world.ymn, may_read=True, may_file=True, by=people.admin)
    # A recurring problem (lift faults in building 2 in three months), on the meeting's agenda.
    for days in (80, 80, 40, 40, 0, 0):
        factories.case(
            world,
            by=people.reporter,
            category=Category.LIFT,
            description="Lift stops between floors",
            at=now() - timedelta(days=days, minutes=5),
        )
    recurring.detect()
    topic = db.session.scalars(select(Topic)).one()
    recurring_service.put_on_agenda(topic, meeting, people.secretary)
    return SimpleNamespace(
        topic=topic,
        people=people,
        worked=worked,
        escalated=escalated,
        filed=filed,
        closed=closed,
        meeting=meeting,
        online=online,
    )


@pytest.fixture
def english(world):
    return english_world(world)


class _Visible(HTMLParser):
    """A page's text and attribute values, less what is marked as Chinese (lang="zh…")."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
            "track", "wbr"}  # fmt: skip

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.open: list[tuple[str, bool]] = []  # each open element: whether marked Chinese

    def _chinese(self) -> bool:
        return any(marked for _tag, marked in self.open)

    def handle_starttag(self, tag, attrs):
        marked = any(
            name == "lang" and (value or "").lower().startswith("zh") for name, value in attrs
        )
        if not (marked or self._chinese()):
            self.parts.extend(value for _name, value in attrs if value)
        if tag not in self.VOID:
            self.open.append((tag, marked))

    def handle_startendtag(self, tag, attrs):
        if not self._chinese():
            self.parts.extend(value for _name, value in attrs if value)

    def handle_endtag(self, tag):
        # Up to the element it closes: those opened inside and left unclosed (<li>, <p>) end too.
        names = [name for name, _marked in self.open]
        if tag in names:
            del self.open[len(names) - 1 - names[::-1].index(tag) :]

    def handle_data(self, data):
        if not self._chinese():
            self.parts.append(data)


def visible(response) -> str:
    if response.is_json:  # escaped as \uXXXX on the wire
        return json.dumps(response.get_json(), ensure_ascii=False)
    text = response.get_data(as_text=True)
    if response.mimetype != "text/html":
        return text
    parser = _Visible()
    parser.feed(text)
    parser.close()
    return " ".join(parser.parts)


def chinese_in(what: str, response) -> list[str]:
    """What is Chinese on the page, each with the words around it, named by the page."""
    if response.mimetype.startswith("image/"):
        return []
    text = visible(response)
    found: dict[str, str] = {}
    for match in CJK.finditer(text):
        around = text[max(0, match.start() - 40) : match.end() + 40]
        found.setdefault(
            match.group(), f"{what}: {match.group()!r} in …{' '.join(around.split())}…"
        )
    return [*found.values()] + [
        f"{what}: short date {m.group()!r}" for m in SHORT_DATE.finditer(text)
    ]


def addresses(app, english, desk: str) -> list[tuple[str, dict]]:
    """Every GET address the app answers, with this world's ids, codes and numbers, then the
    variants and htmx fragments a plain address does not reach."""
    known = {
        "code": "ymn",
        "number": english.worked.number,
        "photo_id": str(english.worked.photos[0].id),
        "consultation_id": str(english.meeting.id),
        "person_id": str(english.people.reporter.id),
        "role": desk,
        "fmt": "xml",
        "service_code": "repair",
        "service_request_id": english.worked.number,
        "topic_id": str(english.topic.id),
    }
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.endpoint in ENDS_SIGN_IN:
            continue
        here = {**known, "code": "cm"} if rule.rule.startswith("/community/") else known
        found.append((next(paths(rule, here)), {}))  # the first: every argument known
    worked, filed = english.worked, english.filed
    found += [(f"/cases/{c.number}", {}) for c in (english.escalated, filed, english.closed)]
    found += [
        ("/c/ymn/poster?building=2", {}),
        (f"/consultations/{english.online.id}", {}),
        (f"/consultations/{english.online.id}/minutes", {}),
        ("/cases/mine?show=done", {}),
        ("/c/ymn/cases?state=closed", {}),
        ("/c/ymn/cases", {**HTMX, "HX-Target": "queue"}),
        (f"/c/ymn/cases?triage={filed.id}", {}),
        (f"/cases/{filed.number}/triage", {**HTMX, "HX-Target": f"row-{filed.id}"}),
        (f"/cases/{worked.number}", {**HTMX, "HX-Target": "case"}),
        (f"/consultations/{english.meeting.id}", {**HTMX, "HX-Target": "consultation"}),
        ("/inbox/count", HTMX),
        (f"/c/ymn/consultations/new?topic={english.topic.id}", {}),
        ("/figures/compound/ymn/report", {}),
    ]
    return found


def test_every_page_each_role_opens_in_english_has_no_chinese(app, world, english):
    # One walk for all the roles: each page drawn first costs its templates' compiling.
    found, drawn = [], {}
    for role in ROLES:
        client = app.test_client()
        if role is not None:
            assert sign_in(client, getattr(english.people, role)).status_code == 302
        client.post("/language", data={"locale": "en"})
        who = role or "visitor"
        drawn[who] = 0
        for path, headers in addresses(app, english, DESKS.get(role, Role.SECRETARY).value):
            response = client.get(path, headers=headers)
            assert response.status_code < 500, f"{who}: GET {path}"
            drawn[who] += response.status_code == 200
            found += chinese_in(f"{who}: GET {path}{' (htmx)' if headers else ''}", response)
    assert found == [], "\n".join(found)
    # The walk reached real pages, not only sign-in redirects and 404s.
    assert all(n >= (5 if who == "visitor" else 12) for who, n in drawn.items()), drawn


def test_what_the_tester_saw_in_chinese_reads_in_english(app, world, english):
    """The escalation heading, lists of parties and of names, moments and deadlines, and the
    reasons a refused form gives."""
    client = app.test_client()
    sign_in(client, english.people.secretary)
    case_page = texts(client.get(f"/cases/{english.worked.number}"))
    assert "Escalate to the community" in case_page
    online = texts(client.get(f"/consultations/{english.online.id}"))
    assert (
        "Still to take part: Party branch, Property management, and Resident representatives"
        in (online)
    )
    assert (
        "Mia Manager (Property management), Rita Representative (Resident representatives), "
        "and Sam Secretary (Party branch)"
    ) in online
    refused = client.post(
        f"/consultations/{english.online.id}/conclude",
        headers={**HTMX, "HX-Target": "consultation"},
    )
    assert refused.status_code == 422
    assert (
        "Party branch, Property management, and Resident representatives did not take part"
        in texts(refused)
    )
    escalate = client.post(
        f"/cases/{english.worked.number}/escalate",
        data={"reason": ""},
        headers={**HTMX, "HX-Target": "case"},
    )
    visitor = app.test_client()
    visitor.post("/language", data={"locale": "en"})
    report = visitor.post("/c/ymn/report", data={}, content_type="multipart/form-data")
    for what, response in (("escalate", escalate), ("report", report)):
        assert 400 <= response.status_code < 500, what
        assert chinese_in(what, response) == []
    # A moment: the medium date and the short time, in each language's way.
    closed = texts(client.get(f"/cases/{english.closed.number}"))
    assert "Dec 3, 2026, 7:30 PM" in closed
    due = local_date() + timedelta(days=14)
    meeting = texts(client.get(f"/consultations/{english.meeting.id}"))
    assert f"by {due:%b} {due.day}, {due.year}" in meeting and due.isoformat() not in meeting
    client.post("/language", data={"locale": "zh_CN"})
    assert "2026年12月3日 19:30" in texts(client.get(f"/cases/{english.closed.number}"))
    meeting = texts(client.get(f"/consultations/{english.meeting.id}"))
    assert f"{due.year}年{due.month}月{due.day}日" in meeting
    online = texts(client.get(f"/consultations/{english.online.id}"))
    assert "尚未参加：党支部、物业和居民代表" in online


def test_minutes_and_posters_print_in_the_readers_language_or_the_one_chosen(app, world, english):
    client = app.test_client()
    sign_in(client, english.people.secretary)
    minutes = client.get(f"/consultations/{english.meeting.id}/minutes")
    assert '<html lang="en">' in minutes.get_data(as_text=True)
    page = texts(minutes)
    assert "Plum Garden: minutes of the three-party consultation" in page
    assert "Item 1: " in page and "Opinion of the branch (Sam Secretary, " in page
    assert "Rita Representative (dissented: Costs unclear)" in page
    # The meeting page offers the paper file in Chinese too.
    meeting = client.get(f"/consultations/{english.meeting.id}").get_data(as_text=True)
    chinese_minutes = f"/consultations/{english.meeting.id}/minutes?lang=zh_CN"
    assert f'<a href="{chinese_minutes}" hreflang="zh-CN">Minutes in Chinese</a>' in meeting
    chinese = texts(client.get(chinese_minutes))
    assert "Plum Garden三方协商会议纪要" in chinese
    assert "Rita Representative（不同意：Costs unclear）" in chinese

    poster = client.get("/c/ymn/poster?building=2")
    html = poster.get_data(as_text=True)
    assert '<html lang="en">' in html and "Scan with your phone" in texts(poster)
    # The page offers either language for the same building.
    assert 'href="/c/ymn/poster?lang=zh_CN&amp;building=2"' in html
    chinese = client.get("/c/ymn/poster?lang=zh_CN&building=2")
    assert '<html lang="zh-CN">' in chinese.get_data(as_text=True)
    assert "用手机扫一扫" in texts(chinese) and "Scan with your phone" not in texts(chinese)
    # The choice is for that sheet only: the secretary's pages stay in English.
    assert "Scan with your phone" in texts(client.get("/c/ymn/poster"))
    assert "My desk" in texts(client.get("/desk/secretary"))
