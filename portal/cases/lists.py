"""Lists of cases: the compound's queue (triage first), "my cases" for staff and residents.
Keyset pagination; related rows loaded up front, so the number of queries never grows."""

import base64
from datetime import UTC, datetime

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import and_, func, literal, select, tuple_
from sqlalchemy import case as when
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from portal import permissions
from portal.accounts.models import Person
from portal.cases import access, service
from portal.cases.categories import NAMES, PARTY_NAMES, Category, rule_for
from portal.cases.forms import PRIORITY_NAMES, STATE_NAMES, QueueFilter, category_choices
from portal.cases.models import Case, CaseEvent
from portal.cases.views import bp
from portal.cases.workflow import OPEN_STATES, State
from portal.clock import UTCDateTime, now
from portal.extensions import db
from portal.organisation import queries as org
from portal.permissions import guard, signed_in

PAGE = 25
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


# Open cases whose clock runs: one in consultation waits on the meeting.
RUNNING = [s.value for s in OPEN_STATES if s is not State.CONSULTING]


def _bucket(moment):
    """0: new or overdue, 1: other open cases, 2: resolved, 3: finished."""
    open_states = [s.value for s in OPEN_STATES]
    return when(
        (and_(Case.state.in_(RUNNING), Case.due_at < literal(moment, UTCDateTime())), 0),
        (Case.state == State.FILED.value, 0),
        (Case.state.in_(open_states), 1),
        (Case.state == State.RESOLVED.value, 2),
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


def _page(statement, after, moment):
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


def _filter_form(compound, people):
    form = QueueFilter(request.args)
    form.state.choices = [SelectChoice("open", _("Open")), SelectChoice("all", _("All"))] + [
        SelectChoice(s.value, str(n)) for s, n in STATE_NAMES.items()
    ]
    form.category.choices = category_choices(blank=_("All"))
    form.building.choices = [SelectChoice("", _("All"))] + [
        SelectChoice(str(b.id), b.name) for b in compound.buildings
    ]
    form.assignee.choices = [
        SelectChoice("", _("Anyone")),
        SelectChoice("none", _("Nobody yet")),
    ] + [SelectChoice(str(p.id), p.name) for p in people]
    return form


def _filtered(compound, form, moment):
    statement = select(Case).where(Case.compound_id == compound.id)
    state = form.state.data or "open"
    if state == "open":
        statement = statement.where(Case.state.in_([s.value for s in OPEN_STATES]))
    elif state in {s.value for s in State}:
        statement = statement.where(Case.state == state)
    if form.category.data in {c.value for c in Category}:
        statement = statement.where(Case.category == form.category.data)
    if form.building.data and form.building.data.isdigit():
        statement = statement.where(Case.building_id == int(form.building.data))
    if form.assignee.data == "none":
        statement = statement.where(Case.assignee_id.is_(None))
    elif form.assignee.data and form.assignee.data.isdigit():
        statement = statement.where(Case.assignee_id == int(form.assignee.data))
    if form.urgent.data:
        statement = statement.where(Case.urgent.is_(True))
    if form.overdue.data:
        statement = statement.where(
            Case.due_at < literal(moment, UTCDateTime()), Case.state.in_(RUNNING)
        )
    return statement


@bp.route("/c/<code>/cases")
@guard(signed_in)
def queue(code):
    compound = org.compound_by_code(code)
    if compound is None or not permissions.can(current_user, "see_compound", compound):
        abort(404)
    moment = now()
    people = service.assignable_people(compound)
    form = _filter_form(compound, people)
    statement = _filtered(compound, form, moment)
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    cases, following = _page(statement, form.after.data, moment)
    args = {k: v for k, v in request.args.items() if k != "after" and v}
    next_url = url_for("cases.queue", code=code, after=following, **args) if following else None
    context = dict(
        compound=compound,
        form=form,
        cases=cases,
        total=total,
        next_url=next_url,
        **_row_globals(compound, people),
    )
    template = (
        "cases/_queue.html" if request.headers.get("HX-Target") == "queue" else "cases/queue.html"
    )
    return render_template(template, **context)


def _row_globals(compound, people):
    secretary = any(
        m.role.value == "secretary" and m.compound_id == compound.id
        for m in current_user.memberships
    )
    rules = service.community_rules(compound.community_id)
    return {
        "secretary": secretary,
        "category_names": NAMES,
        "party_names": PARTY_NAMES,
        "state_names": STATE_NAMES,
        "priority_names": PRIORITY_NAMES,
        "people": people,
        "propose": lambda category: rule_for(category, rules),
        "party_of": lambda person: access.party_of(person, compound.id),
        "back": request.full_path.rstrip("?") if request.method == "GET" else "",
    }


def render_row(case, message=None, error=None, status=200):
    """One queue row after an inline action (htmx)."""
    people = service.assignable_people(case.compound)
    context = dict(c=case, message=message, error=error, **_row_globals(case.compound, people))
    context["back"] = request.form.get("next", "")
    return render_template("cases/_queue_row.html", **context), status


@bp.route("/cases/mine")
@guard(signed_in)
def mine():
    moment = now()
    statement = select(Case).where(Case.assignee_id == current_user.id)
    show = request.args.get("show", "open")
    if show != "all":
        statement = statement.where(Case.state.in_([s.value for s in OPEN_STATES]))
    cases, following = _page(statement, request.args.get("after"), moment)
    next_url = url_for("cases.mine", after=following, show=show) if following else None
    from portal.consultation.views import open_actions_for

    return render_template(
        "cases/mine.html",
        cases=cases,
        next_url=next_url,
        show=show,
        state_names=STATE_NAMES,
        category_names=NAMES,
        open_actions=open_actions_for(current_user),
    )


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
