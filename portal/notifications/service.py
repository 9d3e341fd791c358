"""Who hears of what: inbox rows for everyone an event concerns, and outbox rows for the
channels that are configured. Nothing here sends anything: delivery runs later (sweep)."""

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import func, select, update

from portal import labels, signals
from portal.accounts.models import Membership, Person
from portal.accounts.roles import HEAD, WORKING_ROLES, Role
from portal.accounts.service import people_holding
from portal.cases import queries as case_queries
from portal.cases.events import AUDIENCE, Audience, EventKind
from portal.clock import now
from portal.extensions import db
from portal.notifications import channels
from portal.notifications.messages import MESSAGES
from portal.notifications.models import Notification, OutboxMessage
from portal.privacy import masked_for
from portal.settings import public_base_url

# A reassignment is told in the words of an assignment.
KIND_FOR = {EventKind.REASSIGN: EventKind.ASSIGN}


def overseers(case, level) -> list[Person]:
    """The active overseers of the case's community (level 1) or sub-district (level 2)."""
    return _overseers(case.compound.community, level)


def overseers_of(community, level: int = 1) -> list[Person]:
    """The active overseers of a community (level 1) or of its sub-district (level 2)."""
    return _overseers(community, level)


def _overseers(community, level) -> list[Person]:
    if level >= 2:
        where = (
            Membership.role == Role.SUBDISTRICT_OVERSEER,
            Membership.sub_district_id == community.sub_district_id,
        )
    else:
        where = (
            Membership.role == Role.COMMUNITY_OVERSEER,
            Membership.community_id == community.id,
        )
    return list(
        db.session.scalars(
            select(Person)
            .join(Membership, Membership.person_id == Person.id)
            .where(*where, Person.active.is_(True))
        )
    )


def recipients(event) -> list[Person]:
    return _recipients(event)[0]


def _recipients(event) -> tuple[list[Person], set[int]]:
    """Everyone the event concerns, and which of them follow the case without having filed it
    (their own report merged into it, or a "me too"): they read it with its reporter masked."""
    case = event.case
    found: dict[int, Person] = {}
    followers: set[int] = set()
    for who in AUDIENCE[EventKind(event.action)]:
        if who is Audience.REPORTER and event.public:
            if case.reporter is not None:
                found[case.reporter.id] = case.reporter
            # Whose own report was merged into this case follow it; only its reporter is asked
            # for what a case waits on.
            if event.action != EventKind.WAIT:
                for person in case_queries.followers(case):
                    if person.id not in found:
                        followers.add(person.id)
                    found.setdefault(person.id, person)
        elif who is Audience.ASSIGNEE and case.assignee is not None:
            found[case.assignee.id] = case.assignee
        elif who is Audience.SECRETARIES:
            found.update({p.id: p for p in people_holding(case.compound_id, [Role.SECRETARY])})
        elif who is Audience.OVERSEERS:
            found.update(
                {p.id: p for p in _overseers(case.compound.community, event.data.get("level", 1))}
            )
        elif who is Audience.OWNERS:
            owners = [case.assignee] if case.assignee else []
            # The lead party's head, where that head sees the compound's cases: the residents'
            # representatives see only those on their agenda or assigned to them.
            if case.lead_party is not None and HEAD[case.lead_party] in WORKING_ROLES:
                owners += people_holding(case.compound_id, [HEAD[case.lead_party]])
            owners += people_holding(case.compound_id, [Role.SECRETARY])
            found.update({p.id: p for p in owners if p is not None})
    if event.actor is not None:
        found.pop(event.actor.id, None)  # nobody is told of what they did themself
    return list(found.values()), followers - _reporter_ids(case)


@signals.case_event_recorded.connect
def for_case_event(event, **_) -> None:
    """Everyone the event concerns is told, in the event's own transaction."""
    kind = KIND_FOR.get(event.action, event.action)
    if kind not in MESSAGES:
        return
    case = event.case
    people, followers = _recipients(event)
    if not people:
        return
    params = {
        "number": case.number,
        "body": (event.body or "")[:200],
        "category_code": case.category.value,
        "target": event.data.get("target", ""),
    }
    # Another resident reads the reporter's name and number masked (privacy.redact).
    masked = {**params, "body": (masked_for(event.body, case) or "")[:200]}
    # The case's stable address (DESIGN.md section 8); built by hand so the sweep and the CLI,
    # which run outside any request, can notify too.
    link = f"/cases/{case.number}"
    for person in people:
        # The relationship, not assignee_id: the new assignee is not flushed yet.
        is_assignee = case.assignee is not None and person.id == case.assignee.id
        kind_here = "assigned_to_party" if kind == "assign" and not is_assignee else kind
        told = masked if person.id in followers else params
        notify(person, str(kind_here), told, link, case_id=case.id)


def _reporter_ids(case) -> set[int]:
    return {case.reporter.id} if case.reporter is not None else set()


def notify(person: Person, kind: str, params: dict, link: str, case_id: int | None = None):
    """An inbox row for the person, and an outbox row per configured channel that reaches them.
    Nobody deactivated is told anything: their account opens nothing, and a deleted one's
    "phone" is no number to text."""
    if not person.active:
        return None
    row = Notification(
        person_id=person.id, case_id=case_id, kind=kind, params=params, link=link, created_at=now()
    )
    db.session.add(row)
    ready = channels.configured()
    if not ready:
        return row
    db.session.flush()
    with force_locale(person.locale or "zh_CN"):
        text = render(row)
        subject = text if len(text) <= 120 else text[:117] + "…"
        # The link only where it leads somewhere: a path alone opens nothing in an SMS or a
        # mail, and a loopback address would send the reader to their own phone.
        base_url = public_base_url(current_app.config)
        body = f"{text}\n\n{base_url}{link}" if base_url is not None else text
    for channel in ready:
        address = channel.address_for(person)
        if address:
            db.session.add(
                OutboxMessage(
                    notification_id=row.id,
                    channel=channel.name,
                    address=address,
                    subject=subject,
                    body=body,
                    next_attempt_at=now(),
                )
            )
    return row


def render(row: Notification) -> str:
    """The notification's text in the current language."""
    params = dict(row.params)
    if "category_code" in params:
        params["category"] = labels.label(params.pop("category_code"), "category")
    params.setdefault("category", "")
    params.setdefault("body", "")
    params.setdefault("target", "")
    params.setdefault("title", "")
    params.setdefault("number", "")
    return str(MESSAGES[row.kind]) % params


def unread_count(person) -> int:
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.person_id == person.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def mark_read(person, notification_id=None) -> None:
    statement = update(Notification).where(
        Notification.person_id == person.id, Notification.read_at.is_(None)
    )
    if notification_id is not None:
        statement = statement.where(Notification.id == notification_id)
    db.session.execute(statement.values(read_at=now()))
    db.session.commit()
