"""Look-ups of cases that several pages share: one case with what its page shows, the
compound's queue (triage first), "my cases", a resident's own cases. Keyset pagination; related
rows loaded up front, so the number of queries never grows with the list."""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Select, exists, func, literal, or_, select, tuple_, union_all
from sqlalchemy import case as when
from sqlalchemy.orm import selectinload

from portal.accounts.models import Person
from portal.cases.categories import COMPOUND_WIDE, Category
from portal.cases.events import EventKind
from portal.cases.models import Case, CaseEvent, Supporter
from portal.cases.workflow import (
    CLOCK_RUNS,
    DUPLICATE_OF,
    OPEN_STATES,
    Action,
    State,
    states_allowing,
)
from portal.clock import LOCAL_ZONE, UTCDateTime, local_date
from portal.extensions import as_id, db
from portal.organisation.models import PartyKind

PAGE = 25
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Listing:
    """A list of cases for page() and count(): a statement narrowing the cases by anything but
    their state, and the states the list holds (applied by page() and count(), run by run)."""

    statement: Select
    states: frozenset[State] = frozenset(State)


def _values(states) -> list[str]:
    return [s.value for s in states]


def case_by_number(number: str) -> Case | None:
    """A case with everything its page shows: timeline, photos, people."""
    return db.session.scalar(
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


def key_follows(case, key_hash: str) -> str | None:
    """Whose follow key of this case it is, besides its own: "merged" (a case merged into it),
    "supporter" (a visitor's "me too"), or None."""
    merged, supports = db.session.execute(
        select(
            exists().where(Case.merged_into_id == case.id).where(Case.follow_key_hash == key_hash),
            exists().where(Supporter.case_id == case.id).where(Supporter.key_hash == key_hash),
        )
    ).one()
    return "merged" if merged else ("supporter" if supports else None)


def followers(case) -> list[Person]:
    """The signed-in people who follow the case without having filed it: the reporters of the
    cases merged into it and those who said "me too"."""
    merged = select(Case.reporter_id).where(Case.merged_into_id == case.id)
    supporting = select(Supporter.person_id).where(Supporter.case_id == case.id)
    return list(
        db.session.scalars(
            select(Person).where(or_(Person.id.in_(merged), Person.id.in_(supporting)))
        )
    )


def supporter_counts(case_ids) -> dict[int, int]:
    """How many residents said "me too" on each case."""
    if not case_ids:
        return {}
    return dict(
        db.session.execute(
            select(Supporter.case_id, func.count())
            .where(Supporter.case_id.in_(list(case_ids)))
            .group_by(Supporter.case_id)
        ).all()
    )


def same_problem(compound, building, category, limit: int = 5) -> list[Case]:
    """While filing: the open cases of the same kind in the same building (anywhere in the
    compound, for a kind that concerns the whole compound), newest first."""
    where = [
        Case.compound_id == compound.id,
        Case.category == category,
        Case.state.in_(_values(OPEN_STATES)),
    ]
    if category not in COMPOUND_WIDE:
        where.append(Case.building_id == building.id)
    return list(
        db.session.scalars(
            select(Case)
            .where(*where)
            .order_by(Case.created_at.desc(), Case.id.desc())
            .limit(limit)
            .options(selectinload(Case.building), selectinload(Case.reporter))
        )
    )


def assignees_named(case) -> dict[int, Person]:
    """The people the case's timeline says it was given to, by id, in one look-up."""
    ids = {
        e.data.get("assignee_id")
        for e in case.events
        if e.action in (EventKind.ASSIGN, EventKind.REASSIGN, EventKind.TAKE_OVER)
    } - {None}
    if not ids:
        return {}
    return {p.id: p for p in db.session.scalars(select(Person).where(Person.id.in_(ids)))}


def likely_duplicates(case, days: int = 30, limit: int = 5) -> list[Case]:
    """Cases the secretary may merge this one into: the same building and kind, filed in the
    month before it (or after it), newest first (DESIGN.md section 3, merge at triage)."""
    return list(
        db.session.scalars(
            select(Case)
            .where(
                Case.compound_id == case.compound_id,
                Case.building_id == case.building_id,
                Case.category == case.category,
                Case.id != case.id,
                Case.state.in_([s.value for s in DUPLICATE_OF]),
                Case.created_at >= case.created_at - timedelta(days=days),
            )
            .order_by(Case.created_at.desc(), Case.id.desc())
            .limit(limit)
        )
    )


def bucket_of(state: State, overdue: bool) -> int:
    """Where a case stands in queue order: 0 awaiting triage or overdue, 1 other open cases,
    2 awaiting feedback, 3 finished."""
    if (state in CLOCK_RUNS and overdue) or state in states_allowing(Action.ACCEPT):
        return 0
    if state in OPEN_STATES:
        return 1
    if state in states_allowing(Action.CLOSE_SOLVED):
        return 2
    return 3


def _encode(bucket, due, case_id) -> str:
    raw = f"{bucket}|{due.isoformat()}|{case_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str):
    try:
        bucket, due, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment = datetime.fromisoformat(due)
    except (ValueError, TypeError):
        return None
    # A cursor is typed by nobody, but anybody can send one: a naive time or an id beyond
    # what the database holds starts from the first page instead of failing.
    if moment.tzinfo is None or as_id(bucket) is None or as_id(case_id) is None:
        return None
    return int(bucket), moment, int(case_id)


def _bucket_in(state, at):
    """The bucket of a case in `state`, in SQL (bucket_of's rule): it turns on the deadline
    only where the clock runs."""
    late, on_time = bucket_of(state, True), bucket_of(state, False)
    if state in CLOCK_RUNS and late != on_time:
        return when((Case.due_at < at, late), else_=on_time)
    return literal(on_time)


def _runs(statement, states, cursor, moment):
    """The page's candidates, each run in queue order, after the cursor and cut to a page.

    Every state is its own run, an equality on `state` so that the index
    `(compound_id | assignee_id, state, due_at, id)` gives its rows and nothing else. Open
    cases are few whatever the history (a compound's or a person's current work): each open
    state is read whole and ordered by bucket (late or on time). Cases that are finished or
    awaiting feedback pile up month after month: each such state is read as an ordered index
    range, with and without a deadline, so a later page reads no more of them than it shows
    (a CASE or coalesce() in the order would make the database sort every one)."""
    at = literal(moment, UTCDateTime())
    narrowed = [statement.whereclause] if statement.whereclause is not None else []
    due = func.coalesce(Case.due_at, literal(FAR_FUTURE, UTCDateTime()))
    for state in sorted(states & OPEN_STATES, key=lambda s: s.value):
        bucket = _bucket_in(state, at)
        if cursor and bucket_of(state, True) < cursor[0] and bucket_of(state, False) < cursor[0]:
            continue
        run = select(Case.id, bucket.label("bucket"), Case.due_at.label("due")).where(
            *narrowed, Case.state == state
        )
        if cursor:
            run = run.where(
                tuple_(bucket, due, Case.id)
                > tuple_(literal(cursor[0]), literal(cursor[1], UTCDateTime()), literal(cursor[2]))
            )
        yield run.order_by(bucket, due, Case.id).limit(PAGE + 1).subquery()
    for state in sorted(states - OPEN_STATES, key=lambda s: s.value):
        bucket_here = bucket_of(state, False)
        if cursor and bucket_here < cursor[0]:
            continue
        for with_due in (True, False):
            run = select(Case.id, literal(bucket_here).label("bucket"), Case.due_at.label("due"))
            run = run.where(
                *narrowed,
                Case.state == state,
                Case.due_at.is_not(None) if with_due else Case.due_at.is_(None),
            )
            if cursor and bucket_here == cursor[0]:
                after_due, after_id = cursor[1], cursor[2]
                if with_due:
                    run = run.where(
                        tuple_(Case.due_at, Case.id)
                        > tuple_(literal(after_due, UTCDateTime()), literal(after_id))
                    )
                elif after_due >= FAR_FUTURE:  # the cursor is among the cases without one
                    run = run.where(Case.id > after_id)
            yield run.order_by(Case.due_at, Case.id).limit(PAGE + 1).subquery()


def page(listing: Listing, after: str | None, moment) -> tuple[list[Case], str | None]:
    """One page of cases in queue order and the cursor of the next page (or None)."""
    cursor = _decode(after) if after else None
    runs = [select(run) for run in _runs(listing.statement, listing.states, cursor, moment)]
    if not runs:
        return [], None
    ordered = union_all(*runs).subquery()
    rows = db.session.execute(
        select(ordered.c.id, ordered.c.bucket, ordered.c.due)
        .order_by(
            ordered.c.bucket,
            ordered.c.due.is_(None),
            ordered.c.due,
            ordered.c.id,
        )
        .limit(PAGE + 1)
    ).all()
    shown = [row.id for row in rows[:PAGE]]
    loaded = {
        case.id: case
        for case in db.session.scalars(
            select(Case)
            .where(Case.id.in_(shown))
            .options(
                selectinload(Case.building),
                selectinload(Case.assignee).selectinload(Person.memberships),
                selectinload(Case.compound),
            )
        )
    }
    cases = [loaded[case_id] for case_id in shown]
    following = None
    if len(rows) > PAGE:
        last = rows[PAGE - 1]
        following = _encode(last.bucket, last.due or FAR_FUTURE, last.id)
    return cases, following


@dataclass(frozen=True)
class QueueFilters:
    """What the queue is narrowed to; empty strings mean "any"."""

    state: str = "open"  # "open", "all" or a state
    category: str = ""
    building: str = ""  # a building id
    assignee: str = ""  # a person id, or "none"
    urgent: bool = False
    overdue: bool = False
    due_today: bool = False  # its deadline falls today (Beijing time) and its clock runs
    lead: str = ""  # a party kind: the cases it leads


def in_queue(compound, filters: QueueFilters, moment) -> Listing:
    """A compound's cases narrowed by `filters`."""
    statement = select(Case).where(Case.compound_id == compound.id)
    states = frozenset(State)
    state = filters.state or "open"
    if state == "open":
        states = OPEN_STATES
    elif state in {s.value for s in State}:
        states = frozenset({State(state)})
    if filters.overdue or filters.due_today:
        states = states & CLOCK_RUNS
    if filters.lead in {p.value for p in PartyKind}:
        statement = statement.where(Case.lead_party == filters.lead)
    if filters.due_today:
        today = local_date(moment)
        start = datetime.combine(today, time(), LOCAL_ZONE)
        statement = statement.where(
            Case.due_at >= literal(start, UTCDateTime()),
            Case.due_at < literal(start + timedelta(days=1), UTCDateTime()),
        )
    if filters.category in {c.value for c in Category}:
        statement = statement.where(Case.category == filters.category)
    if (building := as_id(filters.building)) is not None:
        statement = statement.where(Case.building_id == building)
    if filters.assignee == "none":
        statement = statement.where(Case.assignee_id.is_(None))
    elif (assignee := as_id(filters.assignee)) is not None:
        statement = statement.where(Case.assignee_id == assignee)
    if filters.urgent:
        statement = statement.where(Case.urgent.is_(True))
    if filters.overdue:
        statement = statement.where(Case.due_at < literal(moment, UTCDateTime()))
    return Listing(statement, states)


def count(listing: Listing) -> int:
    statement = listing.statement.with_only_columns(Case.id)
    if listing.states != frozenset(State):
        statement = statement.where(Case.state.in_(_values(listing.states)))
    subquery = statement.subquery()
    return db.session.scalar(select(func.count()).select_from(subquery)) or 0


def assigned_to(person, show_all: bool = False, overdue_at: datetime | None = None) -> Listing:
    """The cases assigned to a person: open ones, or all; or those overdue at `overdue_at`."""
    statement = select(Case).where(Case.assignee_id == person.id)
    if overdue_at is not None:
        statement = statement.where(Case.due_at < literal(overdue_at, UTCDateTime()))
        return Listing(statement, CLOCK_RUNS)
    return Listing(statement, frozenset(State) if show_all else OPEN_STATES)


def reported_by(person, limit=50):
    """A resident's own cases with the time of their last public event, newest first."""
    # Only this resident's cases' events: never an aggregate over the whole event table.
    last_public = (
        select(CaseEvent.case_id, func.max(CaseEvent.at).label("last"))
        .where(
            CaseEvent.public.is_(True),
            CaseEvent.case_id.in_(select(Case.id).where(Case.reporter_id == person.id)),
        )
        .group_by(CaseEvent.case_id)
        .subquery()
    )
    rows = db.session.execute(
        select(Case, last_public.c.last)
        .join(last_public, last_public.c.case_id == Case.id)
        .where(Case.reporter_id == person.id)
        .order_by(Case.created_at.desc(), Case.id.desc())
        .limit(limit)
        .options(selectinload(Case.building), selectinload(Case.compound))
    ).all()
    return [(row[0], row[1]) for row in rows]
