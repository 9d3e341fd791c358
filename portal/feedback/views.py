"""The overseers' queue of escalated cases, in the community or sub-district they oversee."""

from flask import Blueprint, render_template
from flask_login import current_user

from portal.accounts.roles import Role
from portal.feedback.queries import escalated_for
from portal.permissions import guard, holds_role

bp = Blueprint("feedback", __name__)


@bp.route("/oversight/escalated")
@guard(holds_role(Role.COMMUNITY_OVERSEER, Role.SUBDISTRICT_OVERSEER))
def escalated():
    return render_template("feedback/escalated.html", cases=escalated_for(current_user))
