"""Look-ups of the closing loop: what was said of a case, and the cases escalated to an
overseer."""

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.accounts.roles import Role
from portal.cases.models import Case
from portal.cases.workflow import OPEN_STATES
from portal.extensions import db
from portal.feedback.models import Feedback
from portal.organisation.models import Community, Compound


def feedback_on(case) -> list[Feedback]:
    """Everything said of the case at closure, oldest first."""
    return list(
        db.session.scalars(
            select(Feedback).where(Feedback.case_id == case.id).order_by(Feedback.id)
        )
    )


def escalated_for(person, limit=200) -> list[Case]:
    """Open escalated cases below the person: level 1+ in communities they oversee, level 2
    in their sub-districts. Never another community's cases."""
    communities = [m.community_id for m in person.memberships if m.role is Role.COMMUNITY_OVERSEER]
    sub_districts = [
        m.sub_district_id for m in person.memberships if m.role is Role.SUBDISTRICT_OVERSEER
    ]
    if not communities and not sub_districts:
        return []
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
    return list(
        db.session.scalars(
            select(Case)
            .join(Compound, Compound.id == Case.compound_id)
            .where(or_(*in_scope), Case.state.in_([s.value for s in OPEN_STATES]))
            .order_by(Case.escalation_level.desc(), Case.escalated_at, Case.id)
            .limit(limit)
            .options(
                selectinload(Case.compound),
                selectinload(Case.building),
                selectinload(Case.assignee),
            )
        )
    )
