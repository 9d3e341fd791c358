"""Bad input never ends in a 500: every address the app answers, walked as every role with
hostile values in the path, the query and the form (huge and negative ids, NUL bytes, invalid
UTF-8, over-long and blank texts, malformed cursors, wrong methods)."""

import base64
import re
from collections import Counter
from urllib.parse import quote

import pytest
from flask_wtf import FlaskForm
from sqlalchemy import func, select, text
from wtforms.fields.core import UnboundField

from portal.accounts.roles import Role
from portal.cases.models import Case, State
from portal.extensions import db
from portal.organisation.models import PartyKind
from tests import factories
from tests.conftest import sign_in, texts
from tests.web.test_case_flow import file_case

ROLES = [
    None,
    "reporter",
    "secretary",
    "manager",
    "fitter",
    "member",
    "representative",
    "grid",
    "overseer",
    "street",
    "admin",
]

# Path values: by converter. An int beyond 64 bits, one just past, a negative, zero, one that
# exists; strings with NUL, invalid UTF-8, an over-long one, one that exists.
INTS = ["99999999999999999999999", "2147483648", "-1", "0"]
STRINGS = ["%00", "%FF%FE", "x" * 600, "a%2F..%2F..", "ymn"]
# The same hostile value under every query argument the views read.
QUERY_ARGS = [
    "after",
    "building",
    "key",
    "next",
    "triage",
    "show",
    "q",
    "state",
    "category",
    "assignee",
    "urgent",
    "overdue",
    "page",
    "format",
]
QUERY_VALUES = [
    "%00",
    "%FF%FE",
    "99999999999999999999999",
    "2147483648",
    "-1",
    # Queue cursors as the app writes them (bucket|due|id, base64): a naive time, an id
    # beyond the tables, a bucket beyond them; and one that is no cursor at all.
    *(
        base64.urlsafe_b64encode(raw.encode()).decode()
        for raw in (
            "0|2026-01-01T00:00:00|1",
            "0|2026-01-01T00:00:00+08:00|99999999999999999999",
            "99999999999|2026-01-01T00:00:00+08:00|1",
        )
    ),
    "not-a-cursor",
    "x" * 3000,
]
FORM_VALUES = [
    "%00",
    "a%00b",
    "%FF%FE",
    "+++",  # blank: three spaces
    "x" * 20000,
    "99999999999999999999999",
    "-1",
]
# Steps that end the walker's sign-in are walked, but last (see below).
ENDS_SIGN_IN = {"accounts.logout", "accounts.sign_out_everywhere"}


def form_field_names() -> list[str]:
    names: set[str] = set()
    stack = list(FlaskForm.__subclasses__())
    while stack:
        form = stack.pop()
        stack.extend(form.__subclasses__())
        names.update(n for n in dir(form) if isinstance(getattr(form, n, None), UnboundField))
    return sorted(names)


def paths(rule, known: dict[str, str]):
    """The rule's address with each argument in turn hostile, the others known to exist."""
    arguments = re.findall(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule)
    if not arguments:
        yield rule.rule
        return

    def build(values):
        path = rule.rule
        for (_converter, name), value in zip(arguments, values, strict=True):
            path = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", value, path)
        return path

    usual = [known.get(name, "1") for _c, name in arguments]
    yield build(usual)
    for index, (converter, _name) in enumerate(arguments):
        for value in INTS if converter == "int" else STRINGS:
            values = list(usual)
            values[index] = value
            yield build(values)


def walk(client, app, known) -> tuple[list[str], Counter]:
    fields = form_field_names()
    failures = []
    answered: Counter = Counter()
    sent: set[tuple] = set()

    def check(what, method, path, **body):
        # Rules that share an address, or a hostile value that is the known one ("ymn"), make
        # the same request again: it is sent once.
        request = (method, path, body.get("data"))
        if request in sent:
            return
        sent.add(request)
        try:
            response = client.open(path, method=method, **body)
        except Exception as error:  # the test client raises what the app did not handle
            failures.append(f"{type(error).__name__}: {str(error)[:100]} at {what}")
            db.session.rollback()
            return
        answered[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(f"{response.status_code} {what}")

    rules = sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint != "static"),
        key=lambda r: (r.endpoint in ENDS_SIGN_IN, r.rule),
    )
    for rule in rules:
        # Each hostile value meets the view once with everything else known to exist: the
        # hostile queries and forms go to the address whose arguments exist, and an address
        # with a hostile argument gets a plain request and one hostile form.
        for index, path in enumerate(paths(rule, known)):
            usual = index == 0
            if "GET" in rule.methods:
                check(f"GET {path[:120]}", "GET", path)
                for value in QUERY_VALUES if usual else ():
                    query = "&".join(f"{name}={value}" for name in QUERY_ARGS)
                    check(f"GET {path[:80]}?…={value[:40]}", "GET", f"{path}?{query}")
            if "POST" in rule.methods:
                for value in FORM_VALUES if usual else FORM_VALUES[:1]:
                    check(
                        f"POST {path[:100]} form={value[:40]}",
                        "POST",
                        path,
                        data="&".join(f"{quote(n)}={value}" for n in fields),
                        content_type="application/x-www-form-urlencoded",
                    )
            else:
                check(f"POST (not allowed) {path[:100]}", "POST", path)
            check(f"DELETE {path[:100]}", "DELETE", path)
    return failures, answered


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "visitor")
def test_no_hostile_request_ends_in_a_500(app, world, role):
    people = factories.cast(
        world,
        "reporter secretary manager fitter member representative grid overseer street",
    )
    admin = factories.member(Role.ADMIN, None, name="管理员")
    case = factories.case(
        world.ymn,
        State.IN_PROGRESS,
        by=people.reporter,
        secretary=people.secretary,
        assignee=people.fitter,
    )
    factories.case(world.ymn, State.FILED, by=people.reporter)
    # A consultation on line with an agenda item, so that opinions, resolutions, signatures
    # and action items have something to be about.
    agenda = factories.case(
        world,
        State.ACCEPTED,
        by=people.reporter,
        secretary=people.secretary,
        lead_party=PartyKind.BRANCH,
        needs_consultation=True,
    )
    convener = app.test_client()
    sign_in(convener, people.secretary)
    convened = convener.post(
        "/c/ymn/consultations/new",
        data={
            "title": "北门停车",
            "cases": [agenda.id],
            "mode": "online",
            "starts_at": "2026-12-01T19:30",
            "place": "",
            "window_days": "7",
        },
    )
    assert convened.status_code == 302
    client = app.test_client()
    if role is not None:
        someone = admin if role == "admin" else getattr(people, role)
        assert sign_in(client, someone).status_code == 302
    known = {"code": "ymn", "number": case.number, "role": "secretary"}
    failures, answered = walk(client, app, known)
    assert failures == [], "\n".join(failures[:60]) + f"\n({len(failures)} in all)"
    # The walk reached the views, not only the guards: pages were drawn and hostile values
    # were refused in each of the ways there are.
    assert answered[200] > 20 and answered[404] > 100 and answered[400] > 100, answered


def test_a_nul_in_a_form_is_refused_before_the_database_and_nothing_is_filed(client, world):
    people = factories.cast(world, "reporter")
    sign_in(client, people.reporter)
    before = db.session.scalar(select(func.count(Case.id)))
    refused = file_case(client, world, description="电梯困人\x00按钮失灵")
    assert refused.status_code == 400
    assert "无法保存的字符" in texts(refused)
    assert db.session.scalar(select(func.count(Case.id))) == before
    english = client.get("/c/ymn/queue?q=%00", headers={"Accept-Language": "en"})
    assert english.status_code == 400


def test_text_that_is_not_utf8_is_refused_in_the_visitors_language(client, world):
    refused = client.get("/login?next=%FF%FE", headers={"Accept-Language": "en"})
    assert refused.status_code == 400
    assert "cannot be kept" in texts(refused)
    assert "无法" not in texts(refused)


def test_the_api_refuses_a_nul_in_its_own_format(client, world):
    answer = client.get("/open311/v2/requests.json?service_request_id=%00")
    assert answer.status_code == 400
    assert answer.is_json
    assert answer.get_json()[0]["code"] == 400


def test_an_id_beyond_what_the_tables_hold_is_no_such_page(client, world):
    people = factories.cast(world, "reporter")
    sign_in(client, people.reporter)
    for address in (
        "/consultations/2147483648",
        "/consultations/99999999999999999999999",
        "/consultations/2147483647",  # the largest id: a query, and nothing found
    ):
        assert client.get(address).status_code == 404, address


def test_the_error_page_starts_from_a_clean_transaction(app, world):
    """A statement that fails leaves PostgreSQL's transaction aborted: the 500 page, which
    loads the signed-in person and the menu, must not be refused in turn."""
    people = factories.cast(world, "secretary")

    @app.route("/_broken")
    def broken():
        db.session.execute(text("SELECT * FROM no_such_table"))
        return "unreachable"

    broken.access = "public"  # type: ignore[attr-defined]
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    sign_in(client, people.secretary)
    answer = client.get("/_broken")
    assert answer.status_code == 500
    assert people.secretary.name in texts(answer)  # the page was drawn for the person


def test_a_form_body_that_is_not_utf8_is_refused_with_csrf_on_as_in_production(
    app_factory, database
):
    """CSRF reads the form first; the raw body must be looked at before it is gone."""
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        someone = factories.person()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)

        def send(password):
            return client.post(
                "/login",
                data=f"phone={someone.phone}&password={password}&csrf_token={token}",
                content_type="application/x-www-form-urlencoded",
            )

        refused = send("%FF%FE")
        assert refused.status_code == 400
        assert "无法读取您发送的内容" in texts(refused)
        assert send(factories.PASSWORD).status_code == 302  # the same form, readable, signs in
