"""What the portal holds about a person, in the domain's words (PIPL): their own copy of it,
the deletion of their account, cases an overseer keeps for the record, and the sweep's removal
of reporters' details from cases finished long ago.

Deleting an account anonymises rather than deletes: the cases stay (their numbers are printed
on receipts, their figures count), but nothing on them names or reaches the person any more.
Where an overseer keeps a case for the record, its text and photos stay, with the person's
name and number taken out of them.
"""

import re
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash

from portal import permissions
from portal.accounts import service as accounts
from portal.accounts.models import Home, Person, PhoneCode, SignIn
from portal.cases import access, photos
from portal.cases import service as cases
from portal.cases.events import REPORTER_ROLES, EventKind
from portal.cases.models import Case, CaseEvent, Supporter
from portal.cases.workflow import FINISHED_STATES
from portal.clock import now
from portal.consultation.models import Opinion, Signature
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db, rows_changed
from portal.feedback.models import Feedback, Source
from portal.labels import label
from portal.notifications.models import Notification, OutboxMessage
from portal.notifications.service import render

# What stands where a name or a text was taken out: neutral, so that each page says it in its
# reader's language (the `removed` template test). A removed phone number is "".
REMOVED = "—"
# A deleted account's sign-in name: unique, and no phone number anyone could sign in with.
DELETED_PHONE = "deleted-{id}"
# Cases the sweep anonymises per transaction.
BATCH = 200


def _when(moment) -> str | None:
    return moment.isoformat() if moment else None


# -- a person's own copy --------------------------------------------------------------------


def _by(event) -> str:
    """Who took a step, named as the case page names them to its reporter."""
    if event.actor is not None:
        return event.actor.name
    return str(_l("The portal") if event.actor_role == "system" else _l("The reporter"))


def _event(event) -> dict:
    return {"at": _when(event.at), "kind": event.action.value, "by": _by(event), "text": event.body}


def _case(case, feedback: list[Feedback]) -> dict:
    """A case of theirs as its page shows it to them: the public timeline and its photos, no
    internal note, nothing of the staff's own."""
    shown = [e for e in case.events if e.public]
    shown_ids = {e.id for e in shown}
    return {
        "number": case.number,
        "compound": case.compound.name,
        "building": case.building.name,
        "location": case.location,
        "category": label(case.category),
        "description": case.description,
        "urgent": case.urgent,
        "state": label(case.state),
        "contact_name": case.contact_name,
        "contact_phone": case.contact_phone,
        "handled_by": case.assignee.name if case.assignee else None,
        "reject_reason": case.reject_reason,
        "resolution": case.resolution,
        "reported_at": _when(case.created_at),
        "closed_at": _when(case.closed_at),
        "events": [_event(e) for e in shown],
        "photos": [
            {
                "id": p.id,
                "width": p.width,
                "height": p.height,
                "bytes": p.size,
                "at": _when(p.created_at),
            }
            for p in case.photos
            if p.event_id is None or p.event_id in shown_ids
        ],
        "feedback": [
            {
                "at": _when(f.at),
                "source": label(f.source),
                "solved": f.solved,
                "satisfaction": label(f.satisfaction) if f.satisfaction else None,
                "comment": f.comment,
            }
            for f in feedback
        ],
    }


def _events_elsewhere(person, own_ids) -> list[dict]:
    """Steps the person took on other cases (as staff), those they may still see."""
    found = []
    for event in db.session.scalars(
        select(CaseEvent)
        .where(CaseEvent.actor_id == person.id, CaseEvent.case_id.not_in(own_ids))
        .options(selectinload(CaseEvent.case))
        .order_by(CaseEvent.id)
    ):
        standing = access.capacities(person, event.case)
        if access.can_see(standing) and (event.public or access.sees_internal(standing)):
            found.append({"case": event.case.number, "public": event.public, **_event(event)})
    return found


def copy_for(person: Person) -> dict:
    """Everything the portal holds about the person, for them to download: their account,
    homes and sign-ins, their cases as they see them, what they did elsewhere, their inbox.
    Never another reporter's case, an internal note, or anyone else's phone number."""
    own = list(
        db.session.scalars(
            select(Case)
            .where(Case.reporter_id == person.id)
            .order_by(Case.id)
            .options(
                selectinload(Case.events).selectinload(CaseEvent.actor),
                selectinload(Case.photos),
                selectinload(Case.assignee),
                selectinload(Case.compound),
                selectinload(Case.building),
            )
        )
    )
    own_ids = [c.id for c in own]
    feedback: dict[int, list[Feedback]] = {}
    for row in db.session.scalars(
        select(Feedback).where(Feedback.case_id.in_(own_ids)).order_by(Feedback.id)
    ):
        feedback.setdefault(row.case_id, []).append(row)
    notifications = db.session.scalars(
        select(Notification).where(Notification.person_id == person.id).order_by(Notification.id)
    )
    sign_ins = db.session.scalars(
        select(SignIn).where(SignIn.person_id == person.id).order_by(SignIn.id)
    )
    opinions = db.session.scalars(
        select(Opinion).where(Opinion.author_id == person.id).order_by(Opinion.id)
    )
    signatures = db.session.scalars(
        select(Signature).where(Signature.signer_id == person.id).order_by(Signature.id)
    )
    return {
        "made_at": _when(now()),
        "person": {
            "name": person.name,
            "phone": person.phone,
            "email": person.email,
            "language": person.locale,
            "told_by_text": person.notify_by_text,
            "told_by_email": person.notify_by_email,
            "created_at": _when(person.created_at),
        },
        "homes": [
            {
                "compound": h.compound.name,
                "building": h.building.name,
                "room": h.room,
                "state": h.state.value,
                "decline_reason": h.decline_reason,
                "created_at": _when(h.created_at),
                "decided_at": _when(h.decided_at),
            }
            for h in person.homes
        ],
        "sign_ins": [
            {
                "created_at": _when(s.created_at),
                "expires_at": _when(s.expires_at),
                "ended_at": _when(s.ended_at),
                "user_agent": s.user_agent,
                "kept_signed_in": s.remember,
            }
            for s in sign_ins
        ],
        "cases": [_case(c, feedback.get(c.id, [])) for c in own],
        "events_elsewhere": _events_elsewhere(person, own_ids),
        "notifications": [
            {
                "at": _when(n.created_at),
                "read_at": _when(n.read_at),
                "text": render(n),
                "link": n.link,
            }
            for n in notifications
        ],
        "opinions": [
            {
                "case": o.item.case.number,
                "party": label(o.party),
                "text": o.body,
                "at": _when(o.created_at),
            }
            for o in opinions
        ],
        "signatures": [
            {
                "case": s.resolution.item.case.number,
                "party": label(s.party),
                "decision": s.decision.value,
                "reason": s.reason,
                "at": _when(s.at),
            }
            for s in signatures
        ],
    }


# -- deleting an account ----------------------------------------------------------------------


def cases_touching(person: Person) -> list[Case]:
    """The cases deleting the account anonymises: those they reported, and any that carries
    their phone number as its contact (filed for them, or as a visitor)."""
    return list(
        db.session.scalars(
            select(Case)
            .where(or_(Case.reporter_id == person.id, Case.contact_phone == person.phone))
            .order_by(Case.id)
            .options(selectinload(Case.events), selectinload(Case.photos))
        )
    )


def kept_cases_of(person: Person) -> list[Case]:
    """The person's own cases kept for the record: deleting the account leaves their words
    and photos on these, without their name and number."""
    return list(
        db.session.scalars(
            select(Case)
            .where(Case.reporter_id == person.id, Case.retained.is_(True))
            .order_by(Case.id)
        )
    )


def _scrub(text: str | None, names, phones) -> str | None:
    """The text without the names and the phone numbers (also written with spaces, dots or
    dashes): for what is kept for the record."""
    if not text:
        return text
    for phone in phones:
        digits = re.sub(r"\D", "", phone)
        if len(digits) >= 7:
            text = re.sub("[ .-]?".join(digits), REMOVED, text)
    for name in names:
        if len(name.strip()) >= 2:
            text = text.replace(name.strip(), REMOVED)
    return text


def _remove_reporter(case: Case, person: Person, moment) -> list[str]:
    """Takes the person out of one case. Its contact goes; the reporter's own words (the
    description, what they added, their feedback) and photos go too, unless the case is kept
    for the record, where only the name and number are taken out of them. Returns the keys
    of the photos to take out of the store once committed."""
    names = {n for n in (case.contact_name, person.name) if n and n != REMOVED}
    phones = {p for p in (case.contact_phone, person.phone) if p}
    theirs = [
        e
        for e in case.events
        if e.actor_id == person.id or (e.actor_id is None and e.actor_role in REPORTER_ROLES)
    ]

    def replaced(text):
        if case.retained:
            return _scrub(text, names, phones)
        return REMOVED if text else text

    said = {(e.body or "")[:200] for e in theirs if e.body}
    case.description = replaced(case.description)
    case.location = (_scrub(case.location, names, phones) or "") if case.retained else ""
    for event in theirs:
        event.body = replaced(event.body)
    for row in db.session.scalars(
        select(Feedback).where(
            Feedback.case_id == case.id,
            or_(Feedback.source == Source.RESIDENT, Feedback.recorded_by_id == person.id),
        )
    ):
        row.comment = replaced(row.comment)
    # What others were told quotes the reporter's words (a reopening's reason).
    for told in db.session.scalars(
        select(Notification).where(
            Notification.case_id == case.id, Notification.person_id != person.id
        )
    ):
        body = told.params.get("body")
        if body and (case.retained or body in said):
            told.params = {**told.params, "body": replaced(body)}
    gone: list[str] = []
    if not case.retained:
        # The photos of the description and of what the reporter added.
        steps = {e.id for e in theirs} | {e.id for e in case.events if e.action == EventKind.FILE}
        for photo in list(case.photos):
            if (
                photo.event_id is None
                or photo.event_id in steps
                or photo.uploaded_by_id == person.id
            ):
                gone += (photo.path, photo.thumb_path)
                case.photos.remove(photo)
    case.contact_name, case.contact_phone = REMOVED, ""
    case.follow_key_hash = None  # nobody follows it as its reporter any more
    case.anonymised_at = moment
    cases.record(
        case, None, kind=EventKind.ANONYMISE, public=True, why="request", kept=case.retained
    )
    return gone


@cases.atomic
def delete_account(person: Person, *, password: str) -> int:
    """A resident's own request: in one transaction their cases are anonymised, their homes,
    inbox and sign-ins end, and the account keeps no name, number, address or password.
    Returns how many cases were anonymised."""
    if not permissions.can(person, "delete_own_account"):
        raise NotAllowed(
            _l("You hold a role in the portal: ask an administrator to delete your account.")
        )
    if not check_password_hash(person.password_hash, password or ""):
        raise Invalid(_l("The current password is not right."))
    moment = now()
    touched = cases_touching(person)
    gone: list[str] = []
    for case in touched:
        gone += _remove_reporter(case, person, moment)
    inbox = select(Notification.id).where(Notification.person_id == person.id)
    db.session.execute(delete(OutboxMessage).where(OutboxMessage.notification_id.in_(inbox)))
    db.session.execute(delete(Notification).where(Notification.person_id == person.id))
    db.session.execute(delete(Home).where(Home.person_id == person.id))
    # Nor does it follow anybody's case any more ("me too").
    db.session.execute(delete(Supporter).where(Supporter.person_id == person.id))
    # Codes texted to the phone (a reset asked for just before) open nothing any more.
    db.session.execute(delete(PhoneCode).where(PhoneCode.phone == person.phone))
    person.name, person.phone = REMOVED, DELETED_PHONE.format(id=person.id)
    person.email = None
    person.password_hash = "!"  # no password hashes to it: nobody signs in with it
    person.active = False
    accounts.end_sign_ins(person)  # commits all of the above
    photos.discard(gone)
    return len(touched)


# -- keeping a case for the record ------------------------------------------------------------


def _check_keeper(case, by) -> None:
    if not permissions.can(by, "keep_for_record", case.compound):
        raise NotAllowed(_l("Only the community's or sub-district's overseers keep cases."))


@cases.atomic
def keep_for_record(case: Case, by: Person, *, reason: str) -> Case:
    """An overseer keeps the case's text and photos for the record, should its reporter's
    details go (their request, or the retention period): on the record, with the reason."""
    _check_keeper(case, by)
    if not (reason or "").strip():
        raise Invalid(_l("Say why the case is kept."))
    if case.retained:
        raise Conflict(_l("This case is already kept for the record."))
    case.retained = True
    cases.record(case, by, kind=EventKind.RETAIN, public=False, body=reason.strip())
    cases.commit()
    return case


@cases.atomic
def stop_keeping(case: Case, by: Person, *, reason: str | None = None) -> Case:
    _check_keeper(case, by)
    if not case.retained:
        raise Conflict(_l("This case is not kept for the record."))
    case.retained = False
    cases.record(
        case, by, kind=EventKind.RELEASE, public=False, body=(reason or "").strip() or None
    )
    cases.commit()
    return case


# -- the sweep ------------------------------------------------------------------------------


def anonymise_finished(moment, days: int) -> int:
    """The sweep, when PORTAL_ANONYMISE_CLOSED_AFTER_DAYS is set: the contact name and phone
    of cases finished (closed, rejected, withdrawn or merged) that many days ago go, unless
    the case is kept for the record; nothing else changes. In batches, each a compare-and-set
    on the row (safe when two sweeps run at once) that leaves the version alone, so nobody's
    open form goes stale. Returns how many cases were anonymised."""
    due = (
        Case.state.in_([s.value for s in FINISHED_STATES]),
        Case.anonymised_at.is_(None),
        Case.retained.is_(False),
        # A finished case changes no more: its last change is when it finished.
        Case.updated_at < moment - timedelta(days=days),
    )
    done, after = 0, 0
    while True:
        ids = list(
            db.session.scalars(
                select(Case.id).where(*due, Case.id > after).order_by(Case.id).limit(BATCH)
            )
        )
        if not ids:
            return done
        for case_id in ids:
            claimed = rows_changed(
                db.session.execute(
                    update(Case)
                    .where(Case.id == case_id, *due)
                    .values(contact_name=REMOVED, contact_phone="", anonymised_at=moment)
                    .execution_options(synchronize_session=False)
                )
            )
            if claimed:
                case = db.session.get_one(Case, case_id)
                cases.record(
                    case, None, kind=EventKind.ANONYMISE, public=True, why="period", days=days
                )
                done += 1
        db.session.commit()
        after = ids[-1]
