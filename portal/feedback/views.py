"""The overseers' list of escalated cases, in the community or sub-district they oversee:
counts by level and state at the top, filters, oldest escalation first, page after page."""

from typing import Any

from flask import Blueprint, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from portal.accounts.roles import Role
from portal.cases.forms import category_choices
from portal.cases.workflow import OPEN_STATES, State
from portal.clock import now
from portal.feedback import queries
from portal.feedback.forms import EscalatedFilter
from portal.permissions import guard, holds_role
from portal.web import page_or_fragment

bp = Blueprint("feedback", __name__)

# What an address of the list may carry: its filters (and, for a later page, its cursor).
FILTERS = ("compound", "category", "level", "acknowledged", "overdue")


def _filter_form(compounds) -> EscalatedFilter:
    form = EscalatedFilter(request.args)
    form.compound.choices = [
        SelectChoice("", _("All")),
        *(SelectChoice(c.code, c.name) for c in compounds),
    ]
    form.category.choices = category_choices(blank=_("All"))
    form.level.choices = [
        SelectChoice("", _("Either")),
        SelectChoice("1", _("The community")),
        SelectChoice("2", _("The sub-district")),
    ]
    form.acknowledged.choices = [
        SelectChoice("", _("Either")),
        SelectChoice("no", _("Not yet: nobody has taken charge")),
        SelectChoice("yes", _("Yes: someone took charge")),
    ]
    return form


OPEN_IN_ORDER = [s for s in State if s in OPEN_STATES]


def _counts_table(counts):
    """One row per level: its name, its cases in each open state, and how many of them nobody
    has acknowledged yet."""
    return [
        (
            name,
            [counts.get((level, s), (0, 0))[0] for s in OPEN_IN_ORDER],
            sum(counts.get((level, s), (0, 0))[1] for s in OPEN_IN_ORDER),
        )
        for level, name in ((1, _("The community")), (2, _("The sub-district")))
    ]


@bp.route("/oversight/escalated")
@guard(holds_role(Role.COMMUNITY_OVERSEER, Role.SUBDISTRICT_OVERSEER))
def escalated():
    moment = now()
    form = _filter_form(queries.compounds_in_scope(current_user))
    filters = queries.EscalatedFilters(
        compound=form.compound.data or "",
        category=form.category.data or "",
        level=form.level.data or "",
        acknowledged=form.acknowledged.data or "",
        overdue=bool(form.overdue.data),
    )
    cases, following = queries.escalated_page(current_user, filters, form.after.data, moment)
    args: dict[str, Any] = {name: request.args[name] for name in FILTERS if request.args.get(name)}
    return page_or_fragment(
        "feedback/escalated.html",
        "feedback/_escalated.html",
        target="escalated",
        form=form,
        cases=cases,
        total=queries.escalated_count(current_user, filters, moment),
        counts=_counts_table(queries.escalated_counts(current_user)),
        open_states=OPEN_IN_ORDER,
        next_url=url_for("feedback.escalated", after=following, **args) if following else None,
    )
