"""Administrators add people to a compound's parties and change anyone's roles."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from wtforms import SelectChoice

from portal import labels
from portal.accounts import service
from portal.accounts.models import Membership, Person
from portal.accounts.roles import COMPOUND_ROLES, PARTY, SCOPE, Role, Scope
from portal.admin.forms import ApiKeyForm, EnrolForm, FindPersonForm, GrantForm, PersonForm
from portal.clock import local_date
from portal.errors import ServiceError
from portal.extensions import db
from portal.forms import ConfirmForm
from portal.notifications.models import OutboxMessage, OutboxState
from portal.open311 import keys
from portal.organisation import queries as org
from portal.organisation.models import PartyKind
from portal.permissions import guard, is_admin
from portal.workdays import service as workdays

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/")
@guard(is_admin)
def index():
    find = FindPersonForm(request.args)
    found = None
    if find.phone.data:
        found = service.find_by_phone(find.phone.data.strip())
        if found is None:
            find.phone.errors = [_("Nobody is registered with this phone number.")]
        else:
            return redirect(url_for("admin.person", person_id=found.id))
    missing = workdays.missing(local_date(), current_app.config["CALENDAR_WARN_DAYS"])
    return render_template(
        "admin/index.html",
        compounds=org.search_compounds("", limit=500),
        find=find,
        calendar_missing=missing,
    )


def _enrol_form():
    form = EnrolForm()
    form.role.choices = [SelectChoice(r.value, str(labels.ROLE[r])) for r in COMPOUND_ROLES]
    return form


def _render_compound(compound, form, status=200):
    members = db.session.scalars(
        select(Membership)
        .where(Membership.compound_id == compound.id)
        .join(Person)
        .order_by(Membership.role, Person.name)
    ).all()
    by_party = {kind: [m for m in members if PARTY[m.role] == kind] for kind in PartyKind}
    return render_template(
        "admin/compound.html",
        compound=compound,
        form=form,
        by_party=by_party,
        PartyKind=PartyKind,
        confirm=ConfirmForm(),
    ), status


@bp.route("/compounds/<code>", methods=["GET", "POST"])
@guard(is_admin)
def compound(code):
    compound = org.compound_by_code(code) or abort(404)
    form = _enrol_form()
    if form.validate_on_submit():
        try:
            person = service.enrol(
                compound,
                current_user,
                role=Role(form.role.data),
                name=form.name.data,
                phone=form.phone.data,
                password=form.password.data,
            )
        except ServiceError as e:
            form.phone.errors.append(str(e.message))
        else:
            flash(
                _(
                    "%(name)s is now %(role)s of %(compound)s.",
                    name=person.name,
                    role=labels.ROLE[Role(form.role.data)],
                    compound=compound.name,
                ),
                "success",
            )
            return redirect(url_for("admin.compound", code=compound.code))
    return _render_compound(compound, form, 422 if request.method == "POST" else 200)


def _grant_form():
    form = GrantForm()
    form.role.choices = [SelectChoice(r.value, str(labels.ROLE[r])) for r in Role]
    return form


@bp.route("/people/<int:person_id>", methods=["GET", "POST"])
@guard(is_admin)
def person(person_id):
    person = db.session.get(Person, person_id) or abort(404)
    form = _grant_form()
    if form.validate_on_submit():
        role = Role(form.role.data)
        level = SCOPE[role]
        scope = None if level is Scope.GLOBAL else org.scope_by_code(level.value, form.scope.data)
        if level is not Scope.GLOBAL and scope is None:
            form.scope.errors.append(_("No place with this code at the level this role needs."))
        else:
            try:
                service.give_role(person, role, scope, by=current_user)
            except ServiceError as e:
                form.role.errors.append(str(e.message))
            else:
                flash(_("Role added."), "success")
                return redirect(url_for("admin.person", person_id=person.id))
    status = 422 if request.method == "POST" else 200
    return _render_person(person, form=form, status=status)


def _render_person(person, form=None, details=None, status=200):
    return render_template(
        "admin/person.html",
        person=person,
        form=form or _grant_form(),
        details=details or PersonForm(obj=person, formdata=None),
        confirm=ConfirmForm(),
    ), status


@bp.route("/people/<int:person_id>/details", methods=["POST"])
@guard(is_admin)
def person_details(person_id):
    """Name, e-mail, language, channels and whether the person may sign in at all."""
    person = db.session.get(Person, person_id) or abort(404)
    details = PersonForm()
    if details.validate_on_submit():
        try:
            service.update_person(
                person,
                current_user,
                name=details.name.data,
                email=details.email.data,
                locale=details.locale.data,
                by_text=details.notify_by_text.data,
                by_email=details.notify_by_email.data,
                active=details.active.data,
            )
        except ServiceError as e:
            details.active.errors.append(str(e.message))
        else:
            flash(_("The details of %(name)s are saved.", name=person.name), "success")
            return redirect(url_for("admin.person", person_id=person.id))
    return _render_person(person, details=details, status=422)


@bp.route("/memberships/<int:membership_id>/revoke", methods=["POST"])
@guard(is_admin)
def revoke(membership_id):
    membership = db.session.get(Membership, membership_id) or abort(404)
    person_id = membership.person_id
    if ConfirmForm().validate_on_submit():
        try:
            service.revoke_role(membership, current_user)
        except ServiceError as e:
            flash(str(e.message), "error")
        else:
            flash(_("Role removed."), "success")
    return redirect(
        (request.form.get("back") and url_for("admin.compound", code=request.form["back"]))
        or url_for("admin.person", person_id=person_id)
    )


@bp.route("/outbox")
@guard(is_admin)
def outbox():
    """Messages the portal gave up delivering (dead letters), and what is still waiting."""

    dead = db.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.DEAD)
        .order_by(OutboxMessage.id.desc())
        .limit(200)
    ).all()
    waiting = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.state == OutboxState.PENDING)
    )
    return render_template("admin/outbox.html", dead=dead, waiting=waiting)


@bp.route("/api-keys", methods=["GET", "POST"])
@guard(is_admin)
def api_keys():
    """Keys of the client systems that use the Open311 API; a new key is shown once, here."""
    form = ApiKeyForm()
    issued = None
    if form.validate_on_submit():
        scope = org.scope_by_code(form.level.data, form.scope.data)
        if scope is None:
            form.scope.errors.append(_("No place with this code at this level."))
        elif not (form.may_read.data or form.may_file.data):
            form.may_read.errors.append(_("Give the key at least one right."))
        else:
            issued = keys.issue(
                form.name.data,
                scope,
                may_read=form.may_read.data,
                may_file=form.may_file.data,
                by=current_user,
            )
            form = ApiKeyForm(formdata=None)
    status = 422 if request.method == "POST" and issued is None else 200
    response = make_response(
        render_template(
            "admin/api_keys.html",
            form=form,
            issued=issued,
            api_keys=keys.everyone(),
            confirm=ConfirmForm(),
        ),
        status,
    )
    # The new key is on this page once: no copy in any cache.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@guard(is_admin)
def revoke_api_key(key_id):
    key = keys.by_id(key_id) or abort(404)
    if ConfirmForm().validate_on_submit():
        keys.revoke(key)
        flash(_("The key of %(name)s no longer works.", name=key.name), "success")
    return redirect(url_for("admin.api_keys"))
