"""The Open311 GeoReport v2 API, as a client written only from the specification uses it: a
strict XML parser and json, the specification's field and element names, its errors."""

import json
import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from flask import g
from sqlalchemy import func, select

from portal import clock, demo
from portal.accounts.roles import Role
from portal.cases import service
from portal.cases.models import Case, CaseEvent, Photo
from portal.cases.photos import process
from portal.extensions import db
from portal.notifications.models import Notification
from portal.open311 import keys
from portal.open311.records import media_token
from portal.organisation.models import Compound, PartyKind
from tests import factories
from tests.conftest import texts
from tests.web.test_case_flow import jpeg
from tests.web.test_case_queries import counted
from tests.web.test_imports import ORG_HEADER, run, write

FORMATS = ("xml", "json")
CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
# The fields of the specification, in its words (GeoReport v2).
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
# What POST answers: the specification's fields and one extension, the resident's follow link.
FILED_FIELDS = {"service_request_id", "service_notice", "account_id", "follow_url"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}


# -- a client from the specification --------------------------------------------------------


def _element(node):
    """An XML element as the specification's JSON mapping has it: lists for repeated children."""
    children = list(node)
    if node.tag in LISTS:
        return [_element(child) for child in children]
    if not children:
        return node.text
    return {child.tag: _element(child) for child in children}


LISTS = {"services", "service_requests", "errors", "attributes", "values", "endpoints", "formats"}


def parse(response, fmt):
    """The document, checked as a strict client would: the content type, well-formed UTF-8 XML
    with its declaration, or valid JSON. XML values are text, as XML has them."""
    assert response.content_type == CONTENT_TYPES[fmt], response.content_type
    body = response.get_data()
    if fmt == "json":
        return json.loads(body.decode("utf-8"))
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), body[:60]
    root = ElementTree.fromstring(body)
    return _element(root)


def text(value):
    """A value as text, whichever the format: XML has no types, JSON has."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def api(client, fmt, path, key=None, **params):
    if key is not None:
        params["api_key"] = key
    return client.get(f"/open311/v2/{path}.{fmt}", query_string=params)


def post(client, fmt, key, **fields):
    return client.post(f"/open311/v2/requests.{fmt}", data={"api_key": key, **fields})


def errors(response, fmt, status):
    """The specification's error document with the status: a list of code and description."""
    assert response.status_code == status, response.get_data(as_text=True)
    found = parse(response, fmt)
    assert isinstance(found, list) and found
    for error in found:
        assert set(error) == {"code", "description"}
        assert text(error["code"]) == str(status) and error["description"]
    return [e["description"] for e in found]


def filing(building="2", **changes):
    fields = {
        "service_code": "lift",
        "attribute[building]": building,
        "attribute[urgent]": "true",
        "description": "3号电梯困人，按钮没有反应",
        "first_name": "秀英",
        "last_name": "王",
        "phone": "13711112222",
        "email": "wang@example.cn",
    }
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


@pytest.fixture
def key(world):
    """A key of the 12345 hotline platform for Plum Garden, to read and file."""
    return keys.issue("12345热线", world.ymn, may_read=True, may_file=True)[1]


def count(model):
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# -- the round trip --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_client_from_the_specification_files_a_case_and_reads_it_back_closed(
    client, world, key, login, fmt
):
    people = factories.cast(world, "secretary", "fitter")

    found = parse(client.get(f"/open311/discovery.{fmt}"), fmt)
    endpoint = found["endpoints"][0]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://localhost/open311/v2"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(found)

    services = parse(api(client, fmt, "services", jurisdiction_id="ymn"), fmt)
    assert all(set(s) == SERVICE_FIELDS for s in services)
    lift = next(s for s in services if s["service_code"] == "lift")
    assert lift["service_name"] == "电梯" and text(lift["metadata"]) == "true"
    assert lift["type"] == "realtime"

    definition = parse(api(client, fmt, "services/lift", jurisdiction_id="ymn"), fmt)
    assert definition["service_code"] == "lift"
    attributes = {a["code"]: a for a in definition["attributes"]}
    for attribute in attributes.values():
        assert ATTRIBUTE_FIELDS <= set(attribute) <= ATTRIBUTE_FIELDS | {"values"}
        assert attribute["datatype"] in DATATYPES
    building = attributes["building"]
    assert text(building["required"]) == "true" and building["datatype"] == "singlevaluelist"
    assert [(v["key"], v["name"]) for v in building["values"]] == [
        ("1", "Building 1"),
        ("2", "Building 2"),
        ("3", "Building 3"),
    ]
    assert [v["key"] for v in attributes["urgent"]["values"]] == ["false", "true"]

    response = post(client, fmt, key, **filing(building=building["values"][1]["key"]))
    assert response.status_code == 200, response.get_data(as_text=True)
    [filed] = parse(response, fmt)
    assert set(filed) == FILED_FIELDS
    number = filed["service_request_id"]
    case = db.session.scalars(select(Case).where(Case.number == number)).one()
    assert case.building.code == "2" and case.urgent and case.contact_name == "王秀英"
    assert filed["follow_url"].startswith(f"http://localhost/cases/{number}?key=")

    [ticket] = parse(api(client, fmt, f"tokens/{number}", key), fmt)
    assert ticket == {"service_request_id": number, "token": number}

    [opened] = parse(api(client, fmt, f"requests/{number}", key), fmt)
    assert set(opened) == REQUEST_FIELDS
    assert opened["status"] == "open" and opened["status_notes"] == "新反映"

    # The secretary triages it and the fitter resolves it, in the web app.
    login(people.secretary)
    response = client.post(
        f"/cases/{number}/accept",
        data={
            "version": case.version,
            "category": "lift",
            "priority": "urgent",
            "lead_party": "property",
            "assignee": people.fitter.id,
        },
    )
    assert response.status_code == 302, texts(response)
    client.post("/logout")
    login(people.fitter)
    db.session.expire_all()
    response = client.post(
        f"/cases/{number}/resolve", data={"version": case.version, "body": "更换了按钮面板"}
    )
    assert response.status_code == 302, texts(response)
    client.post("/logout")

    [closed] = parse(api(client, fmt, f"requests/{number}", key), fmt)
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "已办结：更换了按钮面板"
    assert closed["agency_responsible"] == world.ymn.party(PartyKind.PROPERTY).name
    assert closed["service_code"] == "lift" and closed["service_name"] == "电梯"
    assert closed["address"] == "Plum Garden Building 2"
    assert closed["expected_datetime"] in ("", None)  # no deadline once the work is done
    requested = datetime.fromisoformat(closed["requested_datetime"])
    updated = datetime.fromisoformat(closed["updated_datetime"])
    assert requested.utcoffset() == timedelta(hours=8) and updated >= requested
    listed = parse(api(client, fmt, "requests", key, status="closed"), fmt)
    assert [r["service_request_id"] for r in listed] == [number]
    assert parse(api(client, fmt, "requests", key, status="open"), fmt) == []


def test_a_case_filed_through_the_api_is_a_case_like_any_other(client, world, key):
    people = factories.cast(world, "secretary")
    response = post(client, "json", key, **filing())
    number = json.loads(response.data)[0]["service_request_id"]
    case = db.session.scalars(select(Case).where(Case.number == number)).one()

    # The secretary hears of it, the timeline says where it came from, nobody is its reporter.
    notified = db.session.scalars(
        select(Notification).where(Notification.person_id == people.secretary.id)
    ).all()
    assert [n.case_id for n in notified] == [case.id]
    assert case.reporter_id is None and case.contact_phone == "13711112222"
    [filed] = case.events
    assert filed.data["via"] == "12345热线"
    # The resident follows it with the link the client passed on.
    follow = json.loads(response.data)[0]["follow_url"].removeprefix("http://localhost")
    page = texts(client.get(follow))
    assert number in page and "（经12345热线报送）" in page


def test_a_phone_with_the_country_code_and_spaces_is_taken_as_the_mobile_number(client, world, key):
    response = post(client, "xml", key, **filing(phone="+86 137 1111 2222"))
    assert response.status_code == 200
    assert db.session.scalars(select(Case)).one().contact_phone == "13711112222"


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_filing_with_bad_input_lists_every_problem_and_stores_nothing(client, world, key, fmt):
    before = (count(Case), count(CaseEvent), count(Notification))
    response = post(
        client,
        fmt,
        key,
        **filing(
            building="9",
            description="",
            first_name="",
            last_name="",
            phone="12345",
            lat="91",
            long="x",
            **{"attribute[urgent]": "maybe"},
        ),
    )
    problems = errors(response, fmt, 400)
    assert problems == [
        "attribute[building] 9 不是本小区的楼栋。",
        "attribute[urgent] 只能是 true 或 false。",
        "description 必填：请说明发生了什么。",
        "first_name 或 last_name 必填：回访时找谁。",
        "phone 须为 11 位中国大陆手机号。",
        "lat 和 long 须同时给出，为 WGS84 经纬度。",
    ]
    assert (count(Case), count(CaseEvent), count(Notification)) == before


def test_errors_are_in_the_language_the_client_asks_for(client, world, key):
    response = client.post(
        "/open311/v2/requests.json",
        data={"api_key": key, **filing(description="")},
        headers={"Accept-Language": "en-GB,en;q=0.8"},
    )
    assert errors(response, "json", 400) == ["description is required: say what happened."]
    services = parse(api(client, "json", "services"), "json")
    names = {s["service_code"]: s["service_name"] for s in services}
    assert names["lift"] == "电梯"  # without a language asked for, Chinese
    english = client.get("/open311/v2/services.json", headers={"Accept-Language": "en"})
    assert {s["service_code"]: s["service_name"] for s in json.loads(english.data)}["lift"] == (
        "Lift"
    )


def test_api_keys_decide_who_may_do_what(client, world, key):
    reader = keys.issue("看板", world.ymn, may_read=True, may_file=False)[1]
    filer = keys.issue("小程序", world.ymn, may_read=False, may_file=True)[1]
    revoked_key, revoked = keys.issue("旧系统", world.ymn, may_read=True, may_file=True)
    keys.revoke(revoked_key)

    assert errors(api(client, "xml", "requests"), "xml", 403) == ["api_key 缺失或无效。"]
    assert errors(api(client, "xml", "requests", "not-a-key"), "xml", 403)
    assert errors(api(client, "json", "requests", revoked), "json", 403)
    assert errors(post(client, "xml", reader, **filing()), "xml", 403) == [
        "此 api_key 无权提交诉求。"
    ]
    assert errors(api(client, "xml", "requests", filer), "xml", 403) == [
        "此 api_key 无权读取诉求。"
    ]
    assert post(client, "xml", filer, **filing()).status_code == 200
    assert api(client, "xml", "requests", reader).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_kind_of_bad_request_gets_the_specifications_error(client, world, key, fmt):
    street = keys.issue("城市平台", world.sub, may_read=True, may_file=True)[1]
    cases = [
        (api(client, fmt, "services", jurisdiction_id="nowhere"), 404),
        (api(client, fmt, "services/lift"), 400),
        (api(client, fmt, "services/lift", jurisdiction_id="nowhere"), 404),
        (api(client, fmt, "services/no_such_service", jurisdiction_id="ymn"), 404),
        (api(client, fmt, "requests/ymn-20260101-0001", key), 404),
        (api(client, fmt, "tokens/nothing", key), 404),
        (api(client, fmt, "requests", key, jurisdiction_id="czy"), 404),  # outside the key
        (api(client, fmt, "requests", key, start_date="yesterday"), 400),
        (api(client, fmt, "requests", key, start_date="2026-01-01T00:00:00"), 400),  # no zone
        (api(client, fmt, "requests", key, start_date="99999-01-01T00:00:00Z"), 400),
        (
            api(
                client,
                fmt,
                "requests",
                key,
                start_date="2026-01-01T00:00:00Z",
                end_date="2026-06-01T00:00:00Z",
            ),
            400,
        ),
        (
            api(
                client,
                fmt,
                "requests",
                key,
                start_date="2026-02-01T00:00:00Z",
                end_date="2026-01-01T00:00:00Z",
            ),
            400,
        ),
        (api(client, fmt, "requests", key, status="pending"), 400),
        (api(client, fmt, "requests", key, service_code="potholes"), 400),
        (api(client, fmt, "requests", key, page_size="0"), 400),
        (api(client, fmt, "requests", key, page_size="1001"), 400),
        (api(client, fmt, "requests", key, page="99999999999999999999999"), 400),
        (post(client, fmt, street, **filing()), 400),  # several compounds: which one?
        (post(client, fmt, street, jurisdiction_id="nowhere", **filing()), 404),
        (post(client, fmt, key, **filing(service_code="potholes")), 404),
        (post(client, fmt, key, **filing(service_code="")), 400),
        (client.get(f"/open311/v2/no-such-thing.{fmt}"), 404),
        (client.delete(f"/open311/v2/requests.{fmt}"), 405),
        (client.post(f"/open311/v2/services.{fmt}"), 405),
    ]
    for response, status in cases:
        errors(response, fmt, status)
    # An address in no format at all is answered in XML, the format the specification requires.
    errors(client.get("/open311/v2/services.html"), "xml", 404)


def test_a_client_may_poll_for_the_id_with_a_token(client, world, key):
    [filed] = json.loads(post(client, "json", key, **filing()).data)
    # Services are "realtime": the id comes at once, and the id serves as the token too.
    assert "token" not in filed
    ticket = parse(api(client, "xml", f"tokens/{filed['service_request_id']}", key), "xml")
    assert ticket == [
        {"service_request_id": filed["service_request_id"], "token": filed["service_request_id"]}
    ]


# -- scope and privacy -----------------------------------------------------------------------


def test_a_key_reads_only_the_cases_of_its_own_scope(client, world, key):
    mine = factories.case(world.ymn, description="楼道灯坏了")
    theirs = factories.case(world.czy, description="竹园的垃圾没人收")
    community = keys.issue("社区平台", world.community, may_read=True, may_file=False)[1]
    street = keys.issue("街道平台", world.sub, may_read=True, may_file=False)[1]

    def numbers(who, **params):
        return {
            r["service_request_id"]
            for r in parse(api(client, "json", "requests", who, **params), "json")
        }

    assert numbers(key) == {mine.number}
    assert numbers(community) == {mine.number}
    assert numbers(street) == {mine.number, theirs.number}
    assert numbers(street, jurisdiction_id="czy") == {theirs.number}
    assert numbers(key, service_request_id=f"{mine.number},{theirs.number}") == {mine.number}
    for path in (f"requests/{theirs.number}", f"tokens/{theirs.number}"):
        errors(api(client, "xml", path, key), "xml", 404)
    errors(post(client, "xml", key, jurisdiction_id="czy", **filing()), "xml", 404)


def test_no_answer_carries_a_reporters_name_or_phone_or_an_internal_note(client, app):
    """Over every case of the demo world, in both formats, one by one and in lists."""
    app.config["OPEN311_CALLS_PER_MINUTE"] = 10_000
    g.pop("_flask_babel", None)
    demo.build()
    street = db.session.scalars(select(Case)).first().compound.community.sub_district
    reader = keys.issue("城市平台", street, may_read=True, may_file=False)[1]
    cases = db.session.scalars(select(Case).order_by(Case.id)).all()
    secrets = {c.contact_phone for c in cases} | {c.contact_name for c in cases}
    secrets |= {c.reporter.name for c in cases if c.reporter} | {
        c.reporter.phone for c in cases if c.reporter
    }
    internal = {
        e.body
        for e in db.session.scalars(select(CaseEvent).where(CaseEvent.public.is_(False)))
        if e.body
    }
    assert len(cases) > 20 and internal and secrets
    public_texts = {e.body for e in db.session.scalars(select(CaseEvent)) if e.public and e.body}
    internal -= public_texts  # a note that says the same as a public update is not a secret
    # Every case in the lists; one by one, those with a reporter's account or an internal note
    # (the demo's cases worked through the services) and every tenth of the others (the bulk
    # history of the year before, written alike).
    noted = {e.case_id for e in db.session.scalars(select(CaseEvent)) if e.body and not e.public}
    alone = [c for i, c in enumerate(cases) if c.reporter_id or c.id in noted or i % 10 == 0]
    any_secret = re.compile("|".join(re.escape(s) for s in sorted(secrets | internal, key=len)))
    seen = set()
    for fmt in FORMATS:
        bodies = []
        for start in range(0, len(cases), 40):
            chunk = ",".join(c.number for c in cases[start : start + 40])
            response = api(client, fmt, "requests", reader, service_request_id=chunk)
            seen |= {r["service_request_id"] for r in parse(response, fmt)}
            bodies.append(response.get_data(as_text=True))
        for case in alone:
            bodies.append(
                api(client, fmt, f"requests/{case.number}", reader).get_data(as_text=True)
            )
        bodies.append(api(client, fmt, "requests", reader).get_data(as_text=True))
        for body in bodies:
            assert any_secret.search(body) is None
    assert seen == {c.number for c in cases}


def test_free_text_that_names_the_reporter_is_redacted(client, world, key):
    people = factories.cast(world, "secretary", "fitter")
    case = factories.case(
        world.ymn,
        contact_name="王秀英",
        contact_phone="13711112222",
        description="我是王秀英，电话13711112222，邻居13800001111也知道",
    )
    factories.accept(case, people.secretary, assignee=people.fitter)
    service.post_update(
        case, people.fitter, body="已电话联系王秀英（13711112222），明早上门", public=True
    )
    [found] = parse(api(client, "json", f"requests/{case.number}", key), "json")
    assert found["description"] == "我是王**，电话137****2222，邻居138****1111也知道"
    assert found["status_notes"] == "办理中：已电话联系王**（137****2222），明早上门"


def test_only_public_photos_are_shown_and_their_address_ends_with_the_key(
    client, world, key, tmp_path
):
    people = factories.cast(world, "secretary", "fitter")
    case = factories.case(world.ymn, processed_photos=[process(jpeg(), "a.jpg")])
    factories.accept(case, people.secretary, assignee=people.fitter)
    service.post_update(
        case,
        people.fitter,
        body="内部：配件照片",
        public=False,
        processed_photos=[process(jpeg((80, 60)), "b.jpg")],
    )
    public_photo, internal_photo = db.session.scalars(select(Photo).order_by(Photo.id)).all()
    [found] = parse(api(client, "json", f"requests/{case.number}", key), "json")
    media = found["media_url"].removeprefix("http://localhost")
    response = client.get(media)
    assert response.status_code == 200 and response.content_type == "image/jpeg"
    assert response.data == (tmp_path / "uploads" / public_photo.path).read_bytes()
    response.close()

    another = keys.issue("另一系统", world.czy, may_read=True, may_file=False)
    with client.application.test_request_context():
        outside = media_token(public_photo.id, another[0])
        hidden = media_token(internal_photo.id, keys.find(key))
    assert client.get(f"/open311/v2/media/{outside}.jpg").status_code == 404
    assert client.get(f"/open311/v2/media/{hidden}.jpg").status_code == 404
    assert client.get("/open311/v2/media/forged.jpg").status_code == 404
    keys.revoke(keys.find(key))
    assert client.get(media).status_code == 404


# -- limits ----------------------------------------------------------------------------------


def test_calls_beyond_the_keys_limit_are_refused_until_the_next_minute(
    app, app_factory, world, key
):
    app.config["OPEN311_CALLS_PER_MINUTE"] = 3
    other_worker = app_factory(OPEN311_CALLS_PER_MINUTE=3).test_client()
    client = app.test_client()
    start = datetime(2026, 12, 2, 2, 0, 10, tzinfo=UTC)
    with clock.fixed(start):
        assert api(client, "xml", "requests", key).status_code == 200
        assert api(client, "xml", "requests", key).status_code == 200
        # The count is kept in the database: another worker (or host) sees it.
        assert api(other_worker, "xml", "requests", key).status_code == 200
        refused = api(client, "xml", "requests", key)
        [message] = errors(refused, "xml", 429)
        assert refused.headers["Retry-After"] == "50" and "50" in message
        # Another key has a limit of its own.
        reader = keys.issue("看板", world.ymn, may_read=True, may_file=False)[1]
        assert api(client, "xml", "requests", reader).status_code == 200
    with clock.fixed(start + timedelta(minutes=1)):
        assert api(client, "json", "requests", key).status_code == 200
    db.session.expire_all()
    assert keys.find(key).last_used_at == start + timedelta(minutes=1)


def test_lists_come_in_pages_newest_first_within_the_window(client, world, key):
    base = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    made = [factories.case(world.ymn, at=base + timedelta(days=i)) for i in range(5)]
    old = factories.case(world.ymn, at=base - timedelta(days=200))

    def page(**params):
        found = parse(api(client, "json", "requests", key, **params), "json")
        return [r["service_request_id"] for r in found]

    with clock.fixed(base + timedelta(days=10)):
        assert page() == [c.number for c in reversed(made)]  # the last 90 days
        assert page(page_size="2") == [made[4].number, made[3].number]
        assert page(page_size="2", page="3") == [made[0].number]
        assert page(page_size="2", page="4") == []
        assert page(
            start_date="2026-11-02T10:00:00+08:00", end_date="2026-11-04T10:00:00+08:00"
        ) == [made[3].number, made[2].number, made[1].number]
        assert page(start_date="2026-04-01T00:00:00Z") == [old.number]
        # A "+" the client forgot to escape arrives as a space, and still means the offset.
        response = api(client, "json", "requests", key, start_date="2026-11-04T10:00:00 08:00")
        assert [r["service_request_id"] for r in json.loads(response.data)] == [
            made[4].number,
            made[3].number,
        ]
        assert page(service_request_id=old.number) == [old.number]  # ids override the window
        assert page(service_code="lift") == []


def test_the_statements_for_a_page_do_not_grow_with_the_cases(client, world, key):
    people = factories.cast(world, "secretary", "fitter")

    def statements():
        db.session.expire_all()
        with counted() as found:
            response = api(client, "xml", "requests", key)
        assert response.status_code == 200
        return len(found)

    for _ in range(3):
        case = factories.case(world.ymn, processed_photos=[process(jpeg(), "a.jpg")])
        factories.accept(case, people.secretary, assignee=people.fitter)
        service.post_update(case, people.fitter, body="已派人", public=True)
    few = statements()
    for _ in range(12):
        case = factories.case(world.ymn, processed_photos=[process(jpeg(), "a.jpg")])
        factories.accept(case, people.secretary, assignee=people.fitter)
        service.post_update(case, people.fitter, body="已派人", public=True)
    assert statements() == few <= 8


# -- keys: the admin page and the command ------------------------------------------------------


def test_an_administrator_issues_a_key_that_is_shown_once_and_revokes_it(client, world, login):
    admin = factories.member(Role.ADMIN)
    login(admin)
    response = client.post(
        "/admin/api-keys",
        data={"name": "12345热线", "level": "community", "scope": "cm", "may_read": "y"},
    )
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    plain = page.split("<code>")[1].split("</code>")[0]
    assert api(client, "json", "requests", plain).status_code == 200
    listing = client.get("/admin/api-keys").get_data(as_text=True)
    assert plain not in listing and plain[:8] in listing and "Lakeside community" in listing
    stored = keys.find(plain)
    assert stored.key_hash != plain and stored.community_id == world.community.id
    assert errors(post(client, "xml", plain, **filing()), "xml", 403)

    response = client.post(
        "/admin/api-keys", data={"name": "", "level": "compound", "scope": "nowhere"}
    )
    assert response.status_code == 422
    assert "此级别没有这个代码" in texts(response) or "请写明" in texts(response)
    client.post(f"/admin/api-keys/{stored.id}/revoke")
    assert errors(api(client, "json", "requests", plain), "json", 403)


def test_only_administrators_see_the_keys(client, world, login):
    login(factories.member(Role.SECRETARY, world.ymn))
    assert client.get("/admin/api-keys").status_code == 403
    assert client.post("/admin/api-keys", data={"name": "x"}).status_code == 403


def test_a_session_counts_for_nothing_in_the_api(client, world, login):
    login(factories.member(Role.ADMIN))
    errors(api(client, "json", "requests"), "json", 403)


def test_the_api_needs_no_csrf_token_but_a_key(app_factory, world):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        plain = keys.issue("12345热线", world.ymn, may_read=True, may_file=True)[1]
        client = app.test_client()
        assert post(client, "json", plain, **filing()).status_code == 200


def test_keys_are_issued_listed_and_revoked_on_the_command_line(app, world):
    def run(*args):
        g.pop("_flask_babel", None)
        return app.test_cli_runner().invoke(args=["portal", "api-key", *args])

    result = run("create", "--name", "12345热线", "--scope", "compound", "--code", "ymn", "--file")
    assert result.exit_code == 0, result.output
    plain = result.output.strip().splitlines()[-1]
    stored = keys.find(plain)
    assert stored.may_read and stored.may_file and stored.compound_id == world.ymn.id
    listing = run("list").output
    assert plain[:8] in listing and "12345热线" in listing and plain not in listing
    assert run("create", "--name", "x", "--scope", "community", "--code", "no").exit_code == 2
    assert run("revoke", str(stored.id)).exit_code == 0
    assert keys.find(plain) is None
    assert "已停用" in run("list").output


def test_compound_coordinates_come_from_the_organisation_file_and_go_out_as_lat_long(
    app, client, tmp_path
):
    good = write(
        tmp_path,
        "org.csv",
        [
            ORG_HEADER + ",latitude,longitude",
            "sd,滨江街道,cm,临湖社区,ymn,梅园,1,30.2741,120.1551",
            "sd,滨江街道,cm,临湖社区,ymn,梅园,2,,",
        ],
    )
    assert run(app, "import-org", str(good)).exit_code == 0
    bad = write(
        tmp_path,
        "bad.csv",
        [
            ORG_HEADER + ",latitude,longitude",
            "sd,滨江街道,cm,临湖社区,ymn,梅园,3,95,120",
            "sd,滨江街道,cm,临湖社区,ymn,梅园,4,30.1,120.1",
            "sd,滨江街道,cm,临湖社区,ymn,梅园,5,30.2,120.1",
        ],
    )
    result = run(app, "import-org", str(bad))
    assert result.exit_code == 1
    assert "第 2 行：latitude 与 longitude：须同时填写" in result.output
    assert "第 3 行" not in result.output
    assert "第 4 行：小区 ymn：经纬度与前面的行不一致" in result.output
    compound = db.session.scalars(select(Compound)).one()
    plain = keys.issue("12345热线", compound, may_read=True, may_file=True)[1]
    post(client, "json", plain, **filing(building="1"))
    [found] = parse(api(client, "xml", "requests", plain), "xml")
    assert (found["lat"], found["long"]) == ("30.2741", "120.1551")


# -- what a careless or hostile client sends ---------------------------------------------------


def test_no_input_ends_in_a_server_error(client, world, key):
    street = keys.issue("城市平台", world.sub, may_read=True, may_file=True)[1]
    factories.case(world.ymn)
    answers = [
        api(client, "json", "services", jurisdiction_id="ymn\x00"),
        api(client, "json", "services/lift\x00", jurisdiction_id="ymn"),
        api(client, "xml", "requests", key, jurisdiction_id="y\x00mn"),
        api(client, "xml", "requests", key, service_request_id="a\x00b,\x00"),
        api(client, "xml", "requests/ymn\x00", key),
        api(client, "xml", "tokens/\x00", key),
        api(client, "xml", "requests", key, start_date="9999-12-31T00:00:00+00:00"),
        api(client, "xml", "requests", key, end_date="0001-01-01T00:00:00+00:00"),
        api(client, "xml", "requests", key, page="²"),
        api(client, "xml", "requests", key, page_size="9" * 5000),
        api(client, "json", "requests", "\x00"),
        post(client, "json", key, **filing(description="\x00\x00")),
        post(client, "json", street, jurisdiction_id="\x00", **filing()),
        post(client, "json", key, **filing(phone="13٧١١١١٢٢٢٢")),  # not ASCII digits
        client.post(
            "/open311/v2/requests.xml",
            data={"api_key": key, "attribute[building][]": ["1", "2"], **filing(building=None)},
        ),
        client.get("/open311/v2/media/" + "A" * 5000 + ".jpg"),
    ]
    # A NUL anywhere is refused before the API reads the request, as on every page.
    assert [r.status_code for r in answers] == [
        *(400, 400, 400, 400, 400, 400),
        *(400, 400, 400, 400, 400, 400, 400, 400, 400, 404),
    ]
    assert all(a.is_json or a.mimetype.endswith("xml") for a in answers[:-1])
    for response in answers:
        response.close()
    # Other control characters are taken out of what could be stored.
    response = post(client, "json", key, **filing(description="电梯困人\x07\n三楼"))
    number = json.loads(response.data)[0]["service_request_id"]
    assert db.session.scalars(select(Case).where(Case.number == number)).one().description == (
        "电梯困人\n三楼"
    )


def test_repeated_parameters_and_a_key_in_a_header_are_understood(client, world, key):
    open_case = factories.case(world.ymn)
    people = factories.cast(world, "secretary")
    rejected = factories.case(world.ymn)
    service.reject(rejected, people.secretary, version=rejected.version, reason="不属于本小区")
    response = client.get(
        "/open311/v2/requests.json?status=open&status=closed", headers={"X-Api-Key": key}
    )
    assert {r["service_request_id"] for r in json.loads(response.data)} == {
        open_case.number,
        rejected.number,
    }
    [closed] = parse(api(client, "json", "requests", key, status="closed"), "json")
    assert closed["status_notes"] == "已退回：不属于本小区"


def test_a_single_request_outside_the_jurisdiction_named_is_not_found(client, world):
    street = keys.issue("城市平台", world.sub, may_read=True, may_file=False)[1]
    case = factories.case(world.ymn)
    assert api(client, "json", f"requests/{case.number}", street).status_code == 200
    path = f"requests/{case.number}"
    errors(api(client, "json", path, street, jurisdiction_id="czy"), "json", 404)


def test_an_internal_step_moves_no_date_a_client_sees(client, world, key):
    people = factories.cast(world, "secretary")
    filed_at = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)
    case = factories.case(world.ymn, at=filed_at)
    with clock.fixed(filed_at + timedelta(days=2)):
        service.escalate(case, people.secretary, reason="物业迟迟不来")
        [found] = parse(api(client, "json", f"requests/{case.number}", key), "json")
    assert found["updated_datetime"] == "2026-11-30T09:00:00+08:00"


def test_phone_numbers_written_any_way_are_masked(client, world, key):
    case = factories.case(
        world.ymn,
        contact_name="王秀英",
        contact_phone="13711112222",
        description="电话 137 1111 2222 或 +86-139-0000-1111，或１３８００００１１１１",
    )
    [found] = parse(api(client, "xml", f"requests/{case.number}", key), "xml")
    assert found["description"] == "电话 137****2222 或 139****1111，或138****1111"


def test_a_photo_whose_file_is_gone_is_not_found(client, world, key, tmp_path):
    case = factories.case(world.ymn, processed_photos=[process(jpeg(), "a.jpg")])
    [found] = parse(api(client, "json", f"requests/{case.number}", key), "json")
    (tmp_path / "uploads" / case.photos[0].path).unlink()
    errors(client.get(found["media_url"].removeprefix("http://localhost")), "xml", 404)


def test_a_merged_case_names_the_case_it_went_into(client, world, key):
    people = factories.cast(world, "secretary")
    first = factories.case(world.ymn, description="3号楼电梯坏了")
    second = factories.case(world.ymn, description="3号楼电梯又停了")
    service.merge(second, people.secretary, version=second.version, target_number=first.number)
    [found] = parse(api(client, "xml", f"requests/{second.number}", key), "xml")
    assert found["status"] == "closed"
    assert found["status_notes"].startswith(f"已合并至 {first.number}")
