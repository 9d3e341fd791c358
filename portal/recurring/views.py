"""Pages of recurring problems: a compound's and a community's topics, and a topic with its
cases, where it is taken to a consultation or to the community and its outcome recorded."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal import permissions
from portal.consultation.models import Consultation, ConsultationState
from portal.errors import Conflict, Invalid, NotAllowed, ServiceError
from portal.extensions import db
from portal.organisation.models import Community
from portal.permissions import can, guard, signed_in
from portal.recurring import queries, service
from portal.recurring.forms import AgendaForm, OutcomeForm, SendForm
from portal.web import compound_or_404, is_htmx_fragment_request, page_or_fragment

bp = Blueprint("recurring", __name__)


@bp.route("/c/<code>/topics")
@guard(signed_in)
def compound_topics(code):
    compound = compound_or_404(code)
    return render_template(
        "recurring/index.html",
        unit=compound,
        topics=queries.listing([compound.id], open_only=request.args.get("state") == "open"),
    )


@bp.route("/community/<code>/topics")
@guard(signed_in)
def community_topics(code):
    community = db.session.scalar(select(Community).where(Community.code == code))
    if community is None or not permissions.oversees_community(current_user, community):
        abort(404)
    return render_template(
        "recurring/index.html",
        unit=community,
        topics=queries.listing(
            community_ids=[community.id], open_only=request.args.get("state") == "open"
        ),
    )


def _topic_or_404(topic_id):
    topic = queries.topic(topic_id)
    if topic is None or not can(current_user, "see_topic", topic):
        abort(404)
    return topic


def _open_consultations(topic) -> list[Consultation]:
    if topic.compound_id is None:
        return []
    return list(
        db.session.scalars(
            select(Consultation)
            .where(
                Consultation.compound_id == topic.compound_id,
                Consultation.state == ConsultationState.OPEN,
            )
            .order_by(Consultation.created_at.desc(), Consultation.id.desc())
        )
    )


def _page(topic, status=200, message=None, **forms):
    consultations = _open_consultations(topic)
    agenda = forms.get("agenda") or AgendaForm(formdata=None)
    agenda.consultation.choices = [(str(c.id), c.title) for c in consultations]
    for name, form in (
        ("agenda", agenda),
        ("send", forms.get("send") or SendForm(formdata=None)),
        ("outcome", forms.get("outcome") or OutcomeForm(formdata=None)),
    ):
        form.version.data = topic.version
        forms[name] = form
    return page_or_fragment(
        "recurring/topic.html",
        "recurring/_topic.html",
        target="topic",
        status=status,
        topic=topic,
        message=message,
        consultations=consultations,
        may_raise=can(current_user, "raise_topic", topic),
        may_close=can(current_user, "close_topic", topic),
        **forms,
    )


@bp.route("/topics/<int:topic_id>")
@guard(signed_in)
def detail(topic_id):
    return _page(_topic_or_404(topic_id))


def _act(topic_id, name, form, operation, done):
    """One operation from a form on the topic page: the form's errors with the text kept
    (422), a refusal or a concurrent change said plainly (409), or done."""
    topic = _topic_or_404(topic_id)
    if not form.validate_on_submit():
        return _page(topic, 422, **{name: form})
    try:
        operation(topic)
    except ServiceError as error:
        db.session.rollback()
        topic = _topic_or_404(topic_id)
        status = 409 if isinstance(error, (Conflict, NotAllowed)) else 422
        form.form_errors.append(str(error.message))
        return _page(topic, status, **{name: form})
    if is_htmx_fragment_request():
        db.session.expire_all()
        return _page(_topic_or_404(topic_id), message=done)
    flash(done, "success")
    return redirect(url_for("recurring.detail", topic_id=topic_id))


@bp.route("/topics/<int:topic_id>/agenda", methods=["POST"])
@guard(signed_in)
def agenda(topic_id):
    form = AgendaForm()

    def operation(topic):
        chosen = form.consultation.data
        consultation = db.session.get(Consultation, chosen) if chosen is not None else None
        if consultation is None:  # another compound's is refused by the service
            raise Invalid(_("Choose a consultation of this compound."))
        service.put_on_agenda(topic, consultation, current_user, version=form.version.data)

    return _act(
        topic_id, "agenda", form, operation, _("The topic is on the consultation's agenda.")
    )


@bp.route("/topics/<int:topic_id>/send", methods=["POST"])
@guard(signed_in)
def send(topic_id):
    form = SendForm()

    def operation(topic):
        service.send_to_community(
            topic, current_user, note=form.note.data, version=form.version.data
        )

    return _act(topic_id, "send", form, operation, _("The topic is sent to the community."))


@bp.route("/topics/<int:topic_id>/outcome", methods=["POST"])
@guard(signed_in)
def outcome(topic_id):
    form = OutcomeForm()

    def operation(topic):
        service.record_outcome(
            topic, current_user, outcome=form.outcome.data, version=form.version.data
        )

    return _act(topic_id, "outcome", form, operation, _("The outcome is recorded."))
