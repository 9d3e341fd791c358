"""Filing, the case page and every action on it. Each action is a plain form post that
htmx enhances: an htmx request aimed at a region gets the changed fragment back."""

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from portal.cases import access, photos, service
from portal.cases.categories import NAMES, PARTY_NAMES, Category, rule_for
from portal.cases.forms import (
    RESPONSIBILITY_NAMES,
    STATE_NAMES,
    AcceptForm,
    AssignForm,
    EscalateForm,
    FeedbackForm,
    InfoForm,
    MergeForm,
    RejectForm,
    ReportForm,
    ResolveForm,
    TakeOverForm,
    UpdateForm,
    WithdrawForm,
    category_choices,
)
from portal.cases.models import Case, CaseEvent, Photo, Priority, Responsibility
from portal.cases.workflow import Action, Capacity, actions_for
from portal.errors import ServiceError
from portal.extensions import db
from portal.organisation import queries as org
from portal.organisation.models import PartyKind
from portal.permissions import public
from portal.web import is_htmx_fragment_request, safe_next

bp = Blueprint("cases", __name__)


def me():
    return current_user if current_user.is_authenticated else None


# -- filing --------------------------------------------------------------------------------


def _report_form(compound):
    form = ReportForm()
    form.building.choices = [SelectChoice(0, _("Choose…"))] + [
        SelectChoice(b.id, b.name) for b in compound.buildings
    ]
    form.category.choices = category_choices(blank=_("Choose…"))
    return form


def _files_on_behalf(person, compound) -> bool:
    if person is None:
        return False
    staff = access.party_of(person, compound.id) is not None or any(
        m.community_id == compound.community_id for m in person.memberships
    )
    return staff and not any(h.compound_id == compound.id for h in person.verified_homes)


@bp.route("/c/<code>/report", methods=["GET", "POST"])
@public
def report(code):
    compound = org.compound_by_code(code) or abort(404)
    form = _report_form(compound)
    person = me()
    on_behalf = _files_on_behalf(person, compound)
    if request.method == "GET":
        chosen = next(
            (b for b in compound.buildings if b.code == request.args.get("building")), None
        )
        form.building.data = chosen.id if chosen else 0
    if person is not None and not on_behalf:
        # A signed-in resident files as themself: the contact is fixed to their account.
        form.contact_name.data, form.contact_phone.data = person.name, person.phone
    if form.validate_on_submit():
        building = next((b for b in compound.buildings if b.id == form.building.data), None)
        try:
            if building is None:
                raise service.Invalid(_("Choose the building."))
            processed = photos.check_all(request.files.getlist(form.photos.name))
            case, key = service.file_case(
                compound,
                building,
                Category(form.category.data),
                form.description.data,
                form.location.data or "",
                form.urgent.data,
                form.contact_name.data,
                form.contact_phone.data,
                processed,
                by=person,
            )
        except ServiceError as error:
            form.photos.errors = [*form.photos.errors, str(error.message)]
        else:
            if key:
                # The receipt shows the private link once. Only a visitor filing for themself
                # holds it in their session; a grid worker filing on someone's behalf hands it on
                # and does not become the reporter.
                session.setdefault("receipt_keys", {})[case.number] = key
                if person is None:
                    session.setdefault("case_keys", {})[case.number] = key
                session.modified = True
            return redirect(url_for("cases.receipt", number=case.number))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "cases/report.html",
        form=form,
        compound=compound,
        on_behalf=on_behalf,
        signed_in_resident=person is not None and not on_behalf,
    ), status


@bp.route("/cases/<number>/receipt")
@public
def receipt(number):
    case, _found = _load(number)
    key = session.get("receipt_keys", {}).get(number)
    # Printed and handed on: built from BASE_URL, not from whatever host a proxy passed on.
    follow = (
        current_app.config["BASE_URL"] + url_for("cases.detail", number=number, key=key)
        if key
        else None
    )
    return render_template("cases/receipt.html", case=case, follow=follow)


# -- loading and showing a case -----------------------------------------------------------


def _key_ok(case) -> bool:
    key = request.args.get("key") or session.get("case_keys", {}).get(case.number)
    return bool(key and case.follow_key_hash and service.key_hash(key) == case.follow_key_hash)


def _load(number):
    case = db.session.scalar(
        select(Case)
        .where(Case.number == number)
        .options(
            selectinload(Case.events).selectinload(CaseEvent.actor),
            selectinload(Case.events).selectinload(CaseEvent.photos),
            selectinload(Case.photos),
            selectinload(Case.assignee),
            selectinload(Case.reporter),
            selectinload(Case.merged_into),
        )
    )
    if case is None:
        abort(404)
    found = access.capacities(me(), case, _key_ok(case))
    if not access.can_see(found):
        abort(404)
    if request.args.get("key") and Capacity.REPORTER in found:
        session.setdefault("case_keys", {})[case.number] = request.args["key"]
        session.modified = True
    return case, found


def _forms(case, people):
    people_choices = [
        SelectChoice(p.id, f"{p.name} · {PARTY_NAMES[access.party_of(p, case.compound_id)]}")
        for p in people
    ]
    rule = rule_for(case.category, service.community_rules(case.compound.community_id))
    accept = AcceptForm(formdata=None).fill_choices(people_choices)
    accept.category.data = case.category.value
    accept.priority.data = (Priority.URGENT if case.urgent else Priority.NORMAL).value
    accept.lead_party.data = rule.lead_party.value
    accept.needs_consultation.data = rule.needs_consultation
    if rule.needs_consultation:
        accept.responsibility.data = Responsibility.CONSULTATION.value
    assign = AssignForm(formdata=None)
    assign.assignee.choices = [SelectChoice(0, _("Choose…")), *people_choices]
    forms = {
        "accept": accept,
        "reject": RejectForm(formdata=None),
        "merge": MergeForm(formdata=None),
        "assign": assign,
        "withdraw": WithdrawForm(formdata=None),
        "update": UpdateForm(formdata=None),
        "resolve": ResolveForm(formdata=None),
        "info": InfoForm(formdata=None),
        "feedback": FeedbackForm(formdata=None),
        "take_over": TakeOverForm(formdata=None),
    }
    for form in forms.values():
        if hasattr(form, "version"):
            form.version.data = case.version
    return forms


def _feedbacks(case):
    from portal.feedback.models import Feedback

    return db.session.scalars(
        select(Feedback).where(Feedback.case_id == case.id).order_by(Feedback.id)
    ).all()


@bp.app_context_processor
def feedback_names():
    from portal.feedback.names import SATISFACTION_NAMES, VISIT_NAMES

    return {"satisfaction_names": SATISFACTION_NAMES, "visit_names": VISIT_NAMES}


def render_case(case, found, status=200, errors=None, forms=None, phone=None, message=None):
    """The case page, or just its changing region for htmx."""
    staff = access.sees_internal(found)
    people = (
        service.assignable_people(case.compound)
        if found & {Capacity.SECRETARY, Capacity.PARTY_HEAD, Capacity.ESCALATED_TO}
        else []
    )
    all_forms = _forms(case, people)
    all_forms.update(forms or {})
    events = [e for e in case.events if staff or e.public]
    from portal.consultation import service as consultation_service
    from portal.consultation.forms import DoneForm, OpinionForm
    from portal.consultation.views import agenda_of_case

    my_parties = sorted(consultation_service.parties_of(me(), case.compound_id)) if me() else []
    opinion_form = OpinionForm(formdata=None)
    opinion_form.party.choices = [SelectChoice(p.value, str(PARTY_NAMES[p])) for p in my_parties]
    context = {
        "case": case,
        "found": found,
        "staff": staff,
        "events": events,
        "forms": all_forms,
        "actions": set(actions_for(case.state, found)),
        "Action": Action,
        "errors": errors or {},
        "phone": phone or (case.contact_phone if access.sees_full_phone(found) else None),
        "may_reveal": access.may_reveal_phone(found),
        "category_names": NAMES,
        "party_names": PARTY_NAMES,
        "PartyKind": PartyKind,
        "message": message,
        "message_kind": "error" if status >= 400 else "success",
        "state_names": STATE_NAMES,
        "responsibility_names": RESPONSIBILITY_NAMES,
        "agenda": agenda_of_case(case),
        "my_parties": my_parties,
        "opinion_form": opinion_form,
        "done_form": DoneForm(formdata=None),
        "me_id": me().id if me() else None,
        "secretary": Capacity.SECRETARY in found,
        "escalate_form": EscalateForm(formdata=None),
        "reporter": Capacity.REPORTER in found,
        "feedbacks": _feedbacks(case),
    }
    template = "cases/_case.html" if is_htmx_fragment_request() else "cases/detail.html"
    return render_template(template, **context), status


@bp.route("/cases/<number>")
@public
def detail(number):
    case, found = _load(number)
    return render_case(case, found)


# -- actions ------------------------------------------------------------------------------


def _staff(case) -> bool:
    """Queue rows are the staff's; anyone else gets the case region back."""
    return access.sees_internal(access.capacities(me(), case))


def _done(case, message):
    """After a successful action: the fragment for htmx, a redirect for a plain form."""
    if is_htmx_fragment_request():
        if request.headers.get("HX-Target", "").startswith("row-") and _staff(case):
            from portal.cases.lists import render_row

            return render_row(case, message=message)
        db.session.expire_all()
        case, found = _load(case.number)
        return render_case(case, found, message=message)
    flash(message, "success")
    fallback = url_for("cases.detail", number=case.number)
    return redirect(safe_next(request.form.get("next"), fallback))


def _failed(case, found, name, form, error=None):
    """A refused action: the form again with its errors (422), or the conflict with the case
    as it stands now (409)."""
    status, message = 422, None
    version = getattr(form, "version", None)
    if error is None and version is not None and version.errors:
        message = str(version.errors[0])  # hidden: said above the form instead
    if error is not None:
        message = str(error.message)
        if isinstance(error, (service.Conflict, service.NotAllowed)):
            status = 409
    if (
        is_htmx_fragment_request()
        and request.headers.get("HX-Target", "").startswith("row-")
        and access.sees_internal(found)
    ):
        from portal.cases.lists import render_row

        db.session.expire_all()
        return render_row(
            db.session.get(Case, case.id),
            status=status,
            error=message or _("Please check the form."),
        )
    if status == 409:
        db.session.expire_all()
        case, found = _load(case.number)
        return render_case(case, found, status=409, message=message)
    return render_case(case, found, status=422, forms={name: form}, errors={name: message or ""})


def _act(number, name, form_class, operation):
    """Shared shape of every action view: load, validate, call the service, answer.
    `operation(case, form, people)` gets the assignable people (by id) for accept and assign."""
    case, found = _load(number)
    form = form_class()
    people = {}
    if name in ("accept", "assign"):
        people = {p.id: p for p in service.assignable_people(case.compound)}
        choices = [SelectChoice(p.id, p.name) for p in people.values()]
        if name == "accept":
            form.fill_choices(choices)
        else:
            form.assignee.choices = [SelectChoice(0, ""), *choices]
    if not form.validate_on_submit():
        return _failed(case, found, name, form)
    try:
        message = operation(case, form, people)
    except ServiceError as error:
        db.session.rollback()
        return _failed(case, found, name, form, error)
    return _done(case, message)


@bp.route("/cases/<number>/accept", methods=["POST"])
@public
def accept(number):
    def operation(case, form, people):
        assignee = people.get(form.assignee.data) if form.assignee.data else None
        service.accept(
            case,
            me(),
            form.version.data,
            Category(form.category.data),
            Priority(form.priority.data),
            PartyKind(form.lead_party.data),
            form.needs_consultation.data,
            Responsibility(form.responsibility.data) if form.responsibility.data else None,
            form.referred_to.data,
            assignee,
        )
        return _("Case %(number)s accepted.", number=case.number)

    return _act(number, "accept", AcceptForm, operation)


@bp.route("/cases/<number>/reject", methods=["POST"])
@public
def reject(number):
    def operation(case, form, people):
        service.reject(case, me(), form.version.data, form.reason.data)
        return _("Case %(number)s rejected.", number=case.number)

    return _act(number, "reject", RejectForm, operation)


@bp.route("/cases/<number>/merge", methods=["POST"])
@public
def merge(number):
    def operation(case, form, people):
        service.merge(case, me(), form.version.data, form.target.data)
        return _(
            "Case %(number)s merged into %(target)s.",
            number=case.number,
            target=form.target.data.strip(),
        )

    return _act(number, "merge", MergeForm, operation)


@bp.route("/cases/<number>/assign", methods=["POST"])
@public
def assign(number):
    def operation(case, form, people):
        assignee = people.get(form.assignee.data)
        service.assign(case, me(), form.version.data, assignee)
        return _("Case %(number)s assigned to %(name)s.", number=case.number, name=assignee.name)

    return _act(number, "assign", AssignForm, operation)


@bp.route("/cases/<number>/withdraw", methods=["POST"])
@public
def withdraw(number):
    def operation(case, form, people):
        service.withdraw(case, me(), form.version.data, has_key=_key_ok(case))
        return _("You have withdrawn case %(number)s.", number=case.number)

    return _act(number, "withdraw", WithdrawForm, operation)


@bp.route("/cases/<number>/updates", methods=["POST"])
@public
def update(number):
    def operation(case, form, people):
        processed = photos.check_all(request.files.getlist(form.photos.name))
        public_update = form.visibility.data != "internal"
        service.post_update(case, me(), form.body.data, public_update, processed)
        return _("Update posted.") if public_update else _("Internal note saved.")

    return _act(number, "update", UpdateForm, operation)


@bp.route("/cases/<number>/resolve", methods=["POST"])
@public
def resolve(number):
    def operation(case, form, people):
        processed = photos.check_all(request.files.getlist(form.photos.name))
        service.resolve(case, me(), form.version.data, form.body.data, processed)
        return _("Case %(number)s marked resolved.", number=case.number)

    return _act(number, "resolve", ResolveForm, operation)


@bp.route("/cases/<number>/info", methods=["POST"])
@public
def add_info(number):
    def operation(case, form, people):
        processed = photos.check_all(request.files.getlist(form.photos.name))
        service.add_info(case, me(), form.body.data, processed, has_key=_key_ok(case))
        return _("Your information was added to the case.")

    return _act(number, "info", InfoForm, operation)


@bp.route("/cases/<number>/escalate", methods=["POST"])
@public
def escalate(number):
    def operation(case, form, people):
        service.escalate(case, me(), form.reason.data)
        return _("Case %(number)s escalated to the community.", number=case.number)

    return _act(number, "escalate", EscalateForm, operation)


@bp.route("/cases/<number>/feedback", methods=["POST"])
@public
def feedback(number):
    from portal.feedback.models import Satisfaction, Source

    def operation(case, form, people):
        found = access.capacities(me(), case, _key_ok(case))
        source = (
            Source.RESIDENT
            if Capacity.REPORTER in found
            else Source(form.source.data or "phone_visit")
        )
        solved = form.solved.data == "yes"
        service.give_feedback(
            case,
            me(),
            solved,
            Satisfaction(form.satisfaction.data),
            form.comment.data,
            source,
            has_key=_key_ok(case),
        )
        if solved:
            return _("Thank you. Case %(number)s is closed.", number=case.number)
        return _("Case %(number)s goes back to be handled again.", number=case.number)

    return _act(number, "feedback", FeedbackForm, operation)


@bp.route("/cases/<number>/take-over", methods=["POST"])
@public
def take_over(number):
    def operation(case, form, people):
        service.take_over(case, me(), form.version.data)
        return _("You now handle case %(number)s.", number=case.number)

    return _act(number, "take_over", TakeOverForm, operation)


@bp.route("/cases/<number>/reveal-phone", methods=["POST"])
@public
def reveal_phone(number):
    case, found = _load(number)
    try:
        phone = service.reveal_phone(case, me())
    except ServiceError:
        abort(404)
    if is_htmx_fragment_request():
        return render_template("cases/_phone.html", phone=phone, case=case, may_reveal=False)
    db.session.expire_all()
    case, found = _load(number)
    return render_case(case, found, phone=phone)


# -- photos --------------------------------------------------------------------------------


@bp.route("/cases/<number>/photos/<int:photo_id>")
@bp.route("/cases/<number>/photos/<int:photo_id>/thumb", endpoint="photo_thumb")
@public
def photo(number, photo_id):
    case, found = _load(number)
    item = db.session.get(Photo, photo_id)
    if item is None or item.case_id != case.id:
        abort(404)
    if item.event is not None and not item.event.public and not access.sees_internal(found):
        abort(404)
    path = item.thumb_path if request.endpoint == "cases.photo_thumb" else item.path
    response = send_file(
        f"{current_app.config['UPLOAD_FOLDER']}/{path}", mimetype="image/jpeg", max_age=3600
    )
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


from portal.cases import lists, posters  # noqa: E402,F401  (their routes join this blueprint)
