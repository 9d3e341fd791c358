"""Notifications: the in-app inbox and its unread count, and the outbox delivering by e-mail
(to a real SMTP server on 127.0.0.1) or webhook (a real HTTP server), with retries and dead
letters. Delivery happens after the fact: a far side that fails never fails the case action."""

import email
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from email import policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from portal import clock
from portal.accounts.roles import Role
from portal.cases import service
from portal.cases.models import Case
from portal.extensions import db
from portal.feedback.sweep import sweep
from portal.notifications.delivery import deliver
from portal.notifications.models import Notification, OutboxMessage, OutboxState
from tests import factories
from tests.conftest import _fresh_request, sign_in, texts

T = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
BASE_URL = "https://portal.example.cn"
NONE_SENT = {"sent": 0, "retried": 0, "dead": 0}


# -- the app, with the channels each test asks for ---------------------------------------------


@pytest.fixture
def settings():
    """Extra settings of this test's app; classes below override it to turn channels on."""
    return {}


@pytest.fixture
def app(app_factory, settings):
    """As tests/conftest.py's app, built with `settings` (the world and client use it)."""
    app = app_factory(BASE_URL=BASE_URL, **settings)
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def team(world):
    return factories.cast(
        world, "reporter neighbour secretary deputy fitter", neighbour={"building_code": "3"}
    )


def file_case(world, team, by=None, **contact) -> Case:
    return factories.case(
        world,
        by=by or team.reporter,
        description="水管漏水",
        location="2-301",
        contact_name=contact.get("name", ""),
        contact_phone=contact.get("phone", ""),
    )


def client_of(app, person):
    client = app.test_client()
    assert sign_in(client, person).status_code == 302
    return client


def inbox_of(person, kind=None) -> list[Notification]:
    statement = select(Notification).where(Notification.person_id == person.id)
    if kind:
        statement = statement.where(Notification.kind == kind)
    return list(db.session.scalars(statement.order_by(Notification.id)))


def header_count(response) -> str | None:
    """The unread number in the header's inbox link, or None when it shows none."""
    html = response.get_data(as_text=True)
    link = re.search(r'<a id="inbox-count"[^>]*>(.*?)</a>', html, re.S)
    assert link, "the header has the inbox link"
    count = re.search(r'<span class="count"[^>]*>(\d+)</span>', link.group(1))
    return count.group(1) if count else None


def accept_by_post(client, case, assignee):
    return client.post(
        f"/cases/{case.number}/accept",
        data={
            "version": case.version,
            "category": "repair",
            "priority": "normal",
            "lead_party": "property",
            "assignee": assignee.id,
        },
    )


# -- the inbox ---------------------------------------------------------------------------------


def test_the_reporter_hears_when_the_secretary_accepts_and_sees_the_count(app, world, team):
    case = file_case(world, team)
    reporter = client_of(app, team.reporter)
    assert header_count(reporter.get("/my")) is None
    assert inbox_of(team.reporter) == []

    response = accept_by_post(client_of(app, team.secretary), case, team.fitter)
    assert response.status_code == 302, texts(response)
    db.session.expire_all()
    kinds = [n.kind for n in inbox_of(team.reporter)]
    assert kinds == ["accept", "assigned_to_party"]
    accepted = inbox_of(team.reporter, "accept")[0]
    assert (accepted.case_id, accepted.link, accepted.read_at) == (
        case.id,
        f"/cases/{case.number}",
        None,
    )

    page = reporter.get("/my")
    assert header_count(page) == "2"
    assert 'aria-label="2 条未读"' in page.get_data(as_text=True)
    inbox = texts(reporter.get("/inbox"))
    assert f"您的事项 {case.number} 已受理。" in inbox
    assert f"您的事项 {case.number} 正在办理。" in inbox


def test_the_count_fragment_is_the_link_alone_polled_by_htmx(app, world, team):
    case = file_case(world, team)
    factories.accept(case, team.secretary)
    response = client_of(app, team.reporter).get("/inbox/count")
    assert response.status_code == 200
    html = response.get_data(as_text=True).strip()
    assert html.startswith('<a id="inbox-count"') and html.endswith("</a>")
    assert "<html" not in html and "<body" not in html and "<header" not in html
    assert 'hx-get="/inbox/count"' in html and 'hx-trigger="every 30s"' in html
    assert 'hx-swap="outerHTML"' in html
    assert header_count(response) == "1"


def test_the_inbox_needs_signing_in(app, world, team):
    anonymous = app.test_client()
    for address in ("/inbox", "/inbox/count"):
        response = anonymous.get(address)
        assert response.status_code in (302, 401), address
        assert "inbox-count" not in response.get_data(as_text=True)


def test_opening_a_notification_marks_it_read_and_goes_to_the_case(app, world, team):
    case = file_case(world, team)
    factories.accept(case, team.secretary)
    [row] = inbox_of(team.reporter)
    reporter = client_of(app, team.reporter)

    response = reporter.post(f"/inbox/{row.id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.number}"
    db.session.expire_all()
    assert db.session.get(Notification, row.id).read_at is not None
    assert header_count(reporter.get("/inbox/count")) is None
    assert reporter.get(response.headers["Location"]).status_code == 200


def test_someone_else_cannot_open_my_notification(app, world, team):
    case = file_case(world, team)
    factories.accept(case, team.secretary)
    [row] = inbox_of(team.reporter)
    for person in (team.neighbour, team.secretary):
        assert client_of(app, person).post(f"/inbox/{row.id}").status_code == 404
    assert client_of(app, team.neighbour).post("/inbox/999999").status_code == 404
    db.session.expire_all()
    assert db.session.get(Notification, row.id).read_at is None


def test_mark_all_read_touches_only_my_rows(app, world, team):
    case = file_case(world, team)
    factories.accept(case, team.secretary, assignee=team.fitter)
    assert inbox_of(team.fitter)
    response = client_of(app, team.reporter).post("/inbox/read")
    assert response.status_code == 302
    db.session.expire_all()
    assert all(n.read_at for n in inbox_of(team.reporter))
    assert all(n.read_at is None for n in inbox_of(team.fitter))


def test_nobody_is_told_of_what_they_did_themself(app, world, team):
    # The secretary files on a resident's behalf: the other secretary hears of it, she does not.
    case = file_case(world, team, by=team.secretary, name="刘大爷", phone="13900002222")
    assert case.on_behalf
    assert inbox_of(team.secretary) == []
    assert [n.kind for n in inbox_of(team.deputy)] == ["file"]

    # She assigns it to herself: the assignment tells nobody (no reporter account either).
    secretary = client_of(app, team.secretary)
    assert accept_by_post(secretary, case, team.secretary).status_code == 302
    db.session.expire_all()
    assert inbox_of(team.secretary) == []

    # The fitter resolves a case of his own: the resident hears, he does not.
    own = file_case(world, team)
    factories.accept(own, team.secretary, assignee=team.fitter)
    service.resolve(own, team.fitter, version=own.version, body="已修好")
    assert len(inbox_of(team.fitter)) == 1  # his assignment, not his own resolution
    assert "resolve" in [n.kind for n in inbox_of(team.reporter)]
    # The secretary heard only of the resident's filing, not of her own acts.
    assert [(n.kind, n.case_id) for n in inbox_of(team.secretary)] == [("file", own.id)]


@pytest.mark.parametrize("how", ["accept with an assignee", "assign", "reassign"])
def test_the_assignee_is_told_the_case_is_assigned_to_them(app, world, team, how):
    case = file_case(world, team)
    secretary = client_of(app, team.secretary)
    if how == "accept with an assignee":
        assert accept_by_post(secretary, case, team.fitter).status_code == 302
    else:
        first = team.fitter if how == "assign" else team.deputy
        factories.accept(case, team.secretary, assignee=None if how == "assign" else first)
        assert (
            secretary.post(
                f"/cases/{case.number}/assign",
                data={"version": case.version, "assignee": team.fitter.id},
            ).status_code
            == 302
        )
    db.session.expire_all()
    assert [n.kind for n in inbox_of(team.fitter)] == ["assign"]
    assert f"事项 {case.number} 已派给您。" in texts(client_of(app, team.fitter).get("/inbox"))
    if how != "reassign":  # the reporter, for their part, hears that it is being handled
        assert [n.kind for n in inbox_of(team.reporter)][-1] == "assigned_to_party"


def test_an_unread_notification_is_not_labelled_as_a_newly_reported_case(app, world, team):
    case = file_case(world, team)
    factories.accept(case, team.secretary)
    html = client_of(app, team.reporter).get("/inbox").get_data(as_text=True)
    rows = re.search(r'<ul class="rows inbox">.*?</ul>', html, re.S).group(0)
    assert f"您的事项 {case.number} 已受理。" in rows
    assert "新反映" not in rows


def test_internal_notes_never_reach_the_resident(app, world, team):
    case = file_case(world, team)
    factories.accept(case, team.secretary, assignee=team.fitter)
    before = len(inbox_of(team.reporter))
    service.post_update(case, team.fitter, body="配件要等三天", public=False)
    assert len(inbox_of(team.reporter)) == before
    service.post_update(case, team.fitter, body="明天上午上门", public=True)
    assert [n.kind for n in inbox_of(team.reporter)][-1] == "progress"


def test_without_a_channel_no_outbox_rows_are_made(app, world, team):
    team.reporter.email = "wang@example.cn"
    db.session.commit()
    case = file_case(world, team)
    factories.accept(case, team.secretary, assignee=team.fitter)
    service.resolve(case, team.fitter, version=case.version, body="已修好")
    assert len(inbox_of(team.reporter)) == 3
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    assert deliver() == NONE_SENT


# -- a real SMTP server ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Refusing:
    """An SMTP server that refuses every recipient."""

    def __init__(self):
        self.refused = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.refused.append(address)
        return "550 refused"


class Accepting:
    """An SMTP server that keeps every mail it is given."""

    def __init__(self):
        self.mails = []

    async def handle_DATA(self, server, session, envelope):
        self.mails.append(
            SimpleNamespace(
                sender=envelope.mail_from,
                recipients=list(envelope.rcpt_tos),
                message=email.message_from_bytes(envelope.original_content, policy=policy.default),
            )
        )
        return "250 OK"


def smtp_server(handler):
    from aiosmtpd.controller import Controller

    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller


@pytest.fixture
def refusing():
    handler = Refusing()
    controller = smtp_server(handler)
    yield SimpleNamespace(port=controller.port, handler=handler)
    controller.stop()


@pytest.fixture
def accepting():
    handler = Accepting()
    controller = smtp_server(handler)
    yield SimpleNamespace(port=controller.port, handler=handler)
    controller.stop()


def resolve_by_post(app, world, team, at=T, email=None) -> Case:
    """A case accepted for the fitter, who then resolves it on the page at `at`. The reporter
    gives their e-mail address (if any) just before, so the resolution is all they are mailed."""
    with clock.fixed(at):
        case = file_case(world, team)
        factories.accept(case, team.secretary, assignee=team.fitter)
        if email:
            team.reporter.email = email
            db.session.commit()
        response = client_of(app, team.fitter).post(
            f"/cases/{case.number}/resolve",
            data={"version": case.version, "body": "更换了漏水的水管接头"},
        )
    assert response.status_code == 302, texts(response)
    return case


def the_message(channel=None) -> OutboxMessage:
    """The one outbox message of the reporter's "resolved" notification (on `channel`)."""
    db.session.expire_all()
    statement = select(OutboxMessage).join(Notification).where(Notification.kind == "resolve")
    if channel:
        statement = statement.where(OutboxMessage.channel == channel)
    [message] = db.session.scalars(statement).all()
    return message


def outbox_size() -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


def deliver_at(moment, run=deliver) -> dict:
    with clock.fixed(moment):
        counts = run()
    return {key: counts[key] for key in NONE_SENT}


class TestARefusingMailServer:
    @pytest.fixture
    def settings(self, refusing):
        return {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": refusing.port,
            "OUTBOX_MAX_ATTEMPTS": 3,
            "OUTBOX_BACKOFF_SECONDS": 60,
        }

    def test_the_action_succeeds_and_delivery_retries_with_growing_delays_then_gives_up(
        self, app, world, team, refusing
    ):
        case = resolve_by_post(app, world, team, email="wang@example.cn")
        assert outbox_size() == 1  # only the reporter has an address

        message = the_message()
        assert (message.channel, message.address, message.state, message.attempts) == (
            "email",
            "wang@example.cn",
            OutboxState.PENDING,
            0,
        )
        assert message.next_attempt_at == T
        assert message.notification.person_id == team.reporter.id
        assert message.notification.kind == "resolve"
        assert case.number in message.subject

        tried_at = T
        assert deliver_at(tried_at) == {**NONE_SENT, "retried": 1}
        message = the_message()
        assert (message.state, message.attempts) == (OutboxState.PENDING, 1)
        assert message.next_attempt_at - tried_at == timedelta(seconds=60)
        assert "SMTPRecipientsRefused" in message.last_error and "refused" in message.last_error

        # Not due yet: left alone.
        assert deliver_at(message.next_attempt_at - timedelta(seconds=1)) == NONE_SENT
        assert the_message().attempts == 1

        tried_at = message.next_attempt_at
        assert deliver_at(tried_at, run=sweep) == {**NONE_SENT, "retried": 1}
        message = the_message()
        assert message.attempts == 2
        assert message.next_attempt_at - tried_at == timedelta(seconds=120)  # twice as long

        tried_at = message.next_attempt_at
        assert deliver_at(tried_at) == {**NONE_SENT, "dead": 1}
        message = the_message()
        assert (message.state, message.attempts, message.sent_at) == (OutboxState.DEAD, 3, None)
        assert "SMTPRecipientsRefused" in message.last_error
        assert refusing.handler.refused == ["wang@example.cn"] * 3

        assert deliver_at(tried_at + timedelta(days=1)) == NONE_SENT
        assert refusing.handler.refused == ["wang@example.cn"] * 3

        admin = client_of(app, factories.member(Role.ADMIN, name="周管理"))
        page = texts(admin.get("/admin/outbox"))
        assert "已放弃发送" in page and "等待发送或重试：0" in page
        assert "w***@example.cn" in page and "尝试 3 次" in page
        assert "SMTPRecipientsRefused" in page and "resolve" in page
        # Administrators keep the organisation, not the cases: no message text on this page.
        assert case.number not in texts(admin.get("/admin/outbox")).replace("SMTP", "")
        assert client_of(app, team.secretary).get("/admin/outbox").status_code == 403

    def test_the_delays_keep_doubling_with_more_attempts(self, app, world, team, refusing):
        app.config["OUTBOX_MAX_ATTEMPTS"] = 5
        resolve_by_post(app, world, team, email="wang@example.cn")
        delays, moment = [], T
        for _attempt in range(4):
            assert deliver_at(moment)["retried"] == 1
            message = the_message()
            delays.append((message.next_attempt_at - moment).total_seconds())
            moment = message.next_attempt_at
        assert delays == [60, 120, 240, 480]
        assert deliver_at(moment)["dead"] == 1

    def test_a_server_that_is_down_does_not_stop_the_action_either(
        self, app, world, team, refusing
    ):
        app.config["SMTP_PORT"] = free_port()  # nobody listens there
        resolve_by_post(app, world, team, email="wang@example.cn")
        assert deliver_at(T) == {**NONE_SENT, "retried": 1}
        assert "ConnectionRefusedError" in the_message().last_error


class TestAnAcceptingMailServer:
    @pytest.fixture
    def settings(self, accepting):
        return {
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": accepting.port,
            "SMTP_FROM": "portal@example.cn",
        }

    def test_the_mail_arrives_with_the_case_number_and_its_link(self, app, world, team, accepting):
        case = resolve_by_post(app, world, team, email="wang@example.cn")
        assert deliver_at(T) == {**NONE_SENT, "sent": 1}

        [mail] = accepting.handler.mails
        assert mail.sender == "portal@example.cn" and mail.recipients == ["wang@example.cn"]
        message = mail.message
        assert message["To"] == "wang@example.cn"
        assert message["Subject"] == (
            f"您的事项 {case.number} 已办结。问题真的解决了吗？请在事项页面告诉我们。"
        )
        body = message.get_content()
        assert case.number in body
        assert f"{BASE_URL}/cases/{case.number}" in body

        stored = the_message()
        assert (stored.state, stored.attempts, stored.sent_at, stored.last_error) == (
            OutboxState.SENT,
            1,
            T,
            None,
        )
        assert deliver_at(T + timedelta(hours=1)) == NONE_SENT
        assert len(accepting.handler.mails) == 1  # sent once, never again

    def test_each_person_gets_mail_in_their_own_language(self, app, world, team, accepting):
        team.reporter.locale = "en"
        case = resolve_by_post(app, world, team, email="wang@example.cn")
        assert deliver_at(T)["sent"] == 1
        [mail] = accepting.handler.mails
        assert mail.message["Subject"].startswith(f"Your case {case.number} is resolved.")

    def test_people_without_an_address_get_no_mail(self, app, world, team, accepting):
        resolve_by_post(app, world, team)  # the reporter has no e-mail address
        assert inbox_of(team.reporter, "resolve")
        assert outbox_size() == 0

    def test_nobody_is_mailed_who_turned_e_mail_off(self, app, world, team, accepting):
        team.reporter.notify_by_email = False
        db.session.commit()
        resolve_by_post(app, world, team, email="wang@example.cn")
        assert inbox_of(team.reporter, "resolve") and outbox_size() == 0

    def test_a_new_address_is_confirmed_by_the_link_mailed_to_it(self, app, world, team, accepting):
        reporter = client_of(app, team.reporter)
        assert reporter.post("/me/email", data={"email": "wang@example.cn"}).status_code == 302
        [mail] = accepting.handler.mails
        assert mail.message["To"] == "wang@example.cn"
        body = mail.message.get_content()
        path = re.search(re.escape(BASE_URL) + r"(/me/email/\S+)", body).group(1)
        assert db.session.get(type(team.reporter), team.reporter.id).email is None
        reporter.get(path)
        assert db.session.get(type(team.reporter), team.reporter.id).email == "wang@example.cn"

    def test_a_refused_confirmation_mail_keeps_the_address_typed(self, app, world, team, refusing):
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=refusing.port)
        reporter = client_of(app, team.reporter)
        response = reporter.post("/me/email", data={"email": "wang@example.cn"})
        assert response.status_code == 503 and "邮件暂时无法发送" in texts(response)
        assert 'value="wang@example.cn"' in response.get_data(as_text=True)


# -- a webhook ---------------------------------------------------------------------------------


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.calls.append(
            SimpleNamespace(path=self.path, headers=dict(self.headers), body=body)
        )
        time.sleep(self.server.delay)  # a slow gateway, for the tests that want one
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def hook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.calls, server.status, server.delay = [], 200, 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def hook_url(hook) -> str:
    return f"http://127.0.0.1:{hook.server_address[1]}/sms"


def calls_to(hook, phone) -> list[dict]:
    return [json.loads(c.body) for c in hook.calls if json.loads(c.body)["phone"] == phone]


class TestASignedWebhook:
    SECRET = "hook-secret"

    @pytest.fixture
    def settings(self, hook):
        return {"WEBHOOK_URL": hook_url(hook), "WEBHOOK_SECRET": self.SECRET}

    def test_the_gateway_gets_the_phone_and_text_signed(self, app, world, team, hook):
        case = resolve_by_post(app, world, team)
        message = the_message()
        assert (message.channel, message.address) == ("webhook", team.reporter.phone)
        # Everyone has a phone: each notification of the case went into the outbox.
        waiting = outbox_size()
        assert waiting == db.session.scalar(select(func.count(Notification.id)))
        assert deliver_at(T) == {**NONE_SENT, "sent": waiting}
        assert len(hook.calls) == waiting

        for call in hook.calls:
            assert call.path == "/sms"
            assert call.headers["Content-Type"] == "application/json; charset=utf-8"
            expected = hmac.new(self.SECRET.encode(), call.body, hashlib.sha256).hexdigest()
            assert call.headers["X-Portal-Signature"] == f"sha256={expected}"
        [resolved] = [p for p in calls_to(hook, team.reporter.phone) if "已办结" in p["text"]]
        assert set(resolved) == {"phone", "subject", "text"}
        assert resolved["subject"] == (
            f"您的事项 {case.number} 已办结。问题真的解决了吗？请在事项页面告诉我们。"
        )
        assert resolved["text"] == f"{resolved['subject']}\n\n{BASE_URL}/cases/{case.number}"
        assert the_message().state is OutboxState.SENT

    def test_a_forged_body_does_not_match_the_signature(self, app, world, team, hook):
        resolve_by_post(app, world, team)
        deliver_at(T)
        call = hook.calls[0]
        forged = call.body.replace(b'"phone": "', b'"phone": "1')
        assert forged != call.body
        assert (
            call.headers["X-Portal-Signature"]
            != "sha256=" + hmac.new(self.SECRET.encode(), forged, hashlib.sha256).hexdigest()
        )

    def test_a_gateway_error_is_retried(self, app, world, team, hook):
        hook.status = 503
        resolve_by_post(app, world, team)
        waiting = outbox_size()
        assert deliver_at(T) == {**NONE_SENT, "retried": waiting}
        message = the_message()
        assert "HTTPError" in message.last_error and "503" in message.last_error
        assert message.next_attempt_at == T + timedelta(seconds=60)
        hook.status = 200
        assert deliver_at(T + timedelta(seconds=59)) == NONE_SENT
        assert deliver_at(T + timedelta(seconds=60)) == {**NONE_SENT, "sent": waiting}
        assert len(hook.calls) == 2 * waiting
        assert the_message().attempts == 2

    def test_a_sign_up_code_goes_to_the_gateway_at_once_signed(self, app, world, hook):
        building = world.ymn.buildings[0]
        visitor = app.test_client()
        form = {
            "name": "张秀英",
            "phone": "13712340000",
            "building": str(building.id),
            "room": "1-101",
            "password": "longenough1",
            "confirm": "longenough1",
            "privacy": "y",
        }
        assert visitor.post("/c/ymn/signup", data=form).status_code == 302
        assert outbox_size() == 0  # not through the outbox: the code is needed now
        [call] = hook.calls
        payload = json.loads(call.body)
        assert payload["phone"] == "13712340000" and "注册验证码" in payload["text"]
        expected = hmac.new(self.SECRET.encode(), call.body, hashlib.sha256).hexdigest()
        assert call.headers["X-Portal-Signature"] == f"sha256={expected}"
        code = re.search(r"[0-9]{6}", payload["text"]).group()
        done = visitor.post("/c/ymn/signup/confirm", data={"code": code})
        assert done.headers["Location"] == "/my"

    def test_a_gateway_that_fails_keeps_the_sign_up_form(self, app, world, hook):
        hook.status = 500
        form = {
            "name": "张秀英",
            "phone": "13712340000",
            "building": str(world.ymn.buildings[0].id),
            "room": "1-101",
            "password": "longenough1",
            "confirm": "longenough1",
            "privacy": "y",
        }
        response = app.test_client().post("/c/ymn/signup", data=form)
        assert response.status_code == 503 and "短信暂时无法发送" in texts(response)
        assert 'value="张秀英"' in response.get_data(as_text=True)

    def test_nobody_is_texted_who_turned_text_messages_off(self, app, world, team, hook):
        team.reporter.notify_by_text = False
        db.session.commit()
        resolve_by_post(app, world, team)
        assert outbox_size() > 0
        assert not db.session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.address == team.reporter.phone)
        )


class TestAnUnsignedWebhook:
    @pytest.fixture
    def settings(self, hook):
        return {"WEBHOOK_URL": hook_url(hook)}

    def test_no_signature_without_a_secret(self, app, world, team, hook):
        resolve_by_post(app, world, team)
        assert deliver_at(T)["sent"] == outbox_size() > 0
        assert all("X-Portal-Signature" not in call.headers for call in hook.calls)


class TestBothChannels:
    @pytest.fixture
    def settings(self, hook, accepting):
        return {
            "WEBHOOK_URL": hook_url(hook),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": accepting.port,
        }

    def test_one_notification_goes_out_on_each_channel(self, app, world, team, hook, accepting):
        case = resolve_by_post(app, world, team, email="wang@example.cn")
        assert the_message("email").notification_id == the_message("webhook").notification_id
        deliver_at(T)
        [mail] = accepting.handler.mails
        assert case.number in mail.message["Subject"]
        assert [
            p
            for p in calls_to(hook, team.reporter.phone)
            if case.number in p["text"] and "已办结" in p["text"]
        ]


# -- two deliverers at once --------------------------------------------------------------------


def deliver_twice_at_once(app) -> list:
    """Two deliverers, each in its own thread, app context and session, starting together.
    Returns what each deliver() returned (or the error it raised)."""
    db.session.commit()  # nothing of the test's own transaction in the way
    start = threading.Barrier(2, timeout=30)
    results: list = [None, None]

    def run(index):
        with app.app_context():
            try:
                start.wait()
                results[index] = deliver()
            except Exception as error:
                results[index] = repr(error)
                start.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a deliverer is stuck"
    return results


class TestTwoDeliverersAtOnce:
    MESSAGES = 60

    @pytest.fixture
    def settings(self, hook):
        hook.delay = 0.02  # 20 ms a message: both deliverers are still sending at the same time
        return {"WEBHOOK_URL": hook_url(hook)}

    def test_two_deliverers_at_once_send_every_message_exactly_once(
        self, app, world, team, hook, database
    ):
        told = Notification(person_id=team.reporter.id, kind="file", params={}, link="")
        db.session.add(told)
        db.session.add_all(
            OutboxMessage(
                notification=told,
                channel="webhook",
                address=team.reporter.phone,
                subject=f"第{n}条",
                body=f"第{n}条消息",
            )
            for n in range(self.MESSAGES)
        )
        db.session.commit()
        assert outbox_size() == self.MESSAGES

        results = deliver_twice_at_once(app)
        assert all(isinstance(r, dict) for r in results), results
        assert sum(r["sent"] for r in results) == self.MESSAGES, results
        assert sum(r["retried"] + r["dead"] for r in results) == 0, results

        received = Counter(json.loads(call.body)["subject"] for call in hook.calls)
        assert set(received) == {f"第{n}条" for n in range(self.MESSAGES)}
        assert [s for s, times in received.items() if times > 1] == [], "sent more than once"

        db.session.expire_all()
        rows = db.session.scalars(select(OutboxMessage)).all()
        assert {(m.state, m.attempts) for m in rows} == {(OutboxState.SENT, 1)}
        if database.dialect == "postgresql":
            # SKIP LOCKED: each takes a batch the other is not claiming, and both do work.
            # (SQLite has one writer at a time; there the claims only keep the sends apart.)
            assert all(r["sent"] > 0 for r in results), results
