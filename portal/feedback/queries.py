"""Look-ups of the closing loop: what was said of a case, and the cases escalated to an
overseer."""

import base64
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, func, or_, select, tuple_
from sqlalchemy.orm import selectinload

from portal.accounts.roles import Role
from portal.cases.models import Case
from portal.cases.workflow import CLOCK_RUNS, OPEN_STATES, State
from portal.extensions import as_id, db
from portal.feedback.models import Feedback
from portal.organisation.models import Community, Compound


def feedback_on(case) -> list[Feedback]:
    """Everything said of the case at closure, oldest first."""
    return list(
        db.session.scalars(
            select(Feedback).where(Feedback.case_id == case.id).order_by(Feedback.id)
        )
    )


@dataclass(frozen=True)
class EscalatedFilters:
    """What an overseer narrows the escalated list to; empty is everything in their scope."""

    compound: str = ""  # a compound's code
    category: str = ""
    level: str = ""  # "1" the community, "2" the sub-district
    acknowledged: str = ""  # "yes" someone took charge (报到), "no" nobody yet
    overdue: bool = False


def _in_scope(person):
    """Open escalated cases below the person: level 1+ in communities they oversee, level 2 in
    their sub-districts. Never another community's cases. None when they oversee nothing."""
    communities = [m.community_id for m in person.memberships if m.role is Role.COMMUNITY_OVERSEER]
    sub_districts = [
        m.sub_district_id for m in person.memberships if m.role is Role.SUBDISTRICT_OVERSEER
    ]
    if not communities and not sub_districts:
        return None
    in_scope = []
    if communities:
        in_scope.append(Compound.community_id.in_(communities) & (Case.escalation_level >= 1))
    if sub_districts:
        in_scope.append(
            Compound.community_id.in_(
                select(Community.id).where(Community.sub_district_id.in_(sub_districts))
            )
            & (Case.escalation_level >= 2)
        )
    return and_(
        Case.escalation_level > 0,  # the partial index's own condition, for the planner
        or_(*in_scope),
        # In the order of the partial index ix_case_open_escalated's own condition.
        Case.state.in_([s.value for s in sorted(OPEN_STATES)]),
    )


def _escalated(person, filters: EscalatedFilters, moment) -> Select | None:
    scope = _in_scope(person)
    if scope is None:
        return None
    where = [scope]
    if filters.compound:
        where.append(Compound.code == filters.compound)
    if filters.category:
        where.append(Case.category == filters.category)
    if filters.level in ("1", "2"):
        where.append(Case.escalation_level == int(filters.level))
    if filters.acknowledged == "yes":
        where.append(Case.acknowledged_at.is_not(None))
    elif filters.acknowledged == "no":
        where.append(Case.acknowledged_at.is_(None))
    if filters.overdue:
        # Past its deadline while its clock runs (Case.is_overdue).
        where.append(Case.due_at < moment)
        where.append(Case.state.in_([s.value for s in CLOCK_RUNS]))
    return select(Case).join(Compound, Compound.id == Case.compound_id).where(*where)


def escalated_counts(person) -> dict[tuple[int, State], tuple[int, int]]:
    """For the top of the list: (level, state) → (cases, of which nobody acknowledged yet), over
    everything in the person's scope."""
    scope = _in_scope(person)
    if scope is None:
        return {}
    rows = db.session.execute(
        select(
            Case.escalation_level,
            Case.state,
            func.count(),
            func.count().filter(Case.acknowledged_at.is_(None)),
        )
        .join(Compound, Compound.id == Case.compound_id)
        .where(scope)
        .group_by(Case.escalation_level, Case.state)
    ).all()
    return {(level, State(state)): (n, unacknowledged) for level, state, n, unacknowledged in rows}


def escalated_count(person, filters: EscalatedFilters, moment) -> int:
    statement = _escalated(person, filters, moment)
    if statement is None:
        return 0
    return db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0


def _encode(at, case_id) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{case_id}".encode()).decode()


def _decode(cursor: str | None):
    """The (escalated_at, id) a page starts after; None for the first page, or for a cursor
    nobody could have been given (anybody can send one)."""
    if not cursor:
        return None
    try:
        at, case_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        moment = datetime.fromisoformat(at)
    except (ValueError, TypeError, UnicodeDecodeError):
        return None
    if moment.tzinfo is None or as_id(case_id) is None:
        return None
    return moment, int(case_id)


def escalated_page(
    person, filters: EscalatedFilters, after: str | None, moment, size: int = 50
) -> tuple[list[Case], str | None]:
    """One page of the escalated list, oldest escalation first, and the cursor of the next
    page (keyset: escalated_at then id, so a page reads only the rows it shows)."""
    statement = _escalated(person, filters, moment)
    if statement is None:
        return [], None
    start = _decode(after)
    if start is not None:
        statement = statement.where(tuple_(Case.escalated_at, Case.id) > start)
    cases = list(
        db.session.scalars(
            statement.order_by(Case.escalated_at, Case.id)
            .limit(size + 1)
            .options(
                selectinload(Case.compound),
                selectinload(Case.building),
                selectinload(Case.assignee),
                selectinload(Case.acknowledged_by),
            )
        )
    )
    if len(cases) <= size:
        return cases, None
    last = cases[size - 1]
    return cases[:size], _encode(last.escalated_at, last.id)


def compounds_in_scope(person) -> list[Compound]:
    """The compounds whose escalated cases the person sees, for the list's filter."""
    communities = {m.community_id for m in person.memberships if m.role is Role.COMMUNITY_OVERSEER}
    sub_districts = {
        m.sub_district_id for m in person.memberships if m.role is Role.SUBDISTRICT_OVERSEER
    }
    if not communities and not sub_districts:
        return []
    return list(
        db.session.scalars(
            select(Compound)
            .join(Community, Community.id == Compound.community_id)
            .where(
                or_(
                    Compound.community_id.in_(communities),
                    Community.sub_district_id.in_(sub_districts),
                )
            )
            .order_by(Compound.name, Compound.id)
        )
    )
