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
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from portal import permissions
from portal.accounts import codes, service, throttle
from portal.accounts.forms import (
    CodeForm,
    DecisionForm,
    EmailForm,
    ForgotForm,
    LoginForm,
    PasswordChangeForm,
    ProfileForm,
    ResetForm,
    SignUpForm,
)
from portal.accounts.models import Home, HomeState
from portal.accounts.roles import LANDING_ORDER, SCOPE, WORKING_ROLES, Role, Scope
from portal.cases.queries import reported_by
from portal.clock import now
from portal.consultation.queries import invitations_for, open_actions_for
from portal.errors import ServiceError
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.notifications import channels
from portal.organisation import queries as org
from portal.organisation.models import Building
from portal.permissions import guard, public, signed_in
from portal.privacy import mask_phone
from portal.reports import desks
from portal.settings import public_base_url
from portal.web import compound_or_404, is_htmx_fragment_request, safe_next, signed_out_here

bp = Blueprint("accounts", __name__)

# Said after a password change on /me and after a reset by code alike.
PASSWORD_CHANGED = _l(
    "Your password is changed. Every other device you were signed in on is now signed out."
)


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
        checks = (("sign_in_phone", phone), ("sign_in_address", throttle.client_address()))
        # Held back before the password is looked at; an unknown phone is held the same.
        wait = throttle.held_back_any(*checks)
        person = None if wait else service.authenticate(phone, form.password.data)
        if person is not None:
            throttle.clear(throttle.rule("sign_in_phone"), phone)
            _signed_in(person, remember=form.remember.data)
            return redirect(safe_next(form.next.data, landing_url(person)))
        if wait is None:
            wait = throttle.hit_all(*checks)
        if wait is not None:
            form.password.errors.append(throttle.wait_message(wait))
            status = 429
        else:
            # One message for an unknown phone and a wrong password alike.
            form.password.errors.append(_("The phone number or password is not right."))
    return render_template("accounts/login.html", form=form), status


def _signed_out(message):
    """Ends this browser's sign-in on the server, and forgets it here."""
    service.end_sign_in(current_user.sign_in_token)
    return signed_out_here(message)


@bp.route("/logout", methods=["POST"])
@guard(signed_in)
def logout():
    return _signed_out(_l("You have signed out."))


# -- the person's own page -------------------------------------------------------------


def _render_me(profile=None, password=None, email=None, status=200):
    if profile is None:
        profile = ProfileForm(obj=current_user, formdata=None)
    return render_template(
        "accounts/me.html",
        profile=profile,
        password=password or PasswordChangeForm(formdata=None),
        email=email or EmailForm(obj=current_user, formdata=None),
        channels={c.name for c in channels.configured()},
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
    service.update_profile(
        current_user,
        name=form.name.data,
        locale=form.locale.data,
        by_text=form.notify_by_text.data,
        by_email=form.notify_by_email.data,
    )
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
            flash(PASSWORD_CHANGED, "success")
            return redirect(url_for("accounts.me"))
    if wait is not None:
        form.current.errors[:] = [throttle.wait_message(wait)]
        return _render_me(password=form, status=429)
    return _render_me(password=form, status=422)


@bp.route("/me/email", methods=["POST"])
@guard(signed_in)
def change_email():
    """A new address is the person's once they open the link sent to it; an empty one
    removes the address at once."""
    form = EmailForm()
    if not form.validate_on_submit():
        return _render_me(email=form, status=422)
    address = form.email.data or ""
    if not address:
        service.remove_email(current_user)
        flash(_("Your e-mail address is removed."), "success")
        return redirect(url_for("accounts.me"))
    if address == current_user.email:
        flash(_("This is already your e-mail address."), "info")
        return redirect(url_for("accounts.me"))
    # Built on the portal's public address, as every link it sends; without one that leads
    # anywhere there is no link to send, and the address cannot be confirmed.
    base_url = public_base_url(current_app.config)
    hours = current_app.config["EMAIL_CONFIRM_HOURS"]
    try:
        if base_url is None:
            raise channels.CannotSend("PORTAL_BASE_URL leads nowhere")
        token = service.email_confirmation_token(current_user, address)
        link = base_url + url_for("accounts.confirm_email", token=token)
        channels.send_now(
            "email",
            address,
            _("Confirm your e-mail address"),
            _(
                "Open this link to receive the neighbourhood case portal's notifications at "
                "this address. It works for %(hours)s hours.",
                hours=hours,
            )
            + f"\n\n{link}\n",
        )
    except Exception as error:  # no SMTP, or it refused: say so and keep what was typed
        current_app.logger.error("A confirmation e-mail could not be sent: %s", error)
        form.email.errors.append(
            _("The e-mail could not be sent just now. Please try again later.")
        )
        return _render_me(email=form, status=503)
    flash(
        _(
            "We sent a link to %(address)s. Open it within %(hours)s hours to confirm the address.",
            address=address,
            hours=hours,
        ),
        "success",
    )
    return redirect(url_for("accounts.me"))


@bp.route("/me/email/<token>")
@guard(signed_in)
def confirm_email(token):
    try:
        address = service.confirm_email(current_user, token)
    except ServiceError as error:
        flash(str(error.message), "error")
    else:
        flash(_("%(address)s is confirmed as your e-mail address.", address=address), "success")
    return redirect(url_for("accounts.me"))


@bp.route("/me/sign-out-everywhere", methods=["POST"])
@guard(signed_in)
def sign_out_everywhere():
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("accounts.me"))
    service.end_sign_ins(current_user)
    return _signed_out(_l("You are signed out on every device, this one included."))


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
    # A sub-district's desk lists its communities, not its compounds' buildings and parties.
    return org.compounds_in_sub_districts([m.sub_district_id for m in held], details=False)


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
    moment = now()
    per_compound = DESK_COUNTS.get(role)
    return render_template(
        "accounts/desk.html",
        role=role,
        compounds=compounds,
        counts=_resident_counts(compounds),
        invitations=invitations_for(current_user),
        open_actions=open_actions_for(current_user),
        # What waits, each count a link to its list (portal.reports.desks).
        compound_waiting={c.id: per_compound(c, moment) for c in compounds} if per_compound else {},
        mine=desks.staff(current_user, moment)
        if role in WORKING_ROLES
        else desks.representative(current_user)
        if role is Role.REPRESENTATIVE
        else [],
        topics=desks.open_topics(current_user, role, compounds),
        oversight=desks.overseer(current_user, compounds, moment)
        if role in (Role.COMMUNITY_OVERSEER, Role.SUBDISTRICT_OVERSEER)
        else None,
    )


# The counts of each compound's card on a desk, by role.
DESK_COUNTS = {
    Role.SECRETARY: desks.secretary,
    Role.PROPERTY_MANAGER: desks.property_manager,
    Role.GRID_WORKER: desks.grid_worker,
}


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


def _texting(phone: str) -> tuple[tuple[str, str], ...]:
    """The throttle checks a code texted to `phone` from this client address counts under."""
    return ("code_phone", phone), ("code_address", throttle.client_address())


def _resend(purpose: codes.Purpose, session_key: str, back: str):
    """Texts a new code for the browser's waiting sign-up or reset; the old one stops."""
    row = codes.pending(session.get(session_key), purpose)
    if row is None or not ConfirmForm().validate_on_submit():
        return redirect(back)
    wait = throttle.held_back_any(*_texting(row.phone))
    if wait is not None:
        flash(throttle.wait_message(wait), "error")
        return redirect(back)
    try:
        new = service.resend_code(row, locale=str(get_locale()))
    except ServiceError as error:
        flash(str(error.message), "error")
    else:
        throttle.hit_all(*_texting(row.phone))
        session[session_key] = new.id
        flash(_("A new code is on its way to %(phone)s.", phone=mask_phone(row.phone)), "info")
    return redirect(back)


SIGN_UP_CODE, RESET_CODE = "sign_up_code", "reset_code"  # the code rows browsers wait on


@bp.route("/c/<code>/signup", methods=["GET", "POST"])
@public
def signup(code):
    """The sign-up's details; the account is made once the code texted to the phone is
    given (signup_confirm). A registered phone is answered the same way: its owner is texted."""
    compound = org.compound_by_code(code) or abort(404)
    form = SignUpForm()
    form.building.choices = [SelectChoice(0, _("Choose…"))] + [
        SelectChoice(b.id, b.name) for b in compound.buildings
    ]
    if request.method == "GET" and request.args.get("building"):
        chosen = next((b for b in compound.buildings if b.code == request.args["building"]), None)
        form.building.data = chosen.id if chosen else 0
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        building = next((b for b in compound.buildings if b.id == form.building.data), None)
        checks = (("sign_up_address", throttle.client_address()), *_texting(form.phone.data))
        wait = throttle.held_back_any(*checks)
        if wait is not None:
            form.phone.errors.append(throttle.wait_message(wait))
            status = 429
        elif building is None:
            form.building.errors.append(_("Choose your building."))
        else:
            try:
                row = service.start_sign_up(
                    form.name.data,
                    form.phone.data,
                    building,
                    form.room.data,
                    form.password.data,
                    locale=str(get_locale()),
                )
            except ServiceError as error:
                form.phone.errors.append(str(error.message))
                status = 503
            else:
                throttle.hit_all(*checks)
                session[SIGN_UP_CODE] = row.id
                return redirect(url_for("accounts.signup_confirm", code=compound.code))
    return render_template("accounts/signup.html", form=form, compound=compound), status


def _waiting_sign_up(compound):
    row = codes.pending(session.get(SIGN_UP_CODE), codes.Purpose.SIGN_UP)
    building = db.session.get(Building, row.payload.get("building_id")) if row else None
    return (row, building) if building and building.compound_id == compound.id else (None, None)


@bp.route("/c/<code>/signup/confirm", methods=["GET", "POST"])
@public
def signup_confirm(code):
    compound = org.compound_by_code(code) or abort(404)
    row, building = _waiting_sign_up(compound)
    if row is None:
        flash(_("Please fill in the sign-up form first."), "info")
        return redirect(url_for("accounts.signup", code=compound.code))
    form = CodeForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            taken = codes.take(row.id, codes.Purpose.SIGN_UP, form.code.data)
            person = service.finish_sign_up(taken, building)
        except ServiceError as error:
            form.code.errors.append(str(error.message))
        else:
            session.pop(SIGN_UP_CODE, None)
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
    return render_template(
        "accounts/code.html",
        form=form,
        phone=row.phone,
        title=_("Confirm your phone"),
        action=url_for("accounts.signup_confirm", code=compound.code),
        resend=url_for("accounts.signup_resend", code=compound.code),
        start_again=url_for("accounts.signup", code=compound.code),
        confirm=ConfirmForm(),
    ), status


@bp.route("/c/<code>/signup/resend", methods=["POST"])
@public
def signup_resend(code):
    compound = org.compound_by_code(code) or abort(404)
    back = url_for("accounts.signup_confirm", code=compound.code)
    return _resend(codes.Purpose.SIGN_UP, SIGN_UP_CODE, back)


# -- a forgotten password, reset by a texted code -----------------------------------------


@bp.route("/forgot", methods=["GET", "POST"])
@public
def forgot():
    form = ForgotForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        wait = throttle.held_back_any(*_texting(form.phone.data))
        if wait is not None:
            form.phone.errors.append(throttle.wait_message(wait))
            status = 429
        else:
            try:
                row = service.start_reset(form.phone.data, locale=str(get_locale()))
            except ServiceError as error:
                form.phone.errors.append(str(error.message))
                status = 503
            else:
                throttle.hit_all(*_texting(form.phone.data))
                session[RESET_CODE] = row.id
                return redirect(url_for("accounts.reset"))
    return render_template("accounts/forgot.html", form=form), status


@bp.route("/forgot/code", methods=["GET", "POST"])
@public
def reset():
    row = codes.pending(session.get(RESET_CODE), codes.Purpose.RESET)
    if row is None:
        flash(_("Enter your phone number to get a code."), "info")
        return redirect(url_for("accounts.forgot"))
    form = ResetForm()
    status = 422 if request.method == "POST" else 200
    if form.validate_on_submit():
        try:
            taken = codes.take(row.id, codes.Purpose.RESET, form.code.data)
            person = service.reset_password(taken, form.password.data)
        except ServiceError as error:
            form.code.errors.append(str(error.message))
        else:
            session.pop(RESET_CODE, None)
            throttle.clear(throttle.rule("sign_in_phone"), person.phone)
            _signed_in(person)
            flash(PASSWORD_CHANGED, "success")
            return redirect(landing_url(person))
    return render_template(
        "accounts/code.html",
        form=form,
        phone=row.phone,
        title=_("Set a new password"),
        action=url_for("accounts.reset"),
        resend=url_for("accounts.reset_resend"),
        start_again=url_for("accounts.forgot"),
        confirm=ConfirmForm(),
    ), status


@bp.route("/forgot/resend", methods=["POST"])
@public
def reset_resend():
    return _resend(codes.Purpose.RESET, RESET_CODE, url_for("accounts.reset"))


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
