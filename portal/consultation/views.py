"""Consultation pages: convene, the meeting page (agenda, attendance, opinions, resolutions,
signatures), minutes for the paper file, action items, and the compound's noticeboard."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select, true
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice
from wtforms.validators import Optional

from portal import permissions
from portal.cases import service as cases
from portal.cases.access import party_of
from portal.cases.forms import HideForm, people_choices
from portal.cases.models import Case
from portal.clock import LOCAL_ZONE
from portal.consultation import queries, service
from portal.consultation.forms import (
    AttendanceForm,
    ConveneForm,
    DoneForm,
    NoticeForm,
    OpinionForm,
    ReasonForm,
    ResolutionForm,
    SignForm,
    party_choices,
)
from portal.consultation.models import (
    ActionItem,
    AgendaItem,
    Consultation,
    ConsultationState,
    Decision,
    Invitation,
    Mode,
    Notice,
    Opinion,
    Resolution,
    ResolutionState,
    Signature,
)
from portal.errors import ServiceError
from portal.extensions import as_id, db
from portal.forms import ConfirmForm
from portal.labels import label, topic_title
from portal.organisation import queries as org
from portal.organisation.models import PartyKind
from portal.permissions import guard, is_secretary, parties_of, signed_in, signing_parties
from portal.recurring import queries as topics
from portal.web import compound_or_404, is_htmx_fragment_request, page_or_fragment, safe_next

bp = Blueprint("consultation", __name__)


def _load(consultation_id) -> Consultation:
    consultation = db.session.scalar(
        select(Consultation)
        .where(Consultation.id == consultation_id)
        .options(
            selectinload(Consultation.items)
            .selectinload(AgendaItem.case)
            .selectinload(Case.building),
            selectinload(Consultation.items)
            .selectinload(AgendaItem.opinions)
            .selectinload(Opinion.author),
            selectinload(Consultation.items)
            .selectinload(AgendaItem.resolution)
            .selectinload(Resolution.signatures)
            .selectinload(Signature.signer),
            selectinload(Consultation.items)
            .selectinload(AgendaItem.resolution)
            .selectinload(Resolution.action_items)
            .selectinload(ActionItem.assignee),
            selectinload(Consultation.attendance),
            selectinload(Consultation.invitations).selectinload(Invitation.person),
            selectinload(Consultation.convened_by),
            selectinload(Consultation.compound),
        )
    )
    if consultation is None or not (
        permissions.can(current_user, "see_compound", consultation.compound)
        or (
            permissions.can(current_user, "see_consultations", consultation.compound)
            and any(i.person_id == current_user.id for i in consultation.invitations)
        )
    ):
        abort(404)
    return consultation


@bp.route("/c/<code>/consultations")
@guard(signed_in)
def index(code):
    compound = compound_or_404(code, "see_consultations")
    mine = select(Invitation.consultation_id).where(Invitation.person_id == current_user.id)
    everything = permissions.can(current_user, "see_compound", compound)
    consultations = db.session.scalars(
        select(Consultation)
        .where(Consultation.compound_id == compound.id)
        # A representative sees the consultations they are invited to.
        .where(true() if everything else Consultation.id.in_(mine))
        # ?state=open: those still open (a secretary's desk counts them).
        .where(
            Consultation.state == ConsultationState.OPEN
            if request.args.get("state") == "open"
            else true()
        )
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
        .limit(100)
        .options(selectinload(Consultation.items))
    ).all()
    return render_template(
        "consultation/index.html",
        compound=compound,
        consultations=consultations,
        secretary=is_secretary(current_user, compound.id),
    )


@bp.route("/c/<code>/consultations/new", methods=["GET", "POST"])
@guard(signed_in)
def convene(code):
    compound = compound_or_404(code)
    if not permissions.can(current_user, "convene", compound):
        abort(404)
    candidates = queries.agenda_candidates(compound)
    form = ConveneForm()
    form.cases.choices = [
        SelectChoice(c.id, f"{c.number} · {label(c.category)}") for c in candidates
    ]
    # Convened for a recurring problem (portal.recurring): the topic goes on the agenda, with
    # those of its cases that can; it may be the whole agenda.
    topic = _topic_to_convene_on(compound)
    if topic is not None:
        form.topic.data = str(topic.id)
        form.cases.validators = [Optional()]
        if request.method == "GET":
            form.title.data = _("Recurring problem: %(topic)s", topic=topic_title(topic))
            on_topic = {c.id for c in topic.cases}
            form.cases.data = [c.id for c in candidates if c.id in on_topic]
    # Otherwise nothing is ticked by itself: the secretary chooses tonight's agenda (cases
    # marked as needing a consultation are listed first).
    if form.validate_on_submit():
        chosen = db.session.scalars(
            select(Case)
            .where(Case.id.in_(form.cases.data), Case.compound_id == compound.id)
            .order_by(Case.id)
        ).all()
        starts_at = form.starts_at.data.replace(tzinfo=LOCAL_ZONE) if form.starts_at.data else None
        try:
            consultation = service.convene(
                compound,
                current_user,
                title=form.title.data,
                mode=Mode(form.mode.data),
                case_list=chosen,
                starts_at=starts_at,
                place=form.place.data,
                window_days=form.window_days.data,
                topics=[topic] if topic is not None else [],
            )
        except ServiceError as error:
            form.title.errors = [*form.title.errors, str(error.message)]
        else:
            flash(_("The consultation is convened; the three parties are invited."), "success")
            return redirect(url_for("consultation.detail", consultation_id=consultation.id))
    return render_template(
        "consultation/convene.html",
        compound=compound,
        form=form,
        topic=topic,
        candidates={c.id: c for c in candidates},
    ), (422 if request.method == "POST" else 200)


def _topic_to_convene_on(compound):
    """The recurring problem a consultation is convened for (?topic=, or the form's field):
    one of this compound's, still open; any other answers 404."""
    wanted = request.values.get("topic", "")
    if not wanted:
        return None
    topic_id = as_id(wanted)
    topic = topics.topic(topic_id) if topic_id is not None else None
    if topic is None or topic.compound_id != compound.id or not topic.is_open:
        abort(404)
    return topic


def _people(compound):
    return cases.assignable_people(compound)


def _resolution_form(compound, people):
    form = ResolutionForm(formdata=None)
    _fill_actions(form, people, compound)
    return form


def _fill_actions(form, people, compound):
    choices = [SelectChoice(0, "—"), *people_choices(compound.id, people)]
    for entry in form.actions:
        entry.form.assignee.choices = choices


def render(consultation, status=200, errors=None, message=None, forms=None):
    me = current_user
    compound = consultation.compound
    people = _people(compound)
    my_parties = sorted(parties_of(me, compound.id))
    signing = sorted(signing_parties(me, compound.id))
    attendance_form = AttendanceForm(formdata=None)
    attendance_form.party.choices = party_choices()
    opinion_form = OpinionForm(formdata=None)
    opinion_form.party.choices = [SelectChoice(p.value, label(p)) for p in my_parties]
    sign_form = SignForm(formdata=None)
    sign_form.party.choices = [SelectChoice(p.value, label(p)) for p in signing]
    context = {
        "consultation": consultation,
        "compound": compound,
        "secretary": is_secretary(me, compound.id),
        # A representative reads the agenda's cases with their reporters masked.
        "sees_cases": permissions.can(me, "see_compound", compound),
        "my_parties": my_parties,
        "signing": signing,
        "attendance_form": attendance_form,
        "opinion_form": opinion_form,
        "sign_form": sign_form,
        "reason_form": ReasonForm(formdata=None),
        "resolution_form": _resolution_form(compound, people),
        "missing": service.missing_parties(consultation),
        "errors": errors or {},
        "message": message,
        "message_kind": "error" if status >= 400 else "success",
        "forms": forms or {},
        "attendance": {a.party: a for a in consultation.attendance},
        "topics": topics.on_agenda_of(consultation.id),
    }
    return page_or_fragment(
        "consultation/detail.html", "consultation/_meeting.html", status=status, **context
    )


@bp.route("/consultations/waiting")
@guard(signed_in)
def waiting():
    """The agenda items waiting for the person's opinion or signature (counted on their desk)."""
    return render_template("consultation/waiting.html", waiting=queries.waiting_on(current_user))


@bp.route("/consultations/<int:consultation_id>")
@guard(signed_in)
def detail(consultation_id):
    return render(_load(consultation_id))


def _answer(consultation_id, operation, key, form=None, message=None):
    """Run one operation from a form on the meeting page and answer as the page expects."""
    consultation = _load(consultation_id)
    if form is not None and not form.validate_on_submit():
        return render(
            consultation,
            422,
            errors={
                key: "; ".join(
                    str(e)  # the messages are lazy strings
                    for errs in form.errors.values()
                    for e in (errs if isinstance(errs, list) else [str(errs)])
                )
            },
        )
    try:
        done_message = operation(consultation)
    except ServiceError as error:
        db.session.rollback()
        consultation = _load(consultation_id)
        status = 409 if isinstance(error, (service.Conflict, service.NotAllowed)) else 422
        if not is_htmx_fragment_request() and status == 409:
            flash(str(error.message), "error")
            return redirect(url_for("consultation.detail", consultation_id=consultation_id))
        return render(consultation, status, errors={key: str(error.message)})
    if is_htmx_fragment_request():
        db.session.expire_all()
        return render(_load(consultation_id), message=done_message or message)
    flash(done_message or message, "success")
    target = request.form.get("next")
    return redirect(
        safe_next(target, url_for("consultation.detail", consultation_id=consultation_id))
    )


@bp.route("/consultations/<int:consultation_id>/attendance", methods=["POST"])
@guard(signed_in)
def attendance(consultation_id):
    form = AttendanceForm()
    form.party.choices = party_choices()

    def operation(consultation):
        service.record_attendance(
            consultation,
            current_user,
            party=PartyKind(form.party.data),
            present=form.present.data,
            attendees=form.attendees.data,
        )
        return _("Attendance recorded.")

    return _answer(consultation_id, operation, "attendance", form)


def _item(consultation, item_id) -> AgendaItem:
    item = next((i for i in consultation.items if i.id == item_id), None)
    if item is None:
        abort(404)
    return item


@bp.route("/consultations/<int:consultation_id>/items/<int:item_id>/opinion", methods=["POST"])
@guard(signed_in)
def opinion(consultation_id, item_id):
    form = OpinionForm()
    form.party.choices = party_choices()

    def operation(consultation):
        service.post_opinion(
            _item(consultation, item_id),
            current_user,
            party=PartyKind(form.party.data),
            body=form.body.data,
        )
        return _("Opinion recorded.")

    return _answer(consultation_id, operation, f"opinion-{item_id}", form)


@bp.route("/consultations/<int:consultation_id>/items/<int:item_id>/resolution", methods=["POST"])
@guard(signed_in)
def resolution(consultation_id, item_id):
    consultation = _load(consultation_id)
    people = {p.id: p for p in _people(consultation.compound)}
    form = ResolutionForm()
    _fill_actions(form, list(people.values()), consultation.compound)

    def operation(consultation):
        actions = []
        for entry in form.actions:
            row = entry.form
            if not (row.assignee.data or row.description.data or row.due_on.data):
                continue  # an empty row
            assignee = people.get(row.assignee.data)
            actions.append(
                {
                    "assignee": assignee,
                    "description": row.description.data or "",
                    "due_on": row.due_on.data,
                    "party": party_of(assignee, consultation.compound_id) if assignee else None,
                }
            )
        service.draft_resolution(
            _item(consultation, item_id), current_user, text=form.text.data, actions=actions
        )
        return _("Resolution recorded; the three parties can now sign it.")

    return _answer(consultation_id, operation, f"resolution-{item_id}", form)


@bp.route("/resolutions/<int:resolution_id>/sign", methods=["POST"])
@guard(signed_in)
def sign(resolution_id):
    found = db.session.get(Resolution, resolution_id) or abort(404)
    consultation_id = found.item.consultation_id
    form = SignForm()
    form.party.choices = party_choices()

    def operation(consultation):
        decision = Decision(form.decision.data or "sign")
        service.sign(
            found,
            current_user,
            party=PartyKind(form.party.data),
            decision=decision,
            reason=form.reason.data,
        )
        return _("Signed.") if decision is Decision.SIGN else _("Dissent recorded.")

    return _answer(consultation_id, operation, f"sign-{resolution_id}", form)


@bp.route("/consultations/<int:consultation_id>/conclude", methods=["POST"])
@guard(signed_in)
def conclude(consultation_id):
    def operation(consultation):
        service.conclude(consultation, current_user)
        return _("The consultation is concluded.")

    return _answer(consultation_id, operation, "conclude", ConfirmForm())


@bp.route("/consultations/<int:consultation_id>/cancel", methods=["POST"])
@guard(signed_in)
def cancel(consultation_id):
    form = ReasonForm()

    def operation(consultation):
        service.cancel(consultation, current_user, reason=form.reason.data)
        return _("The consultation is cancelled; its cases are back at work.")

    return _answer(consultation_id, operation, "cancel", form)


@bp.route("/action-items/<int:action_id>/done", methods=["POST"])
@guard(signed_in)
def action_done(action_id):
    action = db.session.get(ActionItem, action_id)
    if action is None or not (
        action.assignee_id == current_user.id
        or permissions.can(current_user, "see_compound", action.case.compound)
    ):
        abort(404)
    form = DoneForm()
    back = safe_next(form.next.data, url_for("cases.detail", number=action.case.number))
    if not form.validate_on_submit():
        flash(_("Say what was done."), "error")
        return redirect(back)
    _said(
        lambda: service.mark_done(action, current_user, note=form.note.data),
        _("Action item marked done."),
    )
    return redirect(back)


def _said(operation, done: str) -> None:
    """A plain form's service operation: what went wrong, or that it is done, as a flash."""
    try:
        operation()
    except ServiceError as error:
        flash(str(error.message), "error")
    else:
        flash(done, "success")


@bp.route("/consultations/<int:consultation_id>/minutes")
@guard(signed_in)
def minutes(consultation_id):
    consultation = _load(consultation_id)
    # In the reader's language, or the other one with ?lang= (web.PRINTED_IN_EITHER_LANGUAGE).
    return render_template(
        "consultation/minutes.html",
        consultation=consultation,
        sees_cases=permissions.can(current_user, "see_compound", consultation.compound),
        attendance={a.party: a for a in consultation.attendance},
        topics=topics.on_agenda_of(consultation.id),
        invited={
            k: [i.person.name for i in consultation.invitations if i.party == k] for k in PartyKind
        },
    )


# -- the noticeboard -----------------------------------------------------------------------


@bp.route("/c/<code>/notices", methods=["GET", "POST"])
@guard(signed_in)
def notices(code):
    compound = org.compound_by_code(code)
    if compound is None or not permissions.can(current_user, "read_notices", compound):
        abort(404)
    secretary = permissions.can(current_user, "post_notice", compound)
    form = NoticeForm()
    if request.method == "POST":
        if not secretary:
            abort(404)
        if form.validate_on_submit():
            try:
                service.post_notice(
                    compound, current_user, title=form.title.data, body=form.body.data
                )
            except ServiceError as error:
                form.title.errors = [str(error.message)]
            else:
                flash(_("Notice posted."), "success")
                return redirect(url_for("consultation.notices", code=code))
    resolutions = db.session.scalars(
        select(Resolution)
        .join(AgendaItem)
        .join(Consultation)
        .where(
            Consultation.compound_id == compound.id, Resolution.state == ResolutionState.EFFECTIVE
        )
        .order_by(Resolution.effective_at.desc())
        .limit(50)
        .options(
            selectinload(Resolution.item).selectinload(AgendaItem.case).selectinload(Case.building),
            selectinload(Resolution.item).selectinload(AgendaItem.consultation),
            selectinload(Resolution.action_items).selectinload(ActionItem.assignee),
            selectinload(Resolution.signatures),
        )
    ).all()
    posted = db.session.scalars(
        select(Notice)
        .where(Notice.compound_id == compound.id)
        .order_by(Notice.posted_at.desc())
        .limit(50)
        .options(selectinload(Notice.posted_by))
    ).all()
    return render_template(
        "consultation/notices.html",
        compound=compound,
        resolutions=resolutions,
        notices=posted,
        form=form,
        secretary=secretary,
        # The compound's people read a hidden notice, marked; residents read why it is hidden.
        staff=permissions.can(current_user, "see_compound", compound),
        moderates=permissions.can(current_user, "moderate_notices", compound),
    ), (422 if request.method == "POST" else 200)


def _notice_or_404(notice_id) -> Notice:
    notice = db.session.get(Notice, notice_id)
    if notice is None or not permissions.can(current_user, "moderate_notices", notice.compound):
        abort(404)
    return notice


@bp.route("/notices/<int:notice_id>/hide", methods=["POST"])
@guard(signed_in)
def hide_notice(notice_id):
    notice = _notice_or_404(notice_id)
    form = HideForm()  # its reason; a notice is hidden whole
    back = url_for("consultation.notices", code=notice.compound.code)
    if not form.validate_on_submit():
        flash(str(next((e for f in form for e in f.errors), _("Please check the form."))), "error")
        return redirect(back)
    _said(
        lambda: service.hide_notice(notice, current_user, reason=form.reason.data),
        _("Hidden from the public."),
    )
    return redirect(back)


@bp.route("/notices/<int:notice_id>/show", methods=["POST"])
@guard(signed_in)
def show_notice(notice_id):
    notice = _notice_or_404(notice_id)
    if ConfirmForm().validate_on_submit():
        _said(lambda: service.show_notice(notice, current_user), _("Shown to the public again."))
    return redirect(url_for("consultation.notices", code=notice.compound.code))
