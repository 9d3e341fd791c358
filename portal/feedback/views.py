"""The overseers' queue of escalated cases, in the community or sub-district they oversee."""

from flask import Blueprint, render_template
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from portal.accounts.roles import Role
from portal.cases.categories import NAMES
from portal.cases.forms import STATE_NAMES
from portal.cases.models import Case
from portal.cases.workflow import OPEN_STATES
from portal.extensions import db
from portal.organisation.models import Community, Compound
from portal.permissions import guard, holds_role

bp = Blueprint("feedback", __name__)


def escalated_for(person, limit=200):
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
    return db.session.scalars(
        select(Case)
        .join(Compound, Compound.id == Case.compound_id)
        .where(or_(*in_scope), Case.state.in_([s.value for s in OPEN_STATES]))
        .order_by(Case.escalation_level.desc(), Case.escalated_at, Case.id)
        .limit(limit)
        .options(
            selectinload(Case.compound), selectinload(Case.building), selectinload(Case.assignee)
        )
    ).all()


@bp.route("/oversight/escalated")
@guard(holds_role(Role.COMMUNITY_OVERSEER, Role.SUBDISTRICT_OVERSEER))
def escalated():
    return render_template(
        "feedback/escalated.html",
        cases=escalated_for(current_user),
        state_names=STATE_NAMES,
        category_names=NAMES,
    )
