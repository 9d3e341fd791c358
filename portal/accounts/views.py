"""Sign-in and sign-out, resident sign-up, the secretary's verification, each role's home."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from flask_login.config import COOKIE_NAME as REMEMBER_COOKIE
from sqlalchemy import func, select
from wtforms import SelectChoice

from portal import permissions
from portal.accounts import service, throttle
from portal.accounts.forms import (
    DecisionForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    SignUpForm,
)
from portal.accounts.models import Home, HomeState
from portal.accounts.roles import LANDING_ORDER, SCOPE, Role, Scope
from portal.cases.queries import reported_by
from portal.consultation.queries import invitations_for, open_actions_for
from portal.errors import ServiceError
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.organisation import queries as org
from portal.permissions import guard, public, signed_in
from portal.web import compound_or_404, is_htmx_fragment_request, safe_next

bp = Blueprint("accounts", __name__)


def landing_url(person) -> str:
    held = person.roles
    for role in LANDING_ORDER:
        if role in held:
            return (
                url_for("admin.index")
                if role is Role.ADMIN
                else url_for("accounts.desk", role=role.value)
            )
    return url_for("accounts.my_home")


def _signed_in(person, remember: bool = False) -> None:
    service.begin_sign_in(
        person, remember=remember, user_agent=request.headers.get("User-Agent", "")
    )
    login_user(person, remember=remember)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(form.next.data, landing_url(current_user)))
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        phone = form.phone.data.strip()
        by_phone, by_address = throttle.rule("sign_in_phone"), throttle.rule("sign_in_address")
        # Held back before the password is looked at; an unknown phone is held the same.
        wait = throttle.held_back(by_phone, phone) or throttle.held_back(
            by_address, throttle.client_address()
        )
        person = None if wait else service.authenticate(phone, form.password.data)
        if person is not None:
            throttle.clear(by_phone, phone)
            _signed_in(person, remember=form.remember.data)
            return redirect(safe_next(form.next.data, landing_url(person)))
        if wait is None:
            wait = throttle.hit(by_phone, phone)
            wait = throttle.hit(by_address, throttle.client_address()) or wait
        if wait is not None:
            form.password.errors.append(throttle.wait_message(wait))
            status = 429
        else:
            # One message for an unknown phone and a wrong password alike.
            form.password.errors.append(_("The phone number or password is not right."))
    return render_template("accounts/login.html", form=form), status


def _signed_out(message):
    """Ends this browser's sign-in on the server and forgets it here: the session (a family
    shares one phone: the next person must not inherit messages or follow-up keys) and the
    remember cookie. The page stays in the language it was in."""
    locale = session.get("locale") or current_user.locale
    service.end_sign_in(current_user.sign_in_token)
    logout_user()
    session.clear()
    session["locale"] = locale
    flash(message, "info")
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


@bp.route("/logout", methods=["POST"])
@guard(signed_in)
def logout():
    return _signed_out(_("You have signed out."))


# -- the person's own page -------------------------------------------------------------


def _render_me(profile=None, password=None, status=200):
    if profile is None:
        profile = ProfileForm(obj=current_user, formdata=None)
    return render_template(
        "accounts/me.html",
        profile=profile,
        password=password or PasswordChangeForm(formdata=None),
        sign_ins=service.live_sign_ins(current_user),
        this_token=current_user.sign_in_token,
        is_current=service.is_current,
        confirm=ConfirmForm(),
    ), status


@bp.route("/me", methods=["GET", "POST"])
@guard(signed_in)
def me():
    if request.method == "GET":
        return _render_me()
    form = ProfileForm()
    if not form.validate_on_submit():
        return _render_me(profile=form, status=422)
    service.update_profile(current_user, name=form.name.data, locale=form.locale.data)
    session["locale"] = form.locale.data
    flash(_("Your details are saved."), "success")
    return redirect(url_for("accounts.me"))


@bp.route("/me/password", methods=["POST"])
@guard(signed_in)
def change_password():
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _render_me(password=form, status=422)
    by_phone = throttle.rule("sign_in_phone")
    wait = throttle.held_back(by_phone, current_user.phone)
    if wait is None:
        try:
            service.change_password(current_user, form.current.data, form.password.data)
        except ServiceError as error:
            wait = throttle.hit(by_phone, current_user.phone)
            form.current.errors.append(str(error.message))
        else:
            flash(
                _(
                    "Your password is changed. Every other device you were signed in on is "
                    "now signed out."
                ),
                "success",
            )
            return redirect(url_for("accounts.me"))
    if wait is not None:
        form.current.errors[:] = [throttle.wait_message(wait)]
        return _render_me(password=form, status=429)
    return _render_me(password=form, status=422)


@bp.route("/me/sign-out-everywhere", methods=["POST"])
@guard(signed_in)
def sign_out_everywhere():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("accounts.me"))
    service.end_sign_ins(current_user)
    return _signed_out(_("You are signed out on every device, this one included."))


@bp.route("/home")
@guard(signed_in)
def home():
    return redirect(landing_url(current_user))


@bp.route("/privacy")
@public
def privacy():
    return render_template("accounts/privacy.html")


# -- each role's home ------------------------------------------------------------------


def _compounds_for(person, role: Role):
    level = SCOPE[role]
    held = [m for m in person.memberships if m.role == role]
    if level is Scope.COMPOUND:
        return org.compounds_by_ids([m.compound_id for m in held])
    if level is Scope.COMMUNITY:
        return org.compounds_in_communities([m.community_id for m in held])
    return org.compounds_in_sub_districts([m.sub_district_id for m in held])


def _resident_counts(compounds) -> dict[int, dict[HomeState, int]]:
    counts: dict[int, dict[HomeState, int]] = {c.id: {} for c in compounds}
    if not compounds:
        return counts
    rows = db.session.execute(
        select(Home.compound_id, Home.state, func.count(Home.id))
        .where(Home.compound_id.in_(list(counts)))
        .group_by(Home.compound_id, Home.state)
    )
    for compound_id, state, n in rows:
        counts[compound_id][state] = n
    return counts


@bp.route("/desk/<role>")
@guard(signed_in)
def desk(role):
    try:
        role = Role(role)
    except ValueError:
        abort(404)
    if role is Role.ADMIN or role not in current_user.roles:
        abort(404)
    compounds = _compounds_for(current_user, role)
    return render_template(
        "accounts/desk.html",
        role=role,
        compounds=compounds,
        counts=_resident_counts(compounds),
        invitations=invitations_for(current_user),
        open_actions=open_actions_for(current_user),
    )


@bp.route("/my")
@guard(signed_in)
def my_home():
    return render_template(
        "accounts/my_home.html", homes=current_user.homes, cases=reported_by(current_user)
    )


# -- resident sign-up ------------------------------------------------------------------


@bp.route("/signup")
@public
def signup_choose():
    query = request.args.get("q", "").strip()
    compounds = org.search_compounds(query)
    return render_template("accounts/signup_choose.html", compounds=compounds, query=query)


@bp.route("/c/<code>/signup", methods=["GET", "POST"])
@public
def signup(code):
    compound = org.compound_by_code(code) or abort(404)
    form = SignUpForm()
    form.building.choices = [SelectChoice(0, _("Choose…"))] + [
        SelectChoice(b.id, b.name) for b in compound.buildings
    ]
    if request.method == "GET" and request.args.get("building"):
        chosen = next((b for b in compound.buildings if b.code == request.args["building"]), None)
        form.building.data = chosen.id if chosen else 0
    if form.validate_on_submit():
        building = next((b for b in compound.buildings if b.id == form.building.data), None)
        by_address = throttle.rule("sign_up_address")
        wait = throttle.held_back(by_address, throttle.client_address())
        if wait is not None:
            form.phone.errors.append(throttle.wait_message(wait))
            return render_template("accounts/signup.html", form=form, compound=compound), 429
        if building is None:
            form.building.errors.append(_("Choose your building."))
        else:
            try:
                person = service.sign_up(
                    form.name.data,
                    form.phone.data,
                    building,
                    form.room.data,
                    form.password.data,
                    locale=str(get_locale()),
                )
            except ServiceError as error:
                form.phone.errors.append(str(error.message))
            else:
                throttle.hit(by_address, throttle.client_address())
                _signed_in(person)
                flash(
                    _(
                        "Thank you. The party-branch secretary of %(compound)s will verify "
                        "your home soon.",
                        compound=compound.name,
                    ),
                    "success",
                )
                return redirect(url_for("accounts.my_home"))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/signup.html", form=form, compound=compound), status


# -- the secretary verifies residents ---------------------------------------------------


@bp.route("/c/<code>/residents")
@guard(signed_in)
def pending_residents(code):
    compound = compound_or_404(code, "verify_residents")
    return render_template(
        "accounts/pending_residents.html",
        compound=compound,
        homes=service.pending_homes(compound),
        form=DecisionForm(),
    )


def _load_home(home_id) -> Home:
    home = db.session.get(Home, home_id)
    if home is None or not permissions.can(current_user, "verify_residents", home.compound):
        abort(404)
    return home


def _after_decision(home, message, error=None):
    if is_htmx_fragment_request():
        pending = len(service.pending_homes(home.compound))
        return render_template(
            "accounts/_home_row.html", home=home, form=DecisionForm(), error=error, pending=pending
        ), (409 if error else 200)
    flash(error or message, "error" if error else "success")
    return redirect(url_for("accounts.pending_residents", code=home.compound.code))


@bp.route("/homes/<int:home_id>/verify", methods=["POST"])
@guard(signed_in)
def verify(home_id):
    home = _load_home(home_id)
    try:
        service.verify_home(home, current_user)
    except ServiceError as e:
        return _after_decision(home, None, str(e.message))
    return _after_decision(home, _("%(name)s is verified as a resident.", name=home.person.name))


@bp.route("/homes/<int:home_id>/decline", methods=["POST"])
@guard(signed_in)
def decline(home_id):
    home = _load_home(home_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _after_decision(
            home, None, "; ".join(map(str, form.reason.errors)) or _("Please try again.")
        )
    try:
        service.decline_home(home, current_user, reason=form.reason.data)
    except ServiceError as e:
        return _after_decision(home, None, str(e.message))
    return _after_decision(home, _("%(name)s's registration was declined.", name=home.person.name))
