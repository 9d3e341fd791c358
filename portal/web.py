"""The shell around every page: the sign-in gate, language, errors, filters, the front page."""

from urllib.parse import unquote_to_bytes, urlsplit

from babel import dates as babel_dates
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    has_request_context,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE
from flask_wtf.csrf import CSRFError
from markupsafe import Markup, escape

from portal import assets, labels
from portal.accounts import service as accounts
from portal.accounts.models import HomeState
from portal.cases.workflow import Action
from portal.clock import now
from portal.consultation.models import ConsultationState, Decision, Mode, ResolutionState
from portal.extensions import db, login_manager
from portal.forms import LanguageForm
from portal.open311 import formats as api_formats
from portal.organisation import queries as org
from portal.organisation.models import PartyKind
from portal.permissions import OPEN_WITHOUT_SIGN_IN, can, public
from portal.privacy import mask_address, mask_name, mask_phone, masked_for

bp = Blueprint("web", __name__)

# Endpoints outside our blueprints that anyone may reach.
PUBLIC_ENDPOINTS = {"static"}
# Paper that may be printed in the other language than the screen's, chosen with ?lang=zh_CN or
# ?lang=en: an English-speaking secretary prints the lobby poster in Chinese, or both.
PRINTED_IN_EITHER_LANGUAGE = {"cases.poster", "consultation.minutes"}
API_PREFIX = "/open311/"
API_ERRORS = {
    403: _l("Not allowed."),
    404: _l("No such resource: see discovery.xml for the addresses this API answers."),
    405: _l("This address does not take this method."),
    413: _l("The request is too large."),
    500: _l("Something went wrong on our side; please try again later."),
    400: _l("The request could not be understood."),
}


def signed_out_here(message, category="info"):
    """This browser forgets its sign-in, which the caller has ended on the server: the
    session (a family shares one phone: the next person must not inherit messages or
    follow-up keys) and the remember cookie. The page stays in the language it was in; the
    answer goes to the front page with `message`, a lazy string: said in that language even
    when the person can no longer be asked theirs (an account just deleted or deactivated)."""
    locale = session.get("locale") or current_user.locale
    logout_user()
    session.clear()
    session["locale"] = locale
    with force_locale(locale):
        flash(str(message), category)
    response = redirect(url_for("web.index"))
    # Flask-Login would delete the remember cookie itself, but the note it leaves for that is
    # in the session just cleared.
    config = current_app.config
    response.delete_cookie(
        config.get("REMEMBER_COOKIE_NAME", REMEMBER_COOKIE),
        domain=config.get("REMEMBER_COOKIE_DOMAIN"),
        path=config.get("REMEMBER_COOKIE_PATH", "/"),
    )
    return response


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # the CLI: the default, unless a command forces another
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.endpoint in PRINTED_IN_EITHER_LANGUAGE and request.args.get("lang") in languages:
        return request.args["lang"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    if session.get("locale") in languages:
        return session["locale"]
    for value, _quality in request.accept_languages:
        tag = value.lower().replace("_", "-")
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def safe_next(target: str | None, fallback: str) -> str:
    """A redirect target on this host only: a path, never another site."""
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ord(c) < 32 for c in target):
        return fallback
    return target


def htmx_target() -> str | None:
    """The region an htmx request is aimed at, or None for a page load (a boosted link sends
    HX-Request too, but no target)."""
    if not request.headers.get("HX-Request"):
        return None
    return request.headers.get("HX-Target") or None


def is_htmx_fragment_request() -> bool:
    """An htmx request aimed at a region (not a boosted page load)."""
    return htmx_target() is not None


def page_or_fragment(page: str, fragment: str, *, target=None, status=200, **context):
    """The whole page, or only the fragment an htmx request aimed at a region asks for (at
    `target` when given: the id of the region the fragment draws). The page template includes
    the fragment, so both come from one source. The answer varies with the headers read."""
    aimed = htmx_target()
    wanted = aimed is not None and (target is None or aimed == target)
    response = make_response(render_template(fragment if wanted else page, **context), status)
    response.vary.add("HX-Request")
    response.vary.add("HX-Target")
    return response


def compound_or_404(code: str, action: str = "see_compound"):
    """The compound a URL names, if the signed-in person may do `action` there; otherwise
    404, so that an address never confirms another compound exists."""
    compound = org.compound_by_code(code)
    if compound is None or not can(current_user, action, compound):
        abort(404)
    return compound


@login_manager.user_loader
def load_person(token: str):
    # The session and the remember cookie carry a sign-in's token, not the person's id: an
    # ended sign-in (signed out, signed out everywhere, password changed) opens nothing.
    return accounts.person_signed_in(token)


@login_manager.unauthorized_handler
def unauthorized():
    target = url_for("accounts.login", next=request.full_path.rstrip("?"))
    if request.headers.get("HX-Request"):
        response = current_app.response_class(status=401)
        response.headers["HX-Redirect"] = target
        return response
    flash(_l("Please sign in first."), "info")
    return redirect(target)


def _unreadable(text: str) -> bool:
    """A NUL, or U+FFFD: what Werkzeug makes of bytes that are not UTF-8 in a path or a
    multipart field."""
    return "\x00" in text or "\ufffd" in text


def _not_utf8(encoded: bytes) -> bool:
    """Percent-encoded bytes that are not UTF-8: Werkzeug keeps them as literal "%FF" in
    query strings and form bodies, so they are found in the raw text."""
    try:
        unquote_to_bytes(encoded).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def refuse_unreadable_input():
    """Before every other check, CSRF's included (it parses the form, after which the raw
    body is gone): a NUL cannot be stored in PostgreSQL text, and bytes that are not UTF-8
    are nobody's words. Either is refused with 400 before any view or query sees it, the
    same on both databases."""
    form_body = request.mimetype == "application/x-www-form-urlencoded"
    if (
        _not_utf8(request.query_string)
        or (form_body and _not_utf8(request.get_data(cache=True)))
        or _unreadable(request.path)
        or any(
            _unreadable(key) or _unreadable(value)
            for values in (request.args, request.form)
            for key, value in values.items(multi=True)
        )
    ):
        abort(400)


def install(app) -> None:
    """Gate, error pages, template helpers."""

    @app.before_request
    def sign_in_gate():
        # Default deny: only endpoints declared public pass without sign-in.
        if request.endpoint is None:
            return None  # 404 / 405 follow
        view = app.view_functions.get(request.endpoint)
        if request.endpoint in PUBLIC_ENDPOINTS or getattr(view, "access", None) in (
            OPEN_WITHOUT_SIGN_IN
        ):
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return None

    def page(template, status):
        def handler(error):
            if request.path.startswith(API_PREFIX):
                # The API answers in its own format, whatever went wrong.
                response = api_formats.errors(
                    api_formats.format_of(request.path), status, [API_ERRORS[status]]
                )
                if getattr(error, "valid_methods", None):  # 405: say which methods it takes
                    response.headers["Allow"] = ", ".join(error.valid_methods)
                return response
            return render_template(template, error=error), status

        return handler

    def failed(error):
        # Whatever failed may have left the transaction aborted (PostgreSQL refuses every
        # further statement in it): the error page starts from a clean one, since the
        # sign-in loader and the menu query again.
        db.session.rollback()
        return page("errors/500.html", 500)(error)

    app.register_error_handler(401, lambda e: login_manager.unauthorized())
    app.register_error_handler(403, page("errors/403.html", 403))
    app.register_error_handler(404, page("errors/404.html", 404))
    app.register_error_handler(405, page("errors/404.html", 405))
    app.register_error_handler(413, page("errors/413.html", 413))
    app.register_error_handler(400, page("errors/400.html", 400))
    app.register_error_handler(500, failed)
    app.register_error_handler(CSRFError, page("errors/csrf.html", 400))

    # Moments, dates and lists through Babel itself, with the request's locale (looked up once
    # per request) and the portal's one time zone: Flask-Babel's wrappers look both up on
    # every call, which made them a tenth of a list page's time. Every moment on every page
    # reads in the locale's medium format ("Dec 3, 2026, 7:30 PM", "2026年12月3日 19:30").
    app.add_template_filter(labels.moment, "localtime")
    app.add_template_filter(labels.day, "localdate")
    app.add_template_filter(labels.weekday, "weekday")
    app.add_template_filter(labels.acting_role, "acting_role")
    app.add_template_filter(labels.topic_title, "topic_title")

    @app.template_filter("listing")
    def listing(items, style="standard"):
        # Each name escaped unless it is markup already (a translated pattern with the name in
        # it); the words that join them are plain text.
        return Markup(labels.listing((escape(item) for item in items), style))

    app.add_template_filter(mask_phone, "masked_phone")
    app.add_template_filter(mask_name, "masked_name")
    app.add_template_filter(masked_for, "masked_for")
    app.add_template_filter(mask_address, "masked_address")
    app.add_template_filter(labels.label, "label")
    # The enums templates compare with, so that no page needs them passed in.
    app.jinja_env.globals.update(
        Action=Action,
        PartyKind=PartyKind,
        HomeState=HomeState,
        Mode=Mode,
        ConsultationState=ConsultationState,
        ResolutionState=ResolutionState,
        Decision=Decision,
    )

    @app.template_filter("from_now")
    def from_now(value):
        """'in 3 days' / '2 hours ago', in the reader's language."""
        if not value:
            return ""
        return babel_dates.format_timedelta(value - now(), add_direction=True, locale=get_locale())

    @app.context_processor
    def shell():
        # Babel spells zh_CN as zh_Hans_CN; pages speak of the two codes the portal offers.
        chinese = get_locale().language == "zh"
        return {
            "htmx_url": assets.local_url(app.config["HTMX_URL"]),
            "htmx_integrity": app.config["HTMX_INTEGRITY"],
            "current_locale": "zh_CN" if chinese else "en",
            "html_lang": "zh-CN" if chinese else "en",
        }


@bp.route("/")
@public
def index():
    """The front door. A visitor without the lobby's QR code finds their compound by name and
    goes straight to its filing form."""
    query = request.args.get("q", "").strip()[:50]
    if current_user.is_authenticated and not query:
        return redirect(url_for("accounts.home"))
    found = org.search_compounds(query, limit=20) if query else []
    return render_template("index.html", query=query, compounds=found)


@bp.route("/language", methods=["POST"])
@public
def language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            accounts.set_locale(current_user, form.locale.data)
    return redirect(safe_next(form.next.data, url_for("web.index")))
