"""Settings: a secret key is required in production, generated once for local runs."""

import pytest
from flask import Flask

from portal import settings


def _app(tmp_path):
    return Flask("portal_settings_test", instance_path=str(tmp_path / "instance"))


def test_production_without_secret_key_refuses_to_serve_pages(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    app = _app(tmp_path)
    settings.load(app)  # commands such as `flask db check` still run
    app.add_url_rule("/", "page", lambda: "served")
    app.config["PROPAGATE_EXCEPTIONS"] = True
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        app.test_client().get("/")
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_flask_db_check_runs_without_a_secret_key(tmp_path, monkeypatch):
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'check.sqlite3'}")
    app = create_app()
    with app.app_context():
        upgrade()
        db.engine.dispose()
    result = app.test_cli_runner().invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output  # db check exits non-zero on any difference


def test_local_run_generates_one_key_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "development")
    first, second = _app(tmp_path), _app(tmp_path)
    settings.load(first)
    settings.load(second)
    assert len(first.config["SECRET_KEY"]) == 64
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_environment_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/portal")
    monkeypatch.setenv("HTMX_URL", "/static/vendor/htmx.js")
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    app = _app(tmp_path)
    settings.load(app)
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db/portal"
    assert app.config["HTMX_URL"] == "/static/vendor/htmx.js"
    assert app.config["HTMX_INTEGRITY"] == ""  # the pinned hash fits the pinned file only
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_default_database_is_sqlite_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("PORTAL_ENV", "development")
    app = _app(tmp_path)
    settings.load(app)
    assert (
        app.config["SQLALCHEMY_DATABASE_URI"]
        == f"sqlite:///{tmp_path / 'instance' / 'portal.sqlite3'}"
    )
    assert app.config["HTMX_URL"].startswith("https://") and app.config["HTMX_INTEGRITY"]


def test_each_worker_keeps_a_bounded_pool_with_a_statement_timeout_on_postgresql(monkeypatch):
    monkeypatch.setenv("PORTAL_DB_POOL_SIZE", "3")
    monkeypatch.setenv("PORTAL_DB_STATEMENT_TIMEOUT_MS", "5000")
    options = settings.engine_options("postgresql+psycopg://portal@db/portal")
    assert options["pool_size"] == 3 and options["max_overflow"] == 5
    assert options["connect_args"] == {"options": "-c statement_timeout=5000"}
    monkeypatch.setenv("PORTAL_DB_STATEMENT_TIMEOUT_MS", "0")
    assert "connect_args" not in settings.engine_options("postgresql+psycopg://portal@db/portal")
    assert settings.engine_options("sqlite:///portal.sqlite3") == {"pool_pre_ping": True}


def test_a_statement_past_the_timeout_is_ended_by_postgresql(monkeypatch):
    import os

    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        pytest.skip("a PostgreSQL setting: runs when TEST_DATABASE_URL names PostgreSQL")
    monkeypatch.setenv("PORTAL_DB_STATEMENT_TIMEOUT_MS", "200")
    url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = create_engine(url, **settings.engine_options(url))
    try:
        with engine.connect() as conn, pytest.raises(OperationalError, match="statement timeout"):
            conn.execute(text("SELECT pg_sleep(2)"))
    finally:
        engine.dispose()


@pytest.mark.parametrize("hops", ["0", "1"])
def test_behind_a_proxy_the_forwarded_scheme_and_client_count_only_when_configured(
    tmp_path, monkeypatch, hops
):
    from flask import request

    from portal import create_app
    from portal.permissions import public

    monkeypatch.setenv("PORTAL_PROXY_HOPS", hops)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'proxy.sqlite3'}")
    app = create_app({"TESTING": True, "SECRET_KEY": "proxy"})
    app.add_url_rule("/seen", "seen", public(lambda: f"{request.scheme} {request.remote_addr}"))
    seen = app.test_client().get(
        "/seen",
        headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    trusted = hops == "1"
    assert seen.get_data(as_text=True) == ("https 203.0.113.7" if trusted else "http 10.0.0.2")
