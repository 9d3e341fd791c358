"""What people do with a recurring problem: the compound's secretary puts it on a
consultation's agenda or sends it to the community, and whoever answers for it records the
outcome, which closes it."""

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.exc import StaleDataError

from portal.clock import now
from portal.consultation.models import Consultation, ConsultationState
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db
from portal.notifications import service as notifications
from portal.permissions import can
from portal.recurring.models import Reach, Topic, TopicState

STALE = _l(
    "This topic changed since you opened it. Here is how it stands now; please check and try again."
)


class Stale(Conflict):
    def __init__(self):
        super().__init__(STALE)


def _commit() -> None:
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Stale() from None


def _seen(topic: Topic, version) -> None:
    """The person acted on the version of the topic they saw, or is told what changed."""
    if version is not None and str(version) != str(topic.version):
        raise Stale()


def _need_open(topic: Topic) -> None:
    if not topic.is_open:
        raise Conflict(_l("This topic is closed; its outcome is on record."))


def attach(topic: Topic, consultation: Consultation, by) -> None:
    """Put the topic on the consultation's agenda, in the caller's transaction (convening a
    consultation for a topic does this as it convenes)."""
    if topic.reach is Reach.COMMUNITY or not can(by, "raise_topic", topic):
        raise NotAllowed(_l("Only the compound's party-branch secretary can do this."))
    _need_open(topic)
    if consultation.compound_id != topic.compound_id:
        raise Invalid(_l("Choose a consultation of this compound."))
    if consultation.state is not ConsultationState.OPEN:
        raise Conflict(_l("This consultation has already been concluded or cancelled."))
    if topic.state is TopicState.ON_AGENDA and topic.consultation_id == consultation.id:
        raise Conflict(_l("This topic is on that consultation's agenda already."))
    topic.consultation = consultation
    topic.state = TopicState.ON_AGENDA


def put_on_agenda(topic: Topic, consultation: Consultation, by, *, version=None) -> Topic:
    _seen(topic, version)
    attach(topic, consultation, by)
    _commit()
    return topic


def send_to_community(topic: Topic, by, *, note: str, version=None) -> Topic:
    """The compound cannot settle it alone: the community's overseers are told and answer."""
    _seen(topic, version)
    if topic.reach is Reach.COMMUNITY or not can(by, "raise_topic", topic):
        raise NotAllowed(_l("Only the compound's party-branch secretary can do this."))
    _need_open(topic)
    if topic.state is TopicState.SENT:
        raise Conflict(_l("This topic has been sent to the community already."))
    if not (note or "").strip():
        raise Invalid(_l("Say what the compound needs from the community."))
    topic.state, topic.sent_at, topic.sent_note = TopicState.SENT, now(), note.strip()
    db.session.flush()
    for person in notifications.overseers_of(topic.community):
        notifications.notify(
            person,
            "topic_sent",
            {"compound": topic.compound.name if topic.compound else ""},
            f"/topics/{topic.id}",
        )
    _commit()
    return topic


def record_outcome(topic: Topic, by, *, outcome: str, version=None) -> Topic:
    _seen(topic, version)
    if not can(by, "close_topic", topic):
        raise NotAllowed(
            _l("The compound's secretary or the community's overseers record the outcome.")
        )
    _need_open(topic)
    if not (outcome or "").strip():
        raise Invalid(_l("Say what was done about it."))
    topic.state, topic.outcome = TopicState.CLOSED, outcome.strip()
    topic.closed_at, topic.closed_by = now(), by
    _commit()
    return topic
