"""Neighbourhood case portal: create_app() wires settings, extensions, blueprints and CLI."""

from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, request
from sqlalchemy import event
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from portal import assets, settings
from portal.extensions import (
    LARGEST_ID,
    Compression,
    babel,
    csrf,
    db,
    login_manager,
    migrate,
)

# A checkout keeps the Alembic revisions beside the package; a wheel carries a copy inside it
# (setup.py), so that an installed portal can `flask db upgrade` too.
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
if not MIGRATIONS.is_dir():
    MIGRATIONS = MIGRATIONS.parent.parent / "migrations"


class _Id(IntegerConverter):
    """`<int:…>` in every address: an id the tables can hold (LARGEST_ID), so that a larger
    one is no match (404) instead of an overflow in the driver."""

    def __init__(self, map, fixed_digits=0, min=None, max=LARGEST_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.url_map.converters["int"] = _Id
    app.jinja_env.add_extension("jinja2.ext.do")
    settings.load(app, overrides)
    # First, so that its after_request runs last: it compresses the body every other one left.
    Compression(app)
    assets.install(app)
    from portal.cases import photo_store

    problem = photo_store.settings_problem(app.config)
    if problem:
        # Refused at start-up rather than at the first photo a resident sends.
        raise RuntimeError(f"The photo store settings will not do: {problem}.")
    if app.config["PROXY_HOPS"]:
        # The scheme, host and client address the TLS proxy saw, not the proxy's own.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from portal import web

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS), render_as_batch=True)
    app.before_request(web.refuse_unreadable_input)  # first: see there
    csrf.init_app(app)
    login_manager.init_app(app)

    babel.init_app(
        app, locale_selector=web.select_locale, timezone_selector=lambda: "Asia/Shanghai"
    )

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)

    from portal import models  # noqa: F401  (every table known to Alembic and create_all)
    from portal.accounts.views import bp as accounts_bp
    from portal.admin.views import bp as admin_bp
    from portal.cases.views import bp as cases_bp
    from portal.consultation.views import bp as consultation_bp
    from portal.feedback.views import bp as feedback_bp
    from portal.health import bp as health_bp
    from portal.notifications.views import bp as notifications_bp
    from portal.open311.views import bp as open311_bp
    from portal.personal_data.views import bp as personal_data_bp
    from portal.recurring.views import bp as recurring_bp
    from portal.reports.views import bp as reports_bp
    from portal.workdays.views import bp as workdays_bp

    app.register_blueprint(web.bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(cases_bp)
    app.register_blueprint(consultation_bp)
    app.register_blueprint(feedback_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(open311_bp)
    app.register_blueprint(personal_data_bp)
    app.register_blueprint(recurring_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(workdays_bp)
    web.install(app)

    # Features that act on another's signals (portal.signals) subscribe when their module is
    # imported: notifications and the figures' facts on case events, cases on verified homes,
    # consultations on resolving cases. Named here so that no subscriber depends on a blueprint
    # importing it.
    from portal.cases import service as _cases  # noqa: F401
    from portal.cli import portal_cli
    from portal.consultation import service as _consultation  # noqa: F401
    from portal.notifications import service as _notifications  # noqa: F401
    from portal.reports import facts as _facts  # noqa: F401

    app.cli.add_command(portal_cli)

    csp_script = "'self'"
    htmx_origin = urlsplit(app.config["HTMX_URL"])
    if htmx_origin.netloc:
        csp_script += f" {htmx_origin.scheme}://{htmx_origin.netloc}"

    @app.after_request
    def security_headers(response):
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; script-src {csp_script}; style-src 'self'; "
            "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static":
            response.vary.add("HX-Request")
            # Pages speak of people and cases: no shared cache or back-button copy keeps
            # them once the person has signed out. Photos and the API say their own.
            if "Cache-Control" not in response.headers:
                response.headers["Cache-Control"] = "private, no-store"
        if request.is_secure and app.config["HSTS_SECONDS"]:
            response.headers.setdefault(
                "Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}"
            )
        return response

    return app


def _sqlite_pragmas(dbapi_connection, _record):
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
