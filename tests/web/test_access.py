"""Who may use which address: every endpoint declared, default deny, CSRF on every form."""

import pytest
from werkzeug.routing import AnyConverter, IntegerConverter

from portal.accounts.roles import Role
from portal.cases import service
from portal.cases.categories import Category
from portal.permissions import API_KEY, CASE, OPEN_WITHOUT_SIGN_IN, PUBLIC
from portal.web import PUBLIC_ENDPOINTS
from tests import factories
from tests.conftest import sign_in


def test_every_endpoint_is_declared_public_or_guarded(app):
    undeclared = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        if getattr(view, "access", None) is None:
            undeclared.append(f"{rule.endpoint} {rule.rule}")
    assert undeclared == []


def _declared(app, access) -> set[str]:
    return {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "access", None) == access
    }


def test_only_what_anyone_may_open_is_public(app):
    # Filing, sign-in and sign-up, the language switch, the privacy notice, health; the
    # Open311 discovery and services (what may be filed, not what was), and the photos behind
    # a key's signed addresses; photos sent ahead of a filing, shown back only to the browser
    # that sent them (tests/web/test_pending_photos.py); while filing, the open cases of the
    # same problem and "me too" on one (tests/web/test_same_problem.py); how the figures are
    # worked out (DESIGN.md section 6: everyone reads the same numbers).
    assert _declared(app, PUBLIC) == {
        "open311.discovery",
        "open311.services",
        "open311.service_definition",
        "open311.media",
        "web.index",
        "web.language",
        "accounts.login",
        "accounts.privacy",
        "accounts.signup_choose",
        "accounts.signup",
        "accounts.signup_confirm",
        "accounts.signup_resend",
        "accounts.forgot",
        "accounts.reset",
        "accounts.reset_resend",
        "cases.report",
        "cases.same_problem",
        "cases.support",
        "cases.send_photo",
        "cases.pending_thumb",
        "cases.remove_pending",
        "health.healthz",
        "reports.definitions_page",
    }


def test_cases_through_the_api_are_guarded_by_the_api_key(app):
    # The view checks the key (403) and its scope (404); a session counts for nothing there.
    assert _declared(app, API_KEY) == {
        "open311.requests_list",
        "open311.request_one",
        "open311.token",
        "open311.file_request",
    }


def test_a_case_and_every_step_on_it_are_guarded_by_the_case_itself(app):
    # The view loads the case: 404 to whoever may not see it, 409 for a step their capacities
    # do not allow. A visitor sees a case only with its private follow key.
    assert _declared(app, CASE) == {
        f"cases.{name}"
        for name in (
            "receipt",
            "detail",
            "triage",
            "photo",
            "photo_thumb",
            "accept",
            "reject",
            "merge",
            "assign",
            "withdraw",
            "update",
            "resolve",
            "add_info",
            "escalate",
            "feedback",
            "take_over",
            "acknowledge",
            "wait",
            "resume",
            "reveal_phone",
            "insert_reply",
            "hide",
            "unhide",
        )
    }


def test_a_case_without_its_key_is_not_found_for_a_visitor(app, client, world):
    reporter = factories.resident(world.ymn)
    case, _key = service.file_case(
        world.ymn,
        world.ymn.buildings[0],
        category=Category.LIFT,
        description="电梯坏了",
        location="",
        urgent=False,
        contact_name="",
        contact_phone="",
        by=reporter,
    )
    assert client.get(f"/cases/{case.number}").status_code == 404
    assert client.post(f"/cases/{case.number}/info", data={"body": "x"}).status_code == 404
    assert client.post(f"/cases/{case.number}/accept", data={}).status_code == 404


def test_a_new_route_with_no_declaration_is_caught(app_factory):
    app = app_factory()
    app.add_url_rule("/forgotten", "forgotten", lambda: "hello")
    undeclared = [
        r.endpoint
        for r in app.url_map.iter_rules()
        if r.endpoint not in PUBLIC_ENDPOINTS
        and getattr(app.view_functions[r.endpoint], "access", None) is None
    ]
    assert undeclared == ["forgotten"]
    # …and the gate refuses it to visitors all the same (default deny).
    response = app.test_client().get("/forgotten")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def _guarded_get_rules(app):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        access = getattr(view, "access", None)
        if access is not None and access not in OPEN_WITHOUT_SIGN_IN and "GET" in rule.methods:
            yield rule


def test_visitors_are_sent_to_sign_in_from_every_guarded_page(app, client, world):
    checked = 0
    for rule in _guarded_get_rules(app):
        numeric = {a for a, c in rule._converters.items() if isinstance(c, IntegerConverter)}
        values = {a: "1" if a.endswith("_id") or a in numeric else "ymn" for a in rule.arguments}
        # An argument of a few allowed values (an export's format) takes the first of them.
        for name, converter in rule._converters.items():
            if isinstance(converter, AnyConverter):
                values[name] = sorted(converter.items)[0]
        url = rule.build(values)[1]
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/login?next="), url
        checked += 1
    assert checked >= 5  # the walk really found the guarded pages


def test_resident_gets_403_on_administration(client, world, login):
    resident = factories.resident(world.ymn)
    login(resident)
    assert client.get("/admin/").status_code == 403


def test_secretary_of_another_compound_gets_404_on_its_residents(client, world, login):
    secretary = factories.member(Role.SECRETARY, world.czy)
    login(secretary)
    assert client.get("/c/ymn/residents").status_code == 404
    assert client.get("/c/czy/residents").status_code == 200


def test_desk_of_a_role_not_held_is_not_found(client, world, login):
    login(factories.member(Role.PROPERTY_STAFF, world.ymn))
    assert client.get("/desk/property_staff").status_code == 200
    assert client.get("/desk/secretary").status_code == 404
    assert client.get("/desk/no-such-role").status_code == 404


@pytest.fixture
def csrf_client(app_factory, database):
    app = app_factory(WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app, app.test_client()


def test_forms_without_csrf_token_are_refused(csrf_client):
    _app, client = csrf_client
    from portal.extensions import db

    someone = factories.person()
    db.session.commit()
    response = client.post("/login", data={"phone": someone.phone, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert "请重试" in response.get_data(as_text=True)
    assert client.get("/my").status_code == 302  # not signed in


def test_forms_with_csrf_token_from_the_page_are_accepted(csrf_client):
    _app, client = csrf_client
    import re

    someone = factories.person()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"phone": someone.phone, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_htmx_requests_carry_the_token_in_a_header(csrf_client):
    _app, client = csrf_client
    page = client.get("/login").get_data(as_text=True)
    assert 'hx-headers=\'{"X-CSRFToken": "' in page


def test_pages_send_security_headers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "HX-Request" in response.headers["Vary"]


def test_sign_in_page_loads_pinned_htmx_with_integrity(client):
    page = client.get("/login").get_data(as_text=True)
    assert "htmx.org@2.0." in page
    assert 'integrity="sha384-' in page


def test_unauthenticated_htmx_request_is_told_to_redirect(client, world):
    response = client.post("/homes/1/verify", headers={"HX-Request": "true", "HX-Target": "home-1"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_sign_in_rejects_nothing_typed(client):
    response = client.post("/login", data={})
    assert response.status_code == 422
    assert "请输入手机号码。" in response.get_data(as_text=True)


def test_sign_in_page_for_signed_in_person_goes_to_desk(client, world):
    someone = factories.member(Role.GRID_WORKER, world.community)
    sign_in(client, someone)
    response = client.get("/login")
    assert response.headers["Location"] == "/desk/grid_worker"
