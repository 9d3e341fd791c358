"""Operations on cases in the domain's words. Each checks the workflow and the person's
capacities, changes the case, and appends the event, in one transaction."""

import functools
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.exc import StaleDataError

from portal.accounts.models import Person
from portal.accounts.roles import COMPOUND_ROLES, HEAD, PARTY
from portal.accounts.service import people_holding
from portal.cases import access, deadlines, photos
from portal.cases.categories import Category, rule_for
from portal.cases.models import (
    Case,
    CaseCounter,
    CaseEvent,
    CategoryRule,
    Photo,
    Priority,
    Responsibility,
)
from portal.cases.workflow import Action, Capacity, State, step
from portal.clock import local_date, now
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db
from portal.organisation.models import PartyKind

STALE = _l(
    "This case changed since you opened it. Here is how it stands now; please check and try again."
)


class Stale(Conflict):
    """A concurrent change: the person acted on an older version of the case."""

    def __init__(self):
        super().__init__(STALE)


def atomic(operation):
    """A concurrent change can surface at any flush, not only at commit (a query autoflushes):
    wherever it does, the operation is undone and reported as a conflict."""

    @functools.wraps(operation)
    def wrapped(*args, **kwargs):
        try:
            return operation(*args, **kwargs)
        except StaleDataError:
            db.session.rollback()
            raise Stale() from None

    return wrapped


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def community_rules(community_id: int) -> dict:
    rules = db.session.scalars(
        select(CategoryRule).where(CategoryRule.community_id == community_id)
    )
    from portal.cases.categories import Rule

    return {r.category: Rule(r.lead_party, r.needs_consultation, r.resolution_days) for r in rules}


# -- numbers -------------------------------------------------------------------------------


def next_number(compound) -> str:
    """<code>-<yyyymmdd>-<nnnn>, counted per compound and Shanghai day, safe under concurrency."""
    day = local_date()
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(CaseCounter)
        .values(compound_id=compound.id, day=day, last=1)
        .on_conflict_do_update(
            index_elements=["compound_id", "day"], set_={"last": CaseCounter.last + 1}
        )
        .returning(CaseCounter.last)
    )
    last = db.session.execute(statement).scalar_one()
    return f"{compound.code}-{day:%Y%m%d}-{last:04d}"


# -- filing --------------------------------------------------------------------------------


def _event(
    case, actor, role, action, public=True, body=None, from_state=None, to_state=None, **data
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        actor=actor,
        actor_role=role,
        action=str(action),
        public=public,
        body=body,
        from_state=from_state,
        to_state=to_state,
        data=data,
        at=now(),
    )
    db.session.add(event)
    # Everyone the event concerns hears of it, in the same transaction as the event itself.
    from portal.notifications import service as notifications

    notifications.for_case_event(event)
    return event


def _attach(case, event, processed, by):
    folder = current_app.config["UPLOAD_FOLDER"]
    for item in processed:
        path, thumb = photos.save(folder, case.id, item)
        db.session.add(
            Photo(
                case=case,
                event=event,
                path=path,
                thumb_path=thumb,
                width=item.width,
                height=item.height,
                size=len(item.image),
                uploaded_by_id=by.id if by else None,
            )
        )


@atomic
def file_case(
    compound,
    building,
    category: Category,
    description: str,
    location: str,
    urgent: bool,
    contact_name: str,
    contact_phone: str,
    processed_photos=(),
    by: Person | None = None,
) -> tuple[Case, str | None]:
    """A new case. Returns it and, for a visitor, the private follow-up key (shown once)."""
    if building.compound_id != compound.id:
        raise Invalid(_l("Choose a building of this compound."))
    on_behalf = False
    reporter = None
    role = "visitor"
    if by is not None:
        is_staff = any(
            m.compound_id == compound.id and m.role in COMPOUND_ROLES for m in by.memberships
        ) or any(m.community_id == compound.community_id for m in by.memberships)
        lives_here = any(h.compound_id == compound.id for h in by.verified_homes)
        if is_staff and not (lives_here and contact_phone == by.phone):
            on_behalf, role = True, "on_behalf"
        else:
            reporter, role = by, "reporter"
            contact_name, contact_phone = by.name, by.phone
    key = None if reporter else secrets.token_urlsafe(24)
    moment = now()
    case = Case(
        number=next_number(compound),
        compound_id=compound.id,
        building=building,
        category=category,
        description=description.strip(),
        location=location.strip(),
        urgent=urgent,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone,
        reporter=reporter,
        filed_by=by,
        on_behalf=on_behalf,
        follow_key_hash=key_hash(key) if key else None,
        state=State.FILED,
        priority=Priority.URGENT if urgent else Priority.NORMAL,
        created_at=moment,
        updated_at=moment,
        due_at=deadlines.triage_due(
            moment,
            urgent,
            current_app.config["TRIAGE_HOURS_URGENT"],
            current_app.config["TRIAGE_HOURS"],
        ),
    )
    db.session.add(case)
    db.session.flush()
    event = _event(
        case, by, role, CaseEvent.FILE, body=None, to_state=State.FILED, on_behalf=on_behalf
    )
    _attach(case, event, processed_photos, by)
    db.session.commit()
    return case, key


def claim_cases_of(person: Person, compound_id: int) -> int:
    """A visitor's earlier cases join their account once they are a verified resident."""
    cases = db.session.scalars(
        select(Case).where(
            Case.compound_id == compound_id,
            Case.reporter_id.is_(None),
            Case.on_behalf.is_(False),
            Case.contact_phone == person.phone,
        )
    )
    claimed = 0
    for case in cases:
        case.reporter_id = person.id
        # On the record: the case joined this account because the phone numbers match.
        _event(case, None, "system", "claimed", public=False, person_id=person.id)
        claimed += 1
    return claimed


# -- acting on a case ---------------------------------------------------------------------


def _check(case, by, action, expected_version, has_key=False, system=False):
    """The capacities `by` acts in; refuses what the workflow or a stale view forbids.
    `system` is the sweep. A visitor is `by` None, and only the follow key makes them the
    reporter."""
    found = {Capacity.SYSTEM} if system else access.capacities(by, case, has_key)
    if expected_version is not None and int(expected_version) != case.version:
        raise Stale()
    allowed = step(case.state, action)
    if allowed is None or not (allowed.by & found):
        raise NotAllowed(
            _l("This action is not possible for you on this case in its present state.")
        )
    return found, allowed


def _commit():
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Stale() from None


def _move(case, by, action, found, allowed, public=True, body=None, to=None, **data):
    before = case.state
    if to is not None or allowed.to is not None:
        case.state = to or allowed.to
    if allowed.changes_case:
        # Updates and notes leave the row (and so its version) alone: a note posted meanwhile
        # must not make someone else's open triage form stale.
        case.updated_at = now()
    return _event(
        case,
        by,
        access.acting_role(found, allowed.by),
        action,
        public=public,
        body=body,
        from_state=before,
        to_state=case.state if case.state != before else None,
        **data,
    )


def assignable_people(compound) -> list[Person]:
    """Members of the compound's three parties, by party then name."""
    people = people_holding(compound.id, COMPOUND_ROLES)
    return sorted(
        people, key=lambda p: (list(PartyKind).index(access.party_of(p, compound.id)), p.name)
    )


def _check_assignee(case, by, assignee: Person | None, found):
    if assignee is None or access.party_of(assignee, case.compound_id) is None:
        raise Invalid(_l("Choose a member of the compound's three parties."))
    if not found & {Capacity.SECRETARY, Capacity.ESCALATED_TO}:
        # A party's head assigns within their own party only.
        heads = {
            PARTY[m.role]
            for m in by.memberships
            if m.compound_id == case.compound_id and m.role in HEAD.values()
        }
        if access.party_of(assignee, case.compound_id) not in heads:
            raise NotAllowed(_l("A party's head can assign only to members of their own party."))


@atomic
def accept(
    case,
    by,
    version,
    category: Category,
    priority: Priority,
    lead_party: PartyKind,
    needs_consultation: bool,
    responsibility: Responsibility | None = None,
    referred_to: str | None = None,
    assignee: Person | None = None,
) -> Case:
    found, allowed = _check(case, by, Action.ACCEPT, version)
    if assignee is not None and access.party_of(assignee, case.compound_id) is None:
        raise Invalid(_l("Choose a member of the compound's three parties."))
    if responsibility is Responsibility.GOVERNMENT and not (referred_to or "").strip():
        raise Invalid(_l("Say which government department the case is referred to."))
    rule = rule_for(category, community_rules(case.compound.community_id))
    case.category, case.priority, case.lead_party = category, priority, lead_party
    case.needs_consultation = needs_consultation
    case.responsibility, case.referred_to = responsibility, (referred_to or "").strip() or None
    case.accepted_at = now()
    case.due_at = deadlines.resolution_due(
        case.accepted_at, rule.resolution_days, priority is Priority.URGENT
    )
    _move(
        case,
        by,
        Action.ACCEPT,
        found,
        allowed,
        category=category.value,
        priority=priority.value,
        lead_party=lead_party.value,
        needs_consultation=needs_consultation,
    )
    if assignee is not None:
        db.session.flush()
        assign_step = step(State.ACCEPTED, Action.ASSIGN)
        case.assignee = assignee
        _move(
            case,
            by,
            Action.ASSIGN,
            found,
            assign_step,
            assignee_id=assignee.id,
            party=access.party_of(assignee, case.compound_id).value,
        )
    _commit()
    return case


@atomic
def reject(case, by, version, reason: str) -> Case:
    found, allowed = _check(case, by, Action.REJECT, version)
    if not (reason or "").strip():
        raise Invalid(_l("Give the reason; the resident will see it."))
    case.reject_reason = reason.strip()
    case.due_at = None
    _move(case, by, Action.REJECT, found, allowed, body=case.reject_reason)
    _commit()
    return case


@atomic
def merge(case, by, version, target_number: str) -> Case:
    found, allowed = _check(case, by, Action.MERGE, version)
    target = db.session.scalar(select(Case).where(Case.number == (target_number or "").strip()))
    if target is None or target.compound_id != case.compound_id:
        raise Invalid(_l("No case with that number in this compound."))
    if target.id == case.id or target.state is State.MERGED:
        raise Invalid(_l("Choose another case that is not itself merged."))
    case.merged_into = target
    case.due_at = None
    _move(case, by, Action.MERGE, found, allowed, target=target.number)
    _event(
        target,
        by,
        access.acting_role(found, allowed.by),
        "merged_in",
        public=False,
        source=case.number,
    )
    _commit()
    return case


@atomic
def withdraw(case, by, version, has_key=False) -> Case:
    found, allowed = _check(case, by, Action.WITHDRAW, version, has_key)
    case.due_at = None
    _move(case, by if by and by.is_authenticated else None, Action.WITHDRAW, found, allowed)
    _commit()
    return case


@atomic
def assign(case, by, version, assignee: Person | None) -> Case:
    action = Action.ASSIGN if case.state is State.ACCEPTED else Action.REASSIGN
    found, allowed = _check(case, by, action, version)
    _check_assignee(case, by, assignee, found)
    if assignee.id == case.assignee_id:
        raise Invalid(_l("The case is already assigned to this person."))
    previous = case.assignee_id
    case.assignee = assignee
    _move(
        case,
        by,
        action,
        found,
        allowed,
        assignee_id=assignee.id,
        previous_id=previous,
        party=access.party_of(assignee, case.compound_id).value,
    )
    _commit()
    return case


@atomic
def post_update(case, by, body: str, public: bool, processed_photos=()) -> CaseEvent:
    action = Action.PROGRESS if public else Action.NOTE
    found, allowed = _check(case, by, action, None)
    if not (body or "").strip():
        raise Invalid(_l("Write what happened."))
    event = _move(case, by, action, found, allowed, public=public, body=body.strip())
    db.session.flush()
    _attach(case, event, processed_photos, by)
    _commit()
    return event


@atomic
def resolve(case, by, version, body: str, processed_photos=()) -> Case:
    found, allowed = _check(case, by, Action.RESOLVE, version)
    from portal.consultation.models import ActionItem  # the consultation builds on cases

    open_items = db.session.scalar(
        select(func.count(ActionItem.id)).where(
            ActionItem.case_id == case.id, ActionItem.done_at.is_(None)
        )
    )
    if open_items:
        raise Conflict(_l("The consultation's action items on this case are not all done yet."))
    if not (body or "").strip():
        raise Invalid(_l("Say what was done."))
    case.resolution = body.strip()
    case.resolved_at = now()
    case.due_at = None
    case.feedback_due_at = now() + timedelta(days=current_app.config["FEEDBACK_WINDOW_DAYS"])
    event = _move(case, by, Action.RESOLVE, found, allowed, body=case.resolution)
    db.session.flush()
    _attach(case, event, processed_photos, by)
    _commit()
    return case


@atomic
def add_info(case, by, body: str, processed_photos=(), has_key=False) -> CaseEvent:
    found, allowed = _check(case, by, Action.ADD_INFO, None, has_key)
    if not (body or "").strip() and not processed_photos:
        raise Invalid(_l("Write something or attach a photo."))
    actor = by if by is not None and by.is_authenticated else None
    event = _move(case, actor, Action.ADD_INFO, found, allowed, body=(body or "").strip() or None)
    db.session.flush()
    _attach(case, event, processed_photos, actor)
    _commit()
    return event


def reveal_phone(case, by) -> str:
    """The reporter's full number, for those allowed; every reveal is on the record."""
    found, allowed = _check(case, by, Action.REVEAL_PHONE, None)
    _event(case, by, access.acting_role(found, allowed.by), Action.REVEAL_PHONE, public=False)
    db.session.commit()
    return case.contact_phone


# -- consultation and escalation -----------------------------------------------------------


def enter_consultation(case, by, consultation) -> None:
    """Put the case on a consultation's agenda (the caller commits with the consultation)."""
    found, allowed = _check(case, by, Action.CONVENE, None)
    _move(
        case,
        by,
        Action.CONVENE,
        found,
        allowed,
        consultation_id=consultation.id,
        title=consultation.title,
    )


def leave_consultation(case, by, outcome: str, body: str | None = None) -> None:
    """Back to work after the consultation: to the assignee, or to be assigned.
    `outcome` is effective, dissented, concluded or cancelled. The caller commits."""
    found, allowed = _check(case, by, Action.END_CONSULTATION, None)
    # The clock paused while the case waited on the consultation: the deadline moves on by
    # the time it spent there.
    convened = max((e.at for e in case.events if e.action == Action.CONVENE), default=None)
    if case.due_at is not None and convened is not None:
        case.due_at += now() - convened
    _move(
        case,
        by,
        Action.END_CONSULTATION,
        found,
        allowed,
        body=body,
        to=State.IN_PROGRESS if case.assignee_id else State.ACCEPTED,
        outcome=outcome,
    )


@atomic
def escalate(case, by, reason: str, level: int = 1) -> Case:
    """吹哨: the secretary asks the community (level 1) or the sub-district (level 2) for help."""
    found, allowed = _check(case, by, Action.ESCALATE, None)
    if not (reason or "").strip():
        raise Invalid(_l("Say why you are asking for help."))
    if case.escalation_level >= level:
        raise Conflict(_l("This case has already been escalated."))
    case.escalation_level, case.escalated_at = level, now()
    # The reason is for the overseers; the resident's timeline does not show it.
    _move(case, by, Action.ESCALATE, found, allowed, public=False, body=reason.strip(), level=level)
    _commit()
    return case


def record(case, by, what: str, public: bool = True, body: str | None = None, **data) -> None:
    """An event that changes nothing on the case itself (an action item done, a reminder…).
    `by` None is the sweep. The caller commits."""
    role = "system" if by is None else access.acting_role(access.capacities(by, case))
    _event(case, by, role, what, public=public, body=body, **data)


@atomic
def escalate_overdue(case, level: int) -> Case:
    """The sweep: a case long past its deadline goes up a level. Safe when two sweeps race:
    the version check lets only one of them commit."""
    found, allowed = _check(case, None, Action.ESCALATE, None, system=True)
    if case.escalation_level >= level:
        raise Conflict(_l("This case has already been escalated."))
    case.escalation_level, case.escalated_at = level, now()
    _move(
        case,
        None,
        Action.ESCALATE,
        found,
        allowed,
        public=False,
        level=level,
        automatic=True,
        due=case.due_at.isoformat() if case.due_at else None,
    )
    _commit()
    return case


# -- closure feedback ------------------------------------------------------------------


def _feedback(case, by, source, solved, satisfaction, comment):
    from portal.feedback.models import Feedback  # feedback builds on cases

    row = Feedback(
        case_id=case.id,
        source=source,
        solved=solved,
        satisfaction=satisfaction,
        comment=(comment or "").strip() or None,
        recorded_by_id=by.id if by is not None else None,
        at=now(),
    )
    db.session.add(row)
    return row


@atomic
def give_feedback(
    case, by, solved: bool, satisfaction, comment: str | None, source, has_key=False
) -> Case:
    """The resident's verdict, or a return visit's record of it. "Not solved" reopens the case
    to its assignee (退回重办); "solved" closes it."""
    from portal.feedback.models import Source

    action = Action.CLOSE_SOLVED if solved else Action.REOPEN
    found, allowed = _check(case, by, action, None, has_key)
    on_behalf = source is not Source.RESIDENT
    if on_behalf and not found & {Capacity.BRANCH_MEMBER, Capacity.GRID_WORKER}:
        raise NotAllowed(_l("Only a party-branch member or a grid worker records a return visit."))
    if not on_behalf and Capacity.REPORTER not in found:
        raise NotAllowed(_l("Only the resident who reported it gives this feedback."))
    if satisfaction is None:
        raise Invalid(_l("Say how satisfied the resident is."))
    if not solved and not (comment or "").strip():
        raise Invalid(_l("Say what is still wrong, so it can be put right."))
    _feedback(case, by, source, solved, satisfaction, comment)
    data = {"solved": solved, "satisfaction": satisfaction.value, "source": source.value}
    actor = by if by is not None and by.is_authenticated else None
    if solved:
        case.closed_at, case.closure, case.feedback_due_at = now(), "solved", None
        _move(case, actor, action, found, allowed, body=(comment or "").strip() or None, **data)
    else:
        case.reopen_count += 1
        case.feedback_due_at, case.resolved_at, case.resolution = None, None, None
        rule = rule_for(case.category, community_rules(case.compound.community_id))
        case.due_at = deadlines.resolution_due(
            now(), rule.resolution_days, case.priority is Priority.URGENT
        )
        _move(
            case,
            actor,
            action,
            found,
            allowed,
            body=comment.strip(),
            to=State.IN_PROGRESS if case.assignee_id else State.ACCEPTED,
            **data,
        )
    _commit()
    return case


@atomic
def close_without_feedback(case) -> Case:
    """The sweep: nobody answered within the window. Never counted as solved or satisfied."""
    from portal.feedback.models import Source

    found, allowed = _check(case, None, Action.CLOSE_NO_FEEDBACK, None, system=True)
    _feedback(case, None, Source.NO_FEEDBACK, None, None, None)
    case.closed_at, case.closure, case.feedback_due_at = now(), "no_feedback", None
    _move(case, None, Action.CLOSE_NO_FEEDBACK, found, allowed)
    return case


@atomic
def take_over(case, by, version) -> Case:
    """An overseer the case is escalated to handles it themself."""
    found, allowed = _check(case, by, Action.TAKE_OVER, version)
    previous = case.assignee_id
    case.assignee = by
    _move(case, by, Action.TAKE_OVER, found, allowed, assignee_id=by.id, previous_id=previous)
    _commit()
    return case
