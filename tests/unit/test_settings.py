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
