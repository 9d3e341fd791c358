"""Operations on consultations in the domain's words: convene, attend, give opinions, resolve,
sign or dissent, conclude or cancel, mark action items done, post notices."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal import labels, signals
from portal.accounts.roles import Role
from portal.accounts.service import people_holding
from portal.cases import service as cases
from portal.cases.events import EventKind
from portal.cases.models import Case
from portal.cases.workflow import Action, states_allowing
from portal.clock import now
from portal.consultation import queries
from portal.consultation.models import (
    ActionItem,
    AgendaItem,
    Attendance,
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
from portal.errors import Conflict, Invalid, NotAllowed, ServiceError
from portal.extensions import db
from portal.notifications import service as notifications
from portal.organisation.models import PartyKind
from portal.permissions import can, is_secretary, parties_of, signing_parties
from portal.recurring import service as recurring
from portal.recurring.models import Topic


def _need_secretary(consultation_or_compound_id, by):
    compound_id = getattr(consultation_or_compound_id, "compound_id", consultation_or_compound_id)
    if not is_secretary(by, compound_id):
        raise NotAllowed(_l("Only the compound's party-branch secretary can do this."))


def _need_open(consultation):
    if consultation.state is not ConsultationState.OPEN:
        raise Conflict(_l("This consultation has already been concluded or cancelled."))


def _commit():
    # Two people recording the same party's attendance or signature at once meet the unique
    # constraints: a conflict, like a stale case.
    try:
        cases.commit()
    except IntegrityError:
        db.session.rollback()
        raise cases.Stale() from None


@signals.case_resolving.connect
def _hold_until_action_items_done(case, **_):
    """A case on which a resolution's action items are still open cannot be resolved."""
    if queries.open_action_count(case):
        raise Conflict(_l("The consultation's action items on this case are not all done yet."))


@cases.atomic
def convene(
    compound,
    by,
    *,
    title: str,
    mode: Mode,
    case_list: list[Case],
    starts_at: datetime | None = None,
    place: str | None = None,
    window_days: int | None = None,
    topics: Sequence[Topic] = (),
) -> Consultation:
    """Convene the three parties on cases, and on recurring problems of the compound (which
    may make the whole agenda)."""
    _need_secretary(compound.id, by)
    if not (title or "").strip():
        raise Invalid(_l("Give the consultation a title."))
    if not case_list and not topics:
        raise Invalid(_l("Put at least one case on the agenda."))
    if mode is Mode.IN_PERSON and (starts_at is None or not (place or "").strip()):
        raise Invalid(_l("An in-person meeting needs a date, a time and a place."))
    if mode is Mode.ONLINE and not (window_days and 1 <= window_days <= 30):
        raise Invalid(_l("An on-line consultation needs an opinion window of 1 to 30 days."))
    for case in case_list:
        if case.compound_id != compound.id:
            raise Invalid(_l("Every case on the agenda must belong to this compound."))
        other = queries.open_agenda_of(case)
        if other is not None:
            raise Conflict(
                _l(
                    "Case %(number)s is already on the agenda of “%(title)s”; a case "
                    "is discussed in one consultation at a time.",
                    number=case.number,
                    title=other.title,
                )
            )
        if not cases.may_convene(case):
            raise Conflict(
                _l(
                    "Case %(number)s cannot go on an agenda in its present state.",
                    number=case.number,
                )
            )
    consultation = Consultation(
        compound_id=compound.id,
        title=title.strip(),
        mode=mode,
        convened_by=by,
        starts_at=starts_at if mode is Mode.IN_PERSON else None,
        place=(place or "").strip() or None if mode is Mode.IN_PERSON else None,
        window_closes_at=now() + timedelta(days=window_days or 0) if mode is Mode.ONLINE else None,
    )
    db.session.add(consultation)
    db.session.flush()
    for position, case in enumerate(case_list):
        db.session.add(AgendaItem(consultation=consultation, case=case, position=position))
        cases.enter_consultation(case, by, consultation=consultation)
    for topic in topics:
        recurring.attach(topic, consultation, by)
    db.session.flush()
    for person, party in queries.default_invitees(compound):
        db.session.add(Invitation(consultation=consultation, person=person, party=party))
        if person.id != by.id:
            notifications.notify(
                person,
                "invited",
                {"title": consultation.title},
                f"/consultations/{consultation.id}",
            )
    _commit()
    return consultation


def record_attendance(consultation, by, *, party: PartyKind, present: bool, attendees: str) -> None:
    _need_secretary(consultation, by)
    _need_open(consultation)
    if consultation.mode is not Mode.IN_PERSON:
        raise Invalid(_l("Attendance is recorded for in-person meetings only."))
    row = next((a for a in consultation.attendance if a.party == party), None)
    if row is None:
        row = Attendance(consultation=consultation, party=party, recorded_by_id=by.id)
        db.session.add(row)
    row.present, row.attendees = present, (attendees or "").strip()[:300]
    row.recorded_by_id, row.recorded_at = by.id, now()
    db.session.commit()


def post_opinion(item: AgendaItem, by, *, party: PartyKind, body: str) -> Opinion:
    consultation = item.consultation
    _need_open(consultation)
    if party not in parties_of(by, consultation.compound_id):
        raise NotAllowed(_l("You can give an opinion only for your own party."))
    if consultation.mode is Mode.ONLINE and not consultation.window_open:
        raise Conflict(
            _l(
                "The opinion window closed on %(time)s; late opinions are not taken.",
                time=labels.moment(consultation.window_closes_at),
            )
        )
    if not (body or "").strip():
        raise Invalid(_l("Write the opinion."))
    opinion = Opinion(item=item, party=party, author_id=by.id, body=body.strip(), created_at=now())
    db.session.add(opinion)
    db.session.commit()
    return opinion


def missing_parties(consultation) -> list[PartyKind]:
    """The parties that have not taken part: not present (in person) or silent (on-line)."""
    if consultation.mode is Mode.IN_PERSON:
        present = {a.party for a in consultation.attendance if a.present}
    else:
        present = {o.party for item in consultation.items for o in item.opinions}
    return [party for party in PartyKind if party not in present]


@cases.atomic
def draft_resolution(item: AgendaItem, by, *, text: str, actions: list[dict]) -> Resolution:
    """What will be done on an agenda case, with action items.

    `actions` is a list of {party, assignee, description, due_on}.
    """
    consultation = item.consultation
    _need_secretary(consultation, by)
    _need_open(consultation)
    if not (text or "").strip():
        raise Invalid(_l("Say what will be done."))
    if item.resolution is not None and item.resolution.signatures:
        raise Conflict(_l("The resolution has been signed already and can no longer be changed."))
    for action in actions:
        assignee = action.get("assignee")
        if assignee is None or action["party"] not in parties_of(
            assignee, consultation.compound_id
        ):
            raise Invalid(_l("Each action item needs a person of the party that will do it."))
        if not (action.get("description") or "").strip():
            raise Invalid(_l("Each action item needs a description."))
        if not isinstance(action.get("due_on"), date):
            raise Invalid(_l("Each action item needs a date by which it is done."))
    resolution = item.resolution
    if resolution is None:
        resolution = Resolution(item=item, drafted_by_id=by.id, text=text.strip(), created_at=now())
        db.session.add(resolution)
    else:
        resolution.text = text.strip()
        resolution.action_items.clear()
    # The three parties have this long to sign what is now before them.
    days = current_app.config["RESOLUTION_SIGN_DAYS"]
    resolution.sign_by = cases.working_days_from(now(), days).at
    for action in actions:
        resolution.action_items.append(
            ActionItem(
                case_id=item.case_id,
                party=action["party"],
                assignee=action["assignee"],
                description=action["description"].strip(),
                due_on=action["due_on"],
            )
        )
    _commit()
    return resolution


@cases.atomic
def sign(
    resolution: Resolution, by, *, party: PartyKind, decision: Decision, reason: str | None = None
) -> Resolution:
    item = resolution.item
    consultation = item.consultation
    if consultation.state is ConsultationState.CANCELLED:
        raise Conflict(_l("This consultation was cancelled; its resolutions do not take effect."))
    if resolution.state is not ResolutionState.SIGNING:
        raise Conflict(_l("This resolution is no longer open for signatures."))
    if party not in signing_parties(by, consultation.compound_id):
        raise NotAllowed(
            _l(
                "You cannot sign for this party: each party signs through its head, "
                "the residents' side through a representative."
            )
        )
    if resolution.signature(party) is not None:
        raise Conflict(_l("This party has already signed or dissented."))
    if decision is Decision.DISSENT and not (reason or "").strip():
        raise Invalid(_l("Give the reason for the dissent; it goes on the record."))
    resolution.signatures.append(
        Signature(
            party=party,
            signer_id=by.id,
            decision=decision,
            reason=(reason or "").strip() or None,
            at=now(),
        )
    )
    case = item.case
    if decision is Decision.DISSENT:
        resolution.state = ResolutionState.DISSENTED
        if cases.in_consultation(case):
            cases.leave_consultation(case, by, outcome="dissented", body=(reason or "").strip())
        # A dissent leads somewhere: the secretary, who can escalate it a level up, and the
        # community, which may be asked to settle it, hear of it at once.
        told = people_holding(case.compound_id, [Role.SECRETARY]) + notifications.overseers(case, 1)
        for person in {p.id: p for p in told}.values():
            notifications.notify(
                person,
                "dissented",
                {"number": case.number, "body": (reason or "").strip()[:200]},
                f"/cases/{case.number}",
                case_id=case.id,
            )
    elif {s.party for s in resolution.signatures if s.decision is Decision.SIGN} == set(PartyKind):
        resolution.state = ResolutionState.EFFECTIVE
        resolution.effective_at = now()
        if cases.in_consultation(case):
            # The resolution names who does it: the first action item's person takes a case
            # nobody handled yet.
            first = resolution.action_items[0] if resolution.action_items else None
            cases.leave_consultation(
                case,
                by,
                outcome="effective",
                body=resolution.text,
                assignee=first.assignee if first else None,
                party=first.party if first else None,
                resolution_id=resolution.id,
            )
        for action in resolution.action_items:
            notifications.notify(
                action.assignee,
                "action_item",
                {"number": case.number, "body": action.description},
                f"/cases/{case.number}",
                case_id=case.id,
            )
    resolution.signed_count += 1
    _commit()
    return resolution


def _release_cases(consultation, by, outcome):
    for item in consultation.items:
        case = item.case
        pending = item.resolution is not None and item.resolution.state is ResolutionState.SIGNING
        if cases.in_consultation(case) and (outcome == "cancelled" or not pending):
            cases.leave_consultation(case, by, outcome=outcome)


@cases.atomic
def conclude(consultation, by) -> Consultation:
    """End the meeting. All three parties must have taken part; cases without a resolution
    waiting for signatures go back to work."""
    _need_secretary(consultation, by)
    _need_open(consultation)
    missing = missing_parties(consultation)
    if missing:
        raise Invalid(
            _l(
                "The meeting cannot conclude: %(parties)s did not take part.",
                parties=labels.listing(labels.label(p) for p in missing),
            )
        )
    consultation.state, consultation.concluded_at = ConsultationState.CONCLUDED, now()
    _release_cases(consultation, by, "concluded")
    _commit()
    return consultation


@cases.atomic
def cancel(consultation, by, *, reason: str) -> Consultation:
    """Call the consultation off: its cases go back to work, unsigned resolutions lapse."""
    _need_secretary(consultation, by)
    _need_open(consultation)
    if not (reason or "").strip():
        raise Invalid(_l("Say why the consultation is cancelled."))
    consultation.state, consultation.cancelled_at = ConsultationState.CANCELLED, now()
    consultation.cancel_reason = reason.strip()
    _release_cases(consultation, by, "cancelled")
    _commit()
    return consultation


def mark_done(action: ActionItem, by, *, note: str) -> ActionItem:
    if by.id != action.assignee_id and not is_secretary(by, action.case.compound_id):
        raise NotAllowed(
            _l("Only the person it is assigned to, or the secretary, can mark it done.")
        )
    if action.done_at is not None:
        raise Conflict(_l("This action item is already done."))
    if action.resolution.state is not ResolutionState.EFFECTIVE:
        raise Conflict(_l("The resolution has not taken effect yet."))
    if not (note or "").strip():
        raise Invalid(_l("Say what was done."))
    action.done_at, action.done_note = now(), note.strip()
    cases.record(
        action.case,
        by,
        kind=EventKind.ACTION_DONE,
        body=action.done_note,
        description=action.description,
    )
    db.session.commit()
    return action


def post_notice(compound, by, *, title: str, body: str) -> Notice:
    _need_secretary(compound.id, by)
    if not (title or "").strip() or not (body or "").strip():
        raise Invalid(_l("A notice needs a title and a text."))
    notice = Notice(
        compound_id=compound.id,
        title=title.strip()[:200],
        body=body.strip(),
        posted_by_id=by.id,
        posted_at=now(),
    )
    db.session.add(notice)
    db.session.commit()
    return notice


def hide_notice(notice: Notice, by, *, reason: str) -> Notice:
    """The secretary or an overseer hides a notice from residents, who read "hidden by the
    branch" and the reason instead; the compound's people still read it, marked hidden."""
    if not can(by, "moderate_notices", notice.compound):
        raise NotAllowed(_l("Only the secretary and the overseers hide what the public reads."))
    if not (reason or "").strip():
        raise Invalid(_l("Say why it is hidden: the public reads the reason."))
    if notice.hidden_at is not None:
        raise Conflict(_l("It is hidden already."))
    notice.hidden_at, notice.hidden_by_id, notice.hidden_reason = now(), by.id, reason.strip()
    db.session.commit()
    return notice


def show_notice(notice: Notice, by) -> Notice:
    if not can(by, "moderate_notices", notice.compound):
        raise NotAllowed(_l("Only the secretary and the overseers hide what the public reads."))
    if notice.hidden_at is None:
        raise Conflict(_l("It is not hidden."))
    notice.hidden_at = notice.hidden_by_id = notice.hidden_reason = None
    db.session.commit()
    return notice


# -- the sweep -------------------------------------------------------------------------------


def _back_to_work(case, outcome: str, kind: str, title: str) -> None:
    """The sweep takes the case out of its consultation, and tells the secretaries why."""
    cases.leave_consultation(case, None, outcome=outcome)
    for person in people_holding(case.compound_id, [Role.SECRETARY]):
        notifications.notify(
            person,
            kind,
            {"number": case.number, "title": title},
            f"/cases/{case.number}",
            case_id=case.id,
        )


def lapse_unsigned(moment) -> int:
    """Resolutions past their signing deadline lapse; their cases go back to work. How many."""
    ids = list(
        db.session.scalars(
            select(Resolution.id)
            .where(Resolution.state == ResolutionState.SIGNING, Resolution.sign_by < moment)
            .order_by(Resolution.id)
        )
    )
    lapsed = 0
    for resolution_id in ids:
        resolution = db.session.get_one(Resolution, resolution_id)
        consultation = resolution.item.consultation
        try:
            resolution.state = ResolutionState.LAPSED
            case = resolution.item.case
            if cases.in_consultation(case) and consultation.state is ConsultationState.OPEN:
                _back_to_work(case, "lapsed", "resolution_lapsed", consultation.title)
            _commit()
        except ServiceError:
            db.session.rollback()  # another sweep got there first, or someone signed
            continue
        lapsed += 1
    return lapsed


def release_after_window(moment) -> int:
    """Cases of an on-line consultation whose window closed without the meeting concluding,
    and with no resolution waiting for signatures, go back to work. How many."""
    rows = db.session.execute(
        select(AgendaItem.id)
        .join(Consultation, Consultation.id == AgendaItem.consultation_id)
        .join(Case, Case.id == AgendaItem.case_id)
        .outerjoin(Resolution, Resolution.item_id == AgendaItem.id)
        .where(
            Consultation.mode == Mode.ONLINE,
            Consultation.state == ConsultationState.OPEN,
            Consultation.window_closes_at < moment,
            Case.state.in_(list(states_allowing(Action.END_CONSULTATION))),
            Resolution.id.is_(None),
        )
        .order_by(AgendaItem.id)
    )
    released = 0
    for (item_id,) in rows.all():
        item = db.session.get_one(AgendaItem, item_id)
        try:
            _back_to_work(item.case, "window_closed", "window_closed", item.consultation.title)
            _commit()
        except ServiceError:
            db.session.rollback()
            continue
        released += 1
    return released
