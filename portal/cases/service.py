"""Operations on cases in the domain's words. Each checks the workflow and the person's
capacities, changes the case, and appends the event, in one transaction."""

import functools
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from portal import signals
from portal.accounts.models import Person
from portal.accounts.roles import COMPOUND_ROLES, HEAD, PARTY, WORKING_ROLES
from portal.accounts.service import people_holding
from portal.cases import access, deadlines, photos
from portal.cases.categories import Category, rule_for
from portal.cases.events import CONTACTS, REPORTER_ROLES, EventKind
from portal.cases.models import (
    Case,
    CaseCounter,
    CaseEvent,
    Closure,
    Need,
    Photo,
    Priority,
    Responsibility,
    Supporter,
)
from portal.cases.routing import community_rules
from portal.cases.workflow import (
    INITIAL,
    MERGE_TARGETS,
    OPEN_STATES,
    Action,
    Capacity,
    first_possible,
    missing,
    step,
)
from portal.clock import LOCAL_ZONE, local_date, now
from portal.errors import Conflict, Invalid, NotAllowed
from portal.extensions import db
from portal.organisation.models import PartyKind
from portal.workdays import service as workdays

STALE = _l(
    "This case changed since you opened it. Here is how it stands now; please check and try again."
)


# What a person is told when a step's need (workflow.TABLE) is left empty.
_CHOOSE_MEMBER = _l("Choose a member of the compound's three parties.")
_WRITE_WHAT_HAPPENED = _l("Write what happened.")
NEED_MESSAGES = {
    (Action.ACCEPT, "category"): _l("Choose the category."),
    (Action.ACCEPT, "priority"): _l("Choose the priority."),
    (Action.ACCEPT, "lead_party"): _l("Choose the lead party."),
    (Action.REJECT, "reason"): _l("Give the reason; the resident will see it."),
    (Action.MERGE, "target"): _l("No case with that number in this compound."),
    (Action.ASSIGN, "assignee"): _CHOOSE_MEMBER,
    (Action.REASSIGN, "assignee"): _CHOOSE_MEMBER,
    (Action.PROGRESS, "body"): _WRITE_WHAT_HAPPENED,
    (Action.NOTE, "body"): _WRITE_WHAT_HAPPENED,
    (Action.RESOLVE, "body"): _l("Say what was done."),
    # Information is a text or a photo: either fills the need.
    (Action.ADD_INFO, "body"): _l("Write something or attach a photo."),
    (Action.ESCALATE, "reason"): _l("Say why you are asking for help."),
    (Action.WAIT, "reason"): _l("Say what the resident is asked for; they will see it."),
    (Action.CLOSE_SOLVED, "satisfaction"): _l("Say how satisfied the resident is."),
    (Action.REOPEN, "reason"): _l("Say what is still wrong, so it can be put right."),
}


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
    case, actor, role, kind, public=True, body=None, from_state=None, to_state=None, **data
) -> CaseEvent:
    event = CaseEvent(
        case=case,
        actor=actor,
        actor_role=role,
        action=EventKind(kind),
        public=public,
        body=body,
        from_state=from_state,
        to_state=to_state,
        data=data,
        at=now(),
    )
    db.session.add(event)
    if case.responded_at is None and _contacts(case, actor, role, event):
        _responded(case, event.at)
    # Whoever subscribes (notifications: everyone the event concerns) acts in this same
    # transaction, so the event and what follows from it commit or roll back together.
    signals.case_event_recorded.send(event)
    return event


def _contacts(case, actor, role, event) -> bool:
    """Whether the event is a contact with the resident (DESIGN.md section 6's response): one
    of `events.CONTACTS` by staff, a return visit recorded, or a note by someone who revealed
    the resident's phone on this case (they called)."""
    if actor is None or role in REPORTER_ROLES:
        return False
    if event.action in CONTACTS:
        return event.action is not EventKind.FILE or role == "on_behalf"
    if event.action in (EventKind.CLOSE_SOLVED, EventKind.REOPEN):
        return event.data.get("source", "resident") != "resident"
    if event.action is EventKind.NOTE:
        called = select(CaseEvent.id).where(
            CaseEvent.case_id == case.id,
            CaseEvent.action == EventKind.REVEAL_PHONE,
            CaseEvent.actor_id == actor.id,
        )
        return db.session.scalar(called.limit(1)) is not None
    return False


def _responded(case, at) -> None:
    """The first contact, written without touching the case's version: an update posted
    meanwhile must not make someone's open form stale."""
    db.session.flush()
    db.session.execute(
        update(Case)
        .where(Case.id == case.id, Case.responded_at.is_(None))
        .values(responded_at=at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(case, "responded_at", at)


def tiers() -> deadlines.Tiers:
    return deadlines.Tiers.from_config(current_app.config)


def _calendar_for(span: deadlines.Span, start, end=None):
    """The working calendar from `start` as far as a deadline of `span` (from `end`, if
    later) can reach; none for a span in hours. The look-up leaves pending changes pending:
    flushed now, a case's would be written (and its version bumped) twice in one step."""
    if not span.days:
        return None
    with db.session.no_autoflush:
        first = start.astimezone(LOCAL_ZONE).date()
        return workdays.calendar_for(first, span.last_day(max(start, end or start)))


def _span_and_calendar(case, start, end=None):
    """The case's resolution span, and the working calendar it is counted on."""
    with db.session.no_autoflush:
        rule = rule_for(case.category, community_rules(case.compound.community_id))
    span = deadlines.resolution_span(rule, case.priority, case.needs_consultation, tiers())
    return span, _calendar_for(span, start, end)


def working_days_from(start, days: int) -> deadlines.Due:
    """The end of the `days`th working day after `start` (a resolution's signing deadline)."""
    span = deadlines.Span(days=days)
    return deadlines.due(start, span, _calendar_for(span, start))


def set_resolution_due(case, start) -> None:
    """The resolution deadline of a stage starting at `start`, by the case's category rule,
    priority and consultation, on the working calendar."""
    span, calendar = _span_and_calendar(case, start)
    due = deadlines.due(start, span, calendar)
    case.due_at, case.due_on_calendar_days = due.at, due.calendar_days


def _resume_clock(case) -> None:
    """Back from waiting on the resident: the deadline moves on by the time the case waited
    (DESIGN.md section 3, "the clock pauses while a case waits on the resident")."""
    paused = max((e.at for e in case.events if e.action == EventKind.WAIT), default=None)
    if case.due_at is None or paused is None:
        return
    moment = now()
    # The calendar reaches past the deadline by as many days again as the case waited.
    span, calendar = _span_and_calendar(case, paused, case.due_at + (moment - paused) * 2)
    due = deadlines.after_pause(case.due_at, span, paused, moment, calendar)
    case.due_at = due.at
    case.due_on_calendar_days = case.due_on_calendar_days or due.calendar_days


def _attach(case, event, processed, by):
    stored: list[str] = []
    for item in processed:
        try:
            path, thumb = photos.save(f"cases/{case.id}", item)
        except Invalid:
            # The store refused: the whole operation is undone, the case (if it was being
            # filed) included, and the photos already stored for it are taken back.
            db.session.rollback()
            photos.discard(stored)
            raise
        stored += (path, thumb)
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
    *,
    category: Category,
    description: str,
    location: str,
    urgent: bool,
    contact_name: str,
    contact_phone: str,
    processed_photos=(),
    by: Person | None = None,
    channel: str | None = None,
) -> tuple[Case, str | None]:
    """A new case. Returns it and, for a visitor, the private follow-up key (shown once).

    `channel` names the client system a case came through (the Open311 API), for the record."""
    if building.compound_id != compound.id:
        raise Invalid(_l("Choose a building of this compound."))
    on_behalf = False
    reporter = None
    role = "visitor"
    if by is not None:
        is_staff = any(
            m.compound_id == compound.id and m.role in WORKING_ROLES for m in by.memberships
        ) or any(m.community_id == compound.community_id for m in by.memberships)
        lives_here = any(h.compound_id == compound.id for h in by.verified_homes)
        if is_staff and not (lives_here and contact_phone == by.phone):
            on_behalf, role = True, "on_behalf"
        else:
            reporter, role = by, "reporter"
            contact_name, contact_phone = by.name, by.phone
    key = None if reporter else secrets.token_urlsafe(24)
    moment, stages = now(), tiers()
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
        state=INITIAL,
        priority=Priority.URGENT if urgent else Priority.NORMAL,
        created_at=moment,
        updated_at=moment,
        due_at=deadlines.triage_due(moment, urgent, stages),
        response_due_at=deadlines.response_due(moment, urgent, stages),
    )
    db.session.add(case)
    db.session.flush()
    via = {"via": channel} if channel else {}
    event = _event(
        case, by, role, EventKind.FILE, body=None, to_state=INITIAL, on_behalf=on_behalf, **via
    )
    _attach(case, event, processed_photos, by)
    db.session.commit()
    return case, key


def claim_cases_of(person: Person, compound_id: int | None = None) -> int:
    """A visitor's earlier cases join their account: in a compound once they are a verified
    resident of it, in every compound once a texted code proved the phone theirs."""
    where = [
        Case.reporter_id.is_(None),
        Case.on_behalf.is_(False),
        Case.contact_phone == person.phone,
    ]
    if compound_id is not None:
        where.append(Case.compound_id == compound_id)
    cases = db.session.scalars(select(Case).where(*where))
    claimed = 0
    for case in cases:
        case.reporter_id = person.id
        # On the record: the case joined this account because the phone numbers match, and
        # how the account showed the phone is theirs (a verified home, or a texted code).
        how = {} if compound_id is not None else {"how": "code"}
        _event(case, None, "system", EventKind.CLAIMED, public=False, person_id=person.id, **how)
        claimed += 1
    return claimed


@signals.home_verified.connect
def _claim_on_verification(person, compound_id, **_):
    claim_cases_of(person, compound_id)


@signals.phone_proved.connect
def _claim_on_proved_phone(person, **_):
    claim_cases_of(person)


# -- acting on a case ---------------------------------------------------------------------


def check(case, by, *, action, version=None, has_key=False, system=False):
    """The capacities `by` acts in and the workflow's step; refuses what the workflow or a
    stale view forbids. `system` is the sweep. A visitor is `by` None, and only the follow key
    makes them the reporter."""
    found = {Capacity.SYSTEM} if system else access.capacities(by, case, has_key)
    if version is not None and int(version) != case.version:
        raise Stale()
    allowed = step(case.state, action)
    if allowed is None or not (allowed.by & found):
        raise NotAllowed(
            _l("This action is not possible for you on this case in its present state.")
        )
    return found, allowed


def _require(case, action, **given):
    """Refuses, with the person's message, a step whose needs (workflow.TABLE) are empty."""
    empty = missing(case.state, action, given)
    if empty:
        raise Invalid(NEED_MESSAGES[action, empty[0]])


def commit():
    """Commit the operation; a concurrent change of the case is reported as a conflict."""
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise Stale() from None


def _actor(by):
    return by if by is not None and by.is_authenticated else None


def _move(case, by, action, found, allowed, public=True, body=None, **data):
    before = case.state
    to = allowed.target(assigned=case.assignee_id is not None or case.assignee is not None)
    if to is not None:
        case.state = to
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


def _member(case, person: Person | None) -> Person | None:
    """The person, if they work in one of the case's compound's three parties."""
    return person if access.party_of(person, case.compound_id) is not None else None


def _check_head_assigns_within_party(case, by, assignee: Person, found):
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
    *,
    version,
    category: Category,
    priority: Priority,
    lead_party: PartyKind,
    needs_consultation: bool,
    responsibility: Responsibility | None = None,
    referred_to: str | None = None,
    assignee: Person | None = None,
) -> Case:
    found, allowed = check(case, by, action=Action.ACCEPT, version=version)
    _require(case, Action.ACCEPT, category=category, priority=priority, lead_party=lead_party)
    if assignee is not None and _member(case, assignee) is None:
        raise Invalid(_CHOOSE_MEMBER)
    if responsibility is Responsibility.GOVERNMENT and not (referred_to or "").strip():
        raise Invalid(_l("Say which government department the case is referred to."))
    case.category, case.priority, case.lead_party = category, priority, lead_party
    case.needs_consultation = needs_consultation
    case.responsibility, case.referred_to = responsibility, (referred_to or "").strip() or None
    case.accepted_at = now()
    # The priority chosen here sets both clocks: the resolution's, and the response's while
    # nobody has been in touch with the resident yet.
    set_resolution_due(case, case.accepted_at)
    if case.responded_at is None:
        urgent = priority is Priority.URGENT
        case.response_due_at = deadlines.response_due(case.created_at, urgent, tiers())
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
        # Accepted and assigned in one go: the assignment is the table's next step.
        db.session.flush()
        case.assignee = assignee
        _move(
            case,
            by,
            Action.ASSIGN,
            found,
            step(case.state, Action.ASSIGN),
            assignee_id=assignee.id,
            party=access.party_of(assignee, case.compound_id).value,
        )
    commit()
    return case


@atomic
def reject(case, by, *, version, reason: str) -> Case:
    found, allowed = check(case, by, action=Action.REJECT, version=version)
    _require(case, Action.REJECT, reason=(reason or "").strip())
    case.reject_reason = reason.strip()
    case.due_at = None
    _move(case, by, Action.REJECT, found, allowed, body=case.reject_reason)
    commit()
    return case


@atomic
def merge(case, by, *, version, target_number: str) -> Case:
    found, allowed = check(case, by, action=Action.MERGE, version=version)
    target = db.session.scalar(select(Case).where(Case.number == (target_number or "").strip()))
    if target is not None and target.compound_id != case.compound_id:
        target = None
    _require(case, Action.MERGE, target=target)
    assert target is not None  # refused above when empty
    if target.id == case.id or target.state not in MERGE_TARGETS:
        raise Invalid(_l("Choose another case that is not itself merged."))
    case.merged_into = target
    case.due_at = None
    _move(case, by, Action.MERGE, found, allowed, target=target.number)
    _event(
        target,
        by,
        access.acting_role(found, allowed.by),
        EventKind.MERGED_IN,
        public=False,
        source=case.number,
    )
    commit()
    return case


@atomic
def withdraw(case, by, *, version, has_key=False) -> Case:
    found, allowed = check(case, by, action=Action.WITHDRAW, version=version, has_key=has_key)
    case.due_at = None
    _move(case, _actor(by), Action.WITHDRAW, found, allowed)
    commit()
    return case


@atomic
def assign(case, by, *, version, assignee: Person | None) -> Case:
    action = first_possible(case.state, Action.ASSIGN, Action.REASSIGN) or Action.ASSIGN
    found, allowed = check(case, by, action=action, version=version)
    _require(case, action, assignee=_member(case, assignee))
    assert assignee is not None  # refused above when empty
    _check_head_assigns_within_party(case, by, assignee, found)
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
    commit()
    return case


@atomic
def post_update(case, by, *, body: str, public: bool, processed_photos=()) -> CaseEvent:
    action = Action.PROGRESS if public else Action.NOTE
    found, allowed = check(case, by, action=action)
    _require(case, action, body=(body or "").strip())
    event = _move(case, by, action, found, allowed, public=public, body=body.strip())
    db.session.flush()
    _attach(case, event, processed_photos, by)
    commit()
    return event


@atomic
def resolve(case, by, *, version, body: str, processed_photos=()) -> Case:
    found, allowed = check(case, by, action=Action.RESOLVE, version=version)
    # Other features may hold the case back (a consultation's action items not yet done).
    signals.case_resolving.send(case)
    _require(case, Action.RESOLVE, body=(body or "").strip())
    case.resolution = body.strip()
    case.resolved_at = now()
    # The deadline it was resolved against goes on the record: the on-time rate reads it there.
    due, case.due_at = case.due_at, None
    case.feedback_due_at = now() + timedelta(days=current_app.config["FEEDBACK_WINDOW_DAYS"])
    event = _move(
        case,
        by,
        Action.RESOLVE,
        found,
        allowed,
        body=case.resolution,
        due=due.isoformat() if due is not None else None,
    )
    db.session.flush()
    _attach(case, event, processed_photos, by)
    commit()
    return case


@atomic
def add_info(case, by, *, body: str, processed_photos=(), has_key=False) -> CaseEvent:
    """The resident adds to their case; to one waiting on them, this is the answer that takes
    it back to work."""
    found, allowed = check(case, by, action=Action.ADD_INFO, has_key=has_key)
    _require(case, Action.ADD_INFO, body=(body or "").strip() or bool(processed_photos))
    if case.waiting_on_resident:
        _resume_clock(case)
    actor = _actor(by)
    event = _move(case, actor, Action.ADD_INFO, found, allowed, body=(body or "").strip() or None)
    db.session.flush()
    _attach(case, event, processed_photos, actor)
    commit()
    return event


def reveal_phone(case, by) -> str:
    """The reporter's full number, for those allowed; every reveal is on the record."""
    found, allowed = check(case, by, action=Action.REVEAL_PHONE)
    _event(case, by, access.acting_role(found, allowed.by), EventKind.REVEAL_PHONE, public=False)
    db.session.commit()
    return case.contact_phone


@atomic
def wait_on_resident(case, by, *, version, need: Need, body: str) -> Case:
    """The case waits on the resident (access to the flat, a photo, a decision), who is told
    what is needed; its clock pauses until they answer or staff resume it."""
    found, allowed = check(case, by, action=Action.WAIT, version=version)
    _require(case, Action.WAIT, reason=(body or "").strip())
    _move(case, by, Action.WAIT, found, allowed, body=body.strip(), need=need.value)
    commit()
    return case


@atomic
def resume(case, by, *, version) -> Case:
    """Back to work without the resident's answer (it came another way, or is not needed)."""
    found, allowed = check(case, by, action=Action.RESUME, version=version)
    _resume_clock(case)
    _move(case, by, Action.RESUME, found, allowed)
    commit()
    return case


# -- consultation and escalation -----------------------------------------------------------


def may_convene(case) -> bool:
    """Whether the case can go on a consultation's agenda in its present state."""
    return step(case.state, Action.CONVENE) is not None


def in_consultation(case) -> bool:
    """Whether the case waits on a consultation (and so can leave one)."""
    return step(case.state, Action.END_CONSULTATION) is not None


def enter_consultation(case, by, *, consultation) -> None:
    """Put the case on a consultation's agenda (the caller commits with the consultation)."""
    found, allowed = check(case, by, action=Action.CONVENE)
    _move(
        case,
        by,
        Action.CONVENE,
        found,
        allowed,
        consultation_id=consultation.id,
        title=consultation.title,
    )


def leave_consultation(
    case,
    by,
    *,
    outcome: str,
    body: str | None = None,
    assignee=None,
    party: PartyKind | None = None,
    resolution_id=None,
) -> None:
    """Back to work after the consultation: to the assignee, or to be assigned.
    `outcome` is effective, dissented, concluded or cancelled. A resolution that takes effect
    names who does it and for which party (`assignee`, `party`, from its first action item):
    a case nobody handled yet goes to them. The caller commits."""
    found, allowed = check(case, by, action=Action.END_CONSULTATION, system=by is None)
    if assignee is not None and party is not None and case.assignee_id is None:
        case.assignee, case.assignee_id = assignee, assignee.id
        # On the timeline like any assignment: the resolution named who does it. The role is
        # the signer's once the case is assigned (the named person may be signing last).
        _event(
            case,
            by,
            access.acting_role(access.capacities(by, case)),
            EventKind.ASSIGN,
            assignee_id=assignee.id,
            party=party.value,
            by_resolution=resolution_id,
        )
    # The clock paused while the case waited on the consultation: the deadline moves on by
    # the time it spent there.
    convened = max((e.at for e in case.events if e.action == EventKind.CONVENE), default=None)
    if case.due_at is not None and convened is not None:
        case.due_at += now() - convened
    _move(case, by, Action.END_CONSULTATION, found, allowed, body=body, outcome=outcome)


# -- 报到: an escalated case is acknowledged at the level it reached ---------------------------


def _await_acknowledgement(case) -> None:
    """Escalated to a new level: someone there has ACKNOWLEDGE_DAYS working days to take charge
    of it (报到), or the sweep reminds them and then passes it up."""
    moment = now()
    days = current_app.config["ACKNOWLEDGE_DAYS"]
    case.acknowledge_due_at = working_days_from(moment, days).at
    case.acknowledged_at = case.acknowledge_reminded_at = None
    case.acknowledged_by = None


def _took_charge(case, by) -> None:
    case.acknowledged_at, case.acknowledged_by = now(), by


@atomic
def acknowledge(case, by, *, version) -> Case:
    """报到: an overseer at the level the case reached says they have taken charge of it."""
    found, allowed = check(case, by, action=Action.ACKNOWLEDGE, version=version)
    if not access.at_its_level(by, case):
        raise NotAllowed(
            _l("Only an overseer at the level the case was escalated to acknowledges it.")
        )
    if case.acknowledged_at is not None:
        raise Conflict(_l("Somebody has already taken charge of this case."))
    _took_charge(case, by)
    _move(case, by, Action.ACKNOWLEDGE, found, allowed, level=case.escalation_level)
    commit()
    return case


@atomic
def escalate(case, by, *, reason: str, level: int = 1) -> Case:
    """吹哨: the secretary asks the community (level 1) or, once it was escalated there and
    still does not move (a party dissented), the sub-district (level 2) for help. The community
    passes a case escalated to it on to the sub-district the same way, with its reason."""
    found, allowed = check(case, by, action=Action.ESCALATE)
    _require(case, Action.ESCALATE, reason=(reason or "").strip())
    if Capacity.SECRETARY not in found and not access.at_its_level(by, case):
        raise NotAllowed(_l("Only the community a case was escalated to passes it on."))
    if level > 2:
        raise Conflict(_l("Nothing is above the sub-district: take the case over instead."))
    if case.escalation_level >= level:
        raise Conflict(_l("This case has already been escalated."))
    case.escalation_level, case.escalated_at = level, now()
    _await_acknowledgement(case)
    # The reason is for the overseers; the resident's timeline does not show it.
    _move(case, by, Action.ESCALATE, found, allowed, public=False, body=reason.strip(), level=level)
    commit()
    return case


def record(case, by, *, kind: EventKind, public: bool = True, body: str | None = None, **data):
    """An event that changes nothing on the case itself (an action item done, a reminder…).
    `by` None is the sweep. The caller commits."""
    role = "system" if by is None else access.acting_role(access.capacities(by, case))
    _event(case, by, role, kind, public=public, body=body, **data)


@atomic
def escalate_overdue(case, *, level: int) -> Case:
    """The sweep: a case long past its deadline goes up a level. Safe when two sweeps race:
    the version check lets only one of them commit."""
    # The reason is the deadline that passed long ago.
    return _escalate_by_sweep(case, level, case.due_at)


@atomic
def escalate_unacknowledged(case) -> Case:
    """The sweep: nobody at the community took charge of the case, even once reminded; it goes
    to the sub-district."""
    if case.acknowledged_at is not None:
        raise Conflict(_l("Somebody has already taken charge of this case."))
    return _escalate_by_sweep(
        case, case.escalation_level + 1, case.acknowledge_due_at, unacknowledged=True
    )


def _escalate_by_sweep(case, level, missed, **data) -> Case:
    found, allowed = check(case, None, action=Action.ESCALATE, system=True)
    _require(case, Action.ESCALATE, reason=missed)
    if case.escalation_level >= level or level > 2:
        raise Conflict(_l("This case has already been escalated."))
    case.escalation_level, case.escalated_at = level, now()
    _await_acknowledgement(case)
    _move(
        case,
        None,
        Action.ESCALATE,
        found,
        allowed,
        public=False,
        level=level,
        automatic=True,
        due=missed.isoformat(),
        **data,
    )
    commit()
    return case


# -- closure -------------------------------------------------------------------------------


def close(case, by, *, closure: Closure, has_key=False, body=None, **data) -> CaseEvent:
    """A resolved case closes: solved (the resident's verdict, or a return visit's record of
    it), or without feedback (the sweep, when nobody answered in time). The caller commits;
    the feedback feature keeps what was said."""
    action = Action.CLOSE_SOLVED if closure is Closure.SOLVED else Action.CLOSE_NO_FEEDBACK
    found, allowed = check(
        case, by, action=action, has_key=has_key, system=closure is Closure.NO_FEEDBACK
    )
    _require(case, action, **data)
    case.closed_at, case.closure, case.feedback_due_at = now(), closure, None
    return _move(case, _actor(by), action, found, allowed, body=body, **data)


def reopen(case, by, *, reason: str, has_key=False, **data) -> CaseEvent:
    """退回重办: "not solved" sends the case back to its assignee, with a new deadline. The
    caller commits."""
    found, allowed = check(case, by, action=Action.REOPEN, has_key=has_key)
    _require(case, Action.REOPEN, reason=(reason or "").strip())
    case.reopen_count += 1
    case.feedback_due_at, case.resolved_at, case.resolution = None, None, None
    set_resolution_due(case, now())
    return _move(case, _actor(by), Action.REOPEN, found, allowed, body=reason.strip(), **data)


@atomic
def take_over(case, by, *, version) -> Case:
    """An overseer the case is escalated to handles it themself: it becomes theirs to lead and
    to do, with a new deadline counted from now."""
    found, allowed = check(case, by, action=Action.TAKE_OVER, version=version)
    if case.assignee_id == by.id:
        raise Conflict(_l("You handle this case already."))
    previous = case.assignee_id
    case.assignee = by
    set_resolution_due(case, now())
    if case.acknowledged_at is None and access.at_its_level(by, case):
        _took_charge(case, by)  # whoever takes a case over has taken charge of it
    _move(case, by, Action.TAKE_OVER, found, allowed, assignee_id=by.id, previous_id=previous)
    commit()
    return case


def taken_over(case) -> CaseEvent | None:
    """The take-over that made the case its overseer's, while they still hold it."""
    last = next((e for e in reversed(case.events) if e.action == EventKind.TAKE_OVER), None)
    if last is None or case.assignee_id is None or last.actor_id != case.assignee_id:
        return None
    return last


# -- moderation --------------------------------------------------------------------------------

# What of a case can be hidden from the public: its description, the text of one of its public
# events, one of its photos.
HIDEABLE = ("description", "event", "photo")
_MODERATED_AS = frozenset({Capacity.SECRETARY, Capacity.OVERSEER})


def _hideable(case, what: str, item_id):
    """The case (for its description), one of its public events with a text, or one of its
    photos; refused when the case has no such thing."""
    found = None
    if what == "description":
        found = case
    elif what == "event":
        found = next(
            (e for e in case.events if str(e.id) == str(item_id) and e.public and e.body), None
        )
    elif what == "photo":
        found = next((p for p in case.photos if str(p.id) == str(item_id)), None)
    if found is None:
        raise Invalid(_l("This case has nothing like that to hide."))
    return found


def _hidden_at(case, target):
    return case.description_hidden_at if target is case else target.hidden_at


def _mark_hidden(case, target, *, at, by_id, reason) -> None:
    """Hidden (or shown again, with Nones). The description is the case's own row, written
    without its version: hiding a text must not make anyone's open triage form stale."""
    if target is not case:
        target.hidden_at, target.hidden_by_id, target.hidden_reason = at, by_id, reason
        return
    values = {
        "description_hidden_at": at,
        "description_hidden_by_id": by_id,
        "description_hidden_reason": reason,
    }
    db.session.flush()
    db.session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    for name, value in values.items():
        set_committed_value(case, name, value)


def _moderating(case, by):
    found = access.capacities(by, case)
    if not access.may_moderate(found):
        raise NotAllowed(_l("Only the secretary and the overseers hide what the public reads."))
    return access.acting_role(found, _MODERATED_AS)


@atomic
def hide(case, by, *, what: str, item_id=None, reason: str) -> Case:
    """The secretary or an overseer hides a public text or photo of the case from the public,
    who read "hidden by the branch" and the reason instead; staff still see it, marked."""
    role = _moderating(case, by)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_l("Say why it is hidden: the public reads the reason."))
    target = _hideable(case, what, item_id)
    if _hidden_at(case, target) is not None:
        raise Conflict(_l("It is hidden already."))
    _mark_hidden(case, target, at=now(), by_id=by.id, reason=reason)
    item = None if target is case else target.id
    _event(case, by, role, EventKind.HIDE, public=False, body=reason, what=what, item=item)
    commit()
    return case


@atomic
def unhide(case, by, *, what: str, item_id=None) -> Case:
    """Shown to the public again."""
    role = _moderating(case, by)
    target = _hideable(case, what, item_id)
    if _hidden_at(case, target) is None:
        raise Conflict(_l("It is not hidden."))
    _mark_hidden(case, target, at=None, by_id=None, reason=None)
    item = None if target is case else target.id
    _event(case, by, role, EventKind.UNHIDE, public=False, what=what, item=item)
    commit()
    return case


# -- "me too" ----------------------------------------------------------------------------------


@atomic
def support(case, by) -> str | None:
    """A resident with the same problem follows this open case instead of filing again: signed
    in, they are told as it moves; a visitor gets a follow key of their own (returned, shown
    once). Either way the case counts one more resident it affects."""
    if case.state not in OPEN_STATES:
        raise Conflict(_l("This case is no longer open: report yours as a new case."))
    person = _actor(by)
    if person is not None:
        merged, supports = access.follows(person, case)
        if case.reporter_id == person.id or merged or supports:
            raise Conflict(_l("You follow this case already."))
    key = None if person is not None else secrets.token_urlsafe(24)
    db.session.add(
        Supporter(
            case_id=case.id,
            person_id=person.id if person is not None else None,
            key_hash=key_hash(key) if key else None,
            created_at=now(),
        )
    )
    _event(case, person, "supporter", EventKind.SUPPORT, public=False)
    commit()
    return key
