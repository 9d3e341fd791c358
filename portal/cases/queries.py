"""Look-ups of cases that several pages share: one case with what its page shows, the
compound's queue (triage first), "my cases", a resident's own cases. Keyset pagination; related
rows loaded up front, so the number of queries never grows with the list."""

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, func, literal, select, tuple_
from sqlalchemy import case as when
from sqlalchemy.orm import selectinload

from portal.accounts.models import Person
from portal.cases.categories import Category
from portal.cases.models import Case, CaseEvent
from portal.cases.workflow import CLOCK_RUNS, OPEN_STATES, Action, State, states_allowing
from portal.clock import UTCDateTime
from portal.extensions import db

PAGE = 25
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


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


def _bucket(moment):
    """0: awaiting triage or overdue, 1: other open cases, 2: awaiting feedback, 3: finished."""
    return when(
        (
            and_(
                Case.state.in_(_values(CLOCK_RUNS)),
                Case.due_at < literal(moment, UTCDateTime()),
            ),
            0,
        ),
        (Case.state.in_(_values(states_allowing(Action.ACCEPT))), 0),
        (Case.state.in_(_values(OPEN_STATES)), 1),
        (Case.state.in_(_values(states_allowing(Action.CLOSE_SOLVED))), 2),
        else_=3,
    )


def _due():
    return func.coalesce(Case.due_at, literal(FAR_FUTURE, UTCDateTime()))


def _encode(bucket, due, case_id) -> str:
    raw = f"{bucket}|{due.isoformat()}|{case_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str):
    try:
        bucket, due, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return int(bucket), datetime.fromisoformat(due), int(case_id)
    except (ValueError, TypeError):
        return None


def page(statement, after: str | None, moment) -> tuple[list[Case], str | None]:
    """One page of cases in queue order and the cursor of the next page (or None)."""
    bucket, due = _bucket(moment), _due()
    statement = statement.add_columns(bucket.label("bucket"))
    cursor = _decode(after) if after else None
    if cursor:
        statement = statement.where(
            tuple_(bucket, due, Case.id)
            > tuple_(literal(cursor[0]), literal(cursor[1], UTCDateTime()), literal(cursor[2]))
        )
    statement = (
        statement.order_by(bucket, due, Case.id)
        .limit(PAGE + 1)
        .options(
            selectinload(Case.building),
            selectinload(Case.assignee).selectinload(Person.memberships),
            selectinload(Case.compound),
        )
    )
    rows = db.session.execute(statement).all()
    cases = [row[0] for row in rows[:PAGE]]
    following = None
    if len(rows) > PAGE:
        last_case, last_bucket = rows[PAGE - 1][0], rows[PAGE - 1][1]
        following = _encode(last_bucket, last_case.due_at or FAR_FUTURE, last_case.id)
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


def in_queue(compound, filters: QueueFilters, moment):
    """The statement of a compound's cases narrowed by `filters` (for page() and counting)."""
    statement = select(Case).where(Case.compound_id == compound.id)
    state = filters.state or "open"
    if state == "open":
        statement = statement.where(Case.state.in_(_values(OPEN_STATES)))
    elif state in {s.value for s in State}:
        statement = statement.where(Case.state == state)
    if filters.category in {c.value for c in Category}:
        statement = statement.where(Case.category == filters.category)
    if filters.building and filters.building.isdigit():
        statement = statement.where(Case.building_id == int(filters.building))
    if filters.assignee == "none":
        statement = statement.where(Case.assignee_id.is_(None))
    elif filters.assignee and filters.assignee.isdigit():
        statement = statement.where(Case.assignee_id == int(filters.assignee))
    if filters.urgent:
        statement = statement.where(Case.urgent.is_(True))
    if filters.overdue:
        statement = statement.where(
            Case.due_at < literal(moment, UTCDateTime()), Case.state.in_(_values(CLOCK_RUNS))
        )
    return statement


def count(statement) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0


def assigned_to(person, show_all: bool = False):
    """The statement of the cases assigned to a person: open ones, or all."""
    statement = select(Case).where(Case.assignee_id == person.id)
    if not show_all:
        statement = statement.where(Case.state.in_(_values(OPEN_STATES)))
    return statement


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
