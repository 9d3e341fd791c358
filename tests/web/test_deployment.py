"""Deployment: outside local runs no poster, receipt, API answer or message hands out a link to
a PORTAL_BASE_URL that leads nowhere; a wheel of the project installs a portal that speaks
Chinese and builds its database; a fresh clone has instance/ and keeps what is written there
out of git."""

import html
import json
import logging
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from sqlalchemy import select

from portal import create_app
from portal.accounts.roles import Role
from portal.extensions import db
from portal.notifications.models import OutboxMessage
from portal.open311 import keys
from portal.settings import base_url_problem
from tests import factories
from tests.conftest import ROOT, _fresh_request, app_settings, sign_in, texts

UNUSABLE = [None, "http://localhost:5000", "http://127.0.0.1"]
PUBLIC = "https://portal.example.cn"
REFUSED_ZH = "平台的公网地址尚未设置，暂不能打印二维码海报"
REFUSED_EN = "No poster until the portal's public address is set"
WITHHELD_ZH = "暂时无法提供跟进此事项的专属链接"
WITHHELD_EN = "The private link to follow your case cannot be given yet"


@pytest.fixture
def deployed(database, tmp_path, monkeypatch):
    """Makes the app as a server runs it: not testing, not debug, no PORTAL_ENV; the address
    from PORTAL_BASE_URL (None: unset), as an operator sets it."""
    made = []

    def make(base_url: str | None, env: str | None = None, **extra):
        for name in ("PORTAL_ENV", "FLASK_DEBUG", "PORTAL_BASE_URL"):
            monkeypatch.delenv(name, raising=False)
        if env:
            monkeypatch.setenv("PORTAL_ENV", env)
        if base_url is not None:
            monkeypatch.setenv("PORTAL_BASE_URL", base_url)
        overrides = app_settings(database.url, UPLOAD_FOLDER=str(tmp_path / "uploads"), **extra)
        del overrides["TESTING"], overrides["BASE_URL"]  # what a test run would decide
        app = create_app(overrides)
        app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request)
        context = app.app_context()
        context.push()
        db.create_all()
        made.append((app, context))
        return app

    yield make
    for _app, context in reversed(made):
        db.session.remove()
        db.engine.dispose()
        context.pop()


def words(response) -> str:
    return html.unescape(texts(response))


def signed_in(app, person):
    client = app.test_client()
    assert sign_in(client, person).status_code == 302
    return client


def file_as_visitor(app, world, client=None, description="电梯困人，按钮失灵"):
    """A visitor files through the lobby form; answers the receipt page."""
    client = client or app.test_client()
    building = next(b for b in world.ymn.buildings if b.code == "2")
    response = client.post(
        "/c/ymn/report",
        data={
            "building": str(building.id),
            "category": "lift",
            "description": description,
            "contact_name": "王阿姨",
            "contact_phone": "13712345678",
            "privacy": "y",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, texts(response)
    return client.get(response.headers["Location"])


# -- which addresses will do -------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        "http://localhost:5000",
        "http://LOCALHOST",
        "http://portal.localhost",
        "http://127.0.0.1",
        "http://127.8.0.1:8000",
        "http://[::1]:5000",
        "http://[::ffff:127.0.0.1]",
        "http://0.0.0.0:5000",
        "portal.example.cn",  # no scheme: the links would be relative
        "ftp://portal.example.cn",
        "http://[::1",
    ],
)
def test_an_address_of_this_machine_or_no_address_will_not_do(base_url):
    assert base_url_problem(base_url)


@pytest.mark.parametrize(
    "base_url", [PUBLIC, "http://portal.example.cn:8080", "http://10.1.2.3", "http://[2001:db8::1]"]
)
def test_a_public_or_intranet_address_will_do(base_url):
    assert base_url_problem(base_url) is None


@pytest.mark.parametrize("base_url", UNUSABLE)
def test_server_start_warns_while_the_address_will_not_do(deployed, caplog, base_url):
    with caplog.at_level(logging.WARNING, logger="portal"):
        deployed(base_url)
    [warning] = [r for r in caplog.records if "PORTAL_BASE_URL" in r.getMessage()]
    assert warning.levelno == logging.WARNING
    assert ("unset" if base_url is None else "set") in warning.getMessage()


def test_server_start_is_quiet_with_a_public_address(deployed, caplog):
    with caplog.at_level(logging.WARNING, logger="portal"):
        deployed(PUBLIC)
    assert not [r for r in caplog.records if "PORTAL_BASE_URL" in r.getMessage()]


# -- what is refused, and what is shown instead --------------------------------------------------


@pytest.mark.parametrize("base_url", UNUSABLE)
def test_secretary_gets_no_poster_and_is_told_the_administrator_must_set_the_address(
    deployed, base_url
):
    app = deployed(base_url)
    world = factories.world()
    secretary = factories.member(Role.SECRETARY, world.ymn)
    response = signed_in(app, secretary).get("/c/ymn/poster?building=2")
    assert response.status_code == 503
    page = words(response)
    assert REFUSED_ZH in page and "PORTAL_BASE_URL" in page and "请联系本平台管理员" in page
    assert "<svg" not in response.get_data(as_text=True)
    assert "/c/ymn/report" not in response.get_data(as_text=True)
    assert '<html lang="zh-CN">' in response.get_data(as_text=True)  # the portal's own layout


@pytest.mark.parametrize("base_url", UNUSABLE)
def test_english_speaking_secretary_is_told_the_same_in_english(deployed, base_url):
    app = deployed(base_url)
    world = factories.world()
    secretary = factories.member(Role.SECRETARY, world.ymn, locale="en")
    response = signed_in(app, secretary).get("/c/ymn/poster")
    assert response.status_code == 503
    page = words(response)
    assert REFUSED_EN in page
    assert "Ask the portal's administrator to set PORTAL_BASE_URL" in page
    assert REFUSED_ZH not in page and "<svg" not in response.get_data(as_text=True)


@pytest.mark.parametrize("base_url", UNUSABLE)
def test_visitors_receipt_gives_the_number_but_no_link_to_nowhere(deployed, base_url):
    app = deployed(base_url)
    world = factories.world()
    receipt = file_as_visitor(app, world)
    assert receipt.status_code == 200
    page = words(receipt)
    [number] = [word for word in page.split() if word.startswith("ymn-")]
    assert WITHHELD_ZH in page
    assert "key=" not in receipt.get_data(as_text=True)
    assert "127.0.0.1" not in page and "localhost" not in page
    # The visitor's own browser still opens the case from the receipt's button.
    assert f'href="/cases/{number}"' in receipt.get_data(as_text=True)


def test_receipt_in_english_says_the_link_cannot_be_given_yet(deployed):
    app = deployed(None)
    world = factories.world()
    client = app.test_client()
    client.post("/language", data={"locale": "en", "next": "/"})
    page = words(file_as_visitor(app, world, client, description="The lift is stuck"))
    assert WITHHELD_EN in page and WITHHELD_ZH not in page


@pytest.mark.parametrize("base_url", UNUSABLE)
def test_open311_answer_leaves_follow_url_out(deployed, base_url):
    app = deployed(base_url)
    world = factories.world()
    key = keys.issue("12345热线", world.ymn, may_read=True, may_file=True)[1]
    response = app.test_client().post(
        "/open311/v2/requests.json",
        data={
            "api_key": key,
            "jurisdiction_id": "ymn",
            "service_code": "lift",
            "attribute[building]": "2",
            "attribute[urgent]": "true",
            "description": "3号电梯困人，按钮没有反应",
            "first_name": "秀英",
            "last_name": "王",
            "phone": "13711112222",
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    [filed] = json.loads(response.data)
    assert filed["service_request_id"].startswith("ymn-")
    assert "follow_url" not in filed


def test_messages_leave_the_link_out_while_the_address_will_not_do(deployed):
    deployed(None, WEBHOOK_URL="https://hooks.example.cn/portal")  # never called here
    world = factories.world()
    team = factories.cast(world, "reporter secretary")
    case = factories.case(world, by=team.reporter)
    db.session.commit()
    bodies = db.session.scalars(select(OutboxMessage.body)).all()
    assert bodies, "filing a case tells the secretary"
    for body in bodies:
        assert "http" not in body and f"/cases/{case.number}" not in body


# -- a public address, and local runs as before ---------------------------------------------------


def test_with_a_public_address_the_poster_prints_it(deployed):
    app = deployed(PUBLIC + "/")
    world = factories.world()
    secretary = factories.member(Role.SECRETARY, world.ymn)
    response = signed_in(app, secretary).get("/c/ymn/poster?building=2")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<svg" in html
    assert '<p class="address">https://portal.example.cn/c/ymn/report?building=2</p>' in html


def test_with_a_public_address_the_receipt_and_the_api_give_the_follow_link(deployed):
    app = deployed(PUBLIC)
    world = factories.world()
    receipt = file_as_visitor(app, world)
    assert f'<a href="{PUBLIC}/cases/' in receipt.get_data(as_text=True)
    assert WITHHELD_ZH not in words(receipt)


def test_development_run_prints_posters_with_the_loopback_default(deployed):
    app = deployed(None, env="development")
    world = factories.world()
    secretary = factories.member(Role.SECRETARY, world.ymn)
    response = signed_in(app, secretary).get("/c/ymn/poster")
    assert response.status_code == 200
    assert '<p class="address">http://127.0.0.1:5000/c/ymn/report</p>' in response.get_data(
        as_text=True
    )
    receipt = file_as_visitor(app, world)
    assert '<a href="http://127.0.0.1:5000/cases/' in receipt.get_data(as_text=True)


# -- pip install . ------------------------------------------------------------------------------

INSTALLED = """
import json, os, sys
from pathlib import Path

import portal
from flask_migrate import upgrade
from portal.extensions import db

app = portal.create_app()
with app.app_context():
    upgrade()
    db.engine.dispose()
demo = app.test_cli_runner().invoke(args=["portal", "demo"])
page = app.test_client().get("/login")
print(json.dumps({
    "portal": portal.__file__,
    "migrations": str(portal.MIGRATIONS),
    "demo_exit": demo.exit_code,
    "demo": demo.output,
    "status": page.status_code,
    "page": page.get_data(as_text=True),
}))
"""


def source_tree(target: Path) -> Path:
    """The project's files as a fresh clone has them: no catalogue compiled, no build left over
    (and the build writes there, not into the checkout)."""
    target.mkdir()
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "vendor")
    for folder in ("portal", "migrations"):
        shutil.copytree(ROOT / folder, target / folder, ignore=skip)
    return target


def test_a_wheel_of_the_project_installs_a_chinese_portal_that_builds_its_database(tmp_path):
    source = source_tree(tmp_path / "source")
    assert not list(source.rglob("*.mo"))
    wheels = tmp_path / "wheels"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    built = subprocess.run(
        [*build, "-w", str(wheels), str(source)], capture_output=True, text=True, cwd=tmp_path
    )
    assert built.returncode == 0, built.stderr
    [wheel] = wheels.glob("portal-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        site = tmp_path / "site"
        archive.extractall(site)
    for locale in ("zh_Hans_CN", "en"):
        assert f"portal/translations/{locale}/LC_MESSAGES/messages.mo" in names
    mo = site / "portal" / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo"
    with mo.open("rb") as compiled:
        assert read_mo(compiled).get(REFUSED_EN).string == REFUSED_ZH  # built from today's .po
    assert "portal/migrations/env.py" in names and "portal/migrations/alembic.ini" in names
    assert {n for n in names if n.startswith("portal/migrations/versions/")}

    work = tmp_path / "work"
    work.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PORTAL_", "FLASK_")) and key not in ("DATABASE_URL",)
    }
    env.update(
        PYTHONPATH=str(site),
        DATABASE_URL=f"sqlite:///{tmp_path / 'installed.sqlite3'}",
        SECRET_KEY="wheel-test",
        PORTAL_BASE_URL=PUBLIC,
        PORTAL_PASSWORD_HASH_METHOD="pbkdf2:sha256:1000",
    )
    run = subprocess.run(
        [sys.executable, "-c", INSTALLED], cwd=work, env=env, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.strip().splitlines()[-1])
    assert Path(found["portal"]).is_relative_to(site)  # the wheel's copy, not the checkout's
    assert Path(found["migrations"]) == site / "portal" / "migrations"
    assert found["demo_exit"] == 0, found["demo"]
    assert found["status"] == 200
    assert "登录" in found["page"] and "手机号码" in found["page"]
    assert "Sign in" not in found["page"]


# -- instance/ ----------------------------------------------------------------------------------


def test_a_fresh_clone_has_instance_and_git_ignores_what_the_portal_writes_there():
    assert (ROOT / "instance" / ".gitignore").is_file()

    def ignored(path):
        result = subprocess.run(
            ["git", "check-ignore", "--no-index", "-q", path], cwd=ROOT, capture_output=True
        )
        assert result.returncode in (0, 1), result.stderr
        return result.returncode == 0

    assert not ignored("instance/.gitignore")
    for written in ("instance/secret_key", "instance/portal.sqlite3", "instance/uploads/a.jpg"):
        assert ignored(written), written
