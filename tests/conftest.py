"""Test set-up: the app on a fresh database per test (SQLite, or PostgreSQL when
TEST_DATABASE_URL is set), the client, and signing in as someone."""

import contextlib
import logging
import os
import re
import shutil
import uuid
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from portal import create_app
from portal.extensions import db
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")


def pytest_sessionstart(session):
    """Compile the catalogues if the set-up has not (or a .po changed since)."""
    for po in (ROOT / "portal" / "translations").glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source, mo.open("wb") as target:
                write_mo(target, read_po(source))


def postgres_url(url: str) -> str:
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Database:
    """One fresh, empty database for one test: a SQLite file, or a PostgreSQL schema."""

    def __init__(self, tmp_path: Path):
        self.schema = None
        if TEST_DATABASE_URL:
            self.base = postgres_url(TEST_DATABASE_URL)
            self.schema = "t_" + uuid.uuid4().hex[:16]
            with self.admin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
            self.url = (
                make_url(self.base)
                .update_query_dict({"options": f"-csearch_path={self.schema}"})
                .render_as_string(hide_password=False)
            )
        else:
            self.url = f"sqlite:///{tmp_path / 'portal-test.sqlite3'}"

    def admin(self):
        engine = create_engine(self.base, isolation_level="AUTOCOMMIT")
        return _Closing(engine)

    def drop(self):
        if self.schema:
            with self.admin() as conn:
                conn.execute(text(f'DROP SCHEMA "{self.schema}" CASCADE'))

    @property
    def dialect(self) -> str:
        return "postgresql" if self.schema else "sqlite"


class _Closing:
    def __init__(self, engine):
        self.engine = engine

    def __enter__(self):
        self.conn = self.engine.connect()
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()
        self.engine.dispose()


class Tables:
    """The models' tables, created once a run and handed to each test with no rows in them.

    Creating some forty tables with their indexes cost more than most tests themselves. On
    SQLite each test gets a copy of a file made at the start; on PostgreSQL the tests take turns
    on one schema, emptied before each: every row deleted and every id sequence set back to its
    start, so that a test sees what it would see on a schema made for it alone."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.left: list[Database] = []
        self._create()

    def _create(self):
        self.database = Database(self.folder)
        app = create_app(app_settings(self.database.url, UPLOAD_FOLDER=str(self.folder)))
        with app.app_context():
            db.create_all()
            if self.database.schema:
                self.empty_them = self._emptying(self.database.schema)
            db.session.remove()
            db.engine.dispose()
        self.engine = create_engine(self.database.url) if self.database.schema else None
        self.used = False

    @staticmethod
    def _emptying(schema: str) -> str:
        """One round trip that empties the schema: children before parents, then the
        sequences (setval, which PostgreSQL does in place, unlike ALTER SEQUENCE)."""
        sequences = db.session.execute(
            text("SELECT sequencename, start_value FROM pg_sequences WHERE schemaname = :s"),
            {"s": schema},
        ).all()
        statements = [
            "SET LOCAL lock_timeout = '5s'",
            *(f'DELETE FROM "{schema}"."{t.name}"' for t in reversed(db.metadata.sorted_tables)),
        ]
        if sequences:
            restart = (f'setval(\'"{schema}"."{n}"\', {s}, false)' for n, s in sequences)
            statements.append("SELECT " + ", ".join(restart))
        return ";".join(statements)

    def fresh(self, tmp_path: Path) -> Database:
        """A database for one test: the tables, no rows."""
        if self.engine is None:
            shutil.copyfile(self.folder / "portal-test.sqlite3", tmp_path / "portal-test.sqlite3")
            return Database(tmp_path)
        if self.used:
            try:
                with self.engine.begin() as conn:
                    conn.exec_driver_sql(self.empty_them)
            except OperationalError:
                # A connection an earlier test left open still holds rows: the tests after it
                # go on in a new schema, and that one is dropped at the end if it can be.
                self.engine.dispose()
                self.left.append(self.database)
                self._create()
        self.used = True
        return self.database

    def drop(self):
        if self.engine is not None:
            self.engine.dispose()
        self.database.drop()
        for database in self.left:
            with contextlib.suppress(OperationalError):
                database.drop()


def app_settings(url: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        # Cheap hashes keep the suite quick; production uses scrypt.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "http://localhost",  # links the receipt and posters print, as the client sees
        # Tests move the clock days ahead between one person's steps; a sign-in's own expiry
        # is tested with the real setting (test_sessions).
        "SIGN_IN_HOURS": 24 * 365,
        **extra,
    }


@pytest.fixture(scope="session")
def model_tables(tmp_path_factory):
    tables = Tables(tmp_path_factory.mktemp("tables"))
    yield tables
    tables.drop()


@pytest.fixture
def database(model_tables, tmp_path):
    """This test's database: the models' tables, no rows."""
    return model_tables.fresh(tmp_path)


@pytest.fixture
def empty_database(tmp_path):
    """A database without a single table, for the migrations to build."""
    database = Database(tmp_path)
    yield database
    database.drop()


@pytest.fixture
def app_factory(database, tmp_path):
    """Makes an app on this test's database."""
    made = []

    def make(**extra):
        extra.setdefault("UPLOAD_FOLDER", str(tmp_path / "uploads"))
        app = create_app(app_settings(database.url, **extra))
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _fresh_request():
    # Tests hold one app context open for factories, and Flask reuses it for each request:
    # forget what a previous request cached in it, as a new context would.
    for key in ("_login_user", "_flask_babel", "csrf_token"):
        g.pop(key, None)
    db.session.expire_all()


@pytest.fixture
def app(app_factory):
    app = app_factory()
    app.before_request_funcs.setdefault(None, []).insert(0, _fresh_request)
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """One sub-district, two communities, a compound in each with its three parties."""
    return factories.world()


def sign_in(client, person, password=factories.PASSWORD, **extra):
    return client.post("/login", data={"phone": person.phone, "password": password, **extra})


@pytest.fixture
def login(client):
    def login_as(person, password=factories.PASSWORD):
        response = sign_in(client, person, password)
        assert response.status_code == 302, response.get_data(as_text=True)
        return response

    return login_as


def texts(response) -> str:
    """The page's text with tags removed and white space folded, for assertions."""
    html = response.get_data(as_text=True)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.fixture
def sent_now(caplog):
    """What went out at once (one-time codes, confirmation links) and, with no channel set up
    in the tests, was written to the log: a function giving [(address, text)], oldest first."""
    caplog.set_level(logging.WARNING, logger="portal")

    def sent():
        return [
            (record.args[1], record.args[2])
            for record in caplog.records
            if isinstance(record.args, tuple)
            and len(record.args) == 3
            and "written here instead" in record.msg
        ]

    return sent


def code_texted_to(sent, phone: str) -> str:
    """The six-digit code in the latest text to `phone`."""
    bodies = [body for address, body in sent() if address == phone]
    assert bodies, f"nothing was texted to {phone}"
    found = re.search(r"\b[0-9]{6}\b", bodies[-1])
    assert found, f"no code in the latest text to {phone}: {bodies[-1]!r}"
    return found.group()


def sign_up_with_code(client, sent, data: dict, compound: str = "ymn"):
    """Signs up through both steps: the form, then the code texted to the phone. The answer
    to the code's step."""
    first = client.post(f"/c/{compound}/signup", data=data)
    assert first.status_code == 302, texts(first)
    assert first.headers["Location"] == f"/c/{compound}/signup/confirm"
    code = code_texted_to(sent, data["phone"])
    return client.post(f"/c/{compound}/signup/confirm", data={"code": code})
