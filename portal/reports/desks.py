"""What waits for each person, counted for their desk (DESIGN.md section 6; issue 8's desks):
each count is the length of a list the person can open, counted with the very look-up that
list pages through, so the two always agree."""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from portal.accounts.roles import Role
from portal.cases import queries as cases
from portal.cases.workflow import INITIAL, Action, states_allowing
from portal.consultation import queries as consultations
from portal.consultation.models import Consultation, ConsultationState
from portal.extensions import db
from portal.feedback import queries as feedback
from portal.organisation.models import PartyKind
from portal.recurring import queries as topics
from portal.reports import formats, periods
from portal.reports import queries as figures
from portal.reports.definitions import RATE, THREE_RATES, total


@dataclass(frozen=True)
class Waiting:
    """A count on a desk, and the address of its list: (endpoint, arguments)."""

    label: str
    count: int
    endpoint: str
    args: dict = field(default_factory=dict)


Q = cases.QueueFilters
# The state a case waits for the resident's verdict in (resolved): what a return visit is for.
(AWAITING_FEEDBACK,) = states_allowing(Action.CLOSE_SOLVED)


def _queue(compound, label, moment, **filters) -> Waiting:
    listing = cases.in_queue(compound, Q(**filters), moment)
    args = {k: ("1" if v is True else v) for k, v in filters.items()}
    return Waiting(label, cases.count(listing), "cases.queue", {"code": compound.code, **args})


def secretary(compound, moment) -> list[Waiting]:
    """What waits in the compound for its secretary (the residents waiting for verification
    are counted on the compound's card)."""
    open_consultations = db.session.scalar(
        select(func.count())
        .select_from(Consultation)
        .where(
            Consultation.compound_id == compound.id,
            Consultation.state == ConsultationState.OPEN,
        )
    )
    return [
        _queue(compound, _l("New, awaiting triage"), moment, state=INITIAL.value),
        _queue(compound, _l("Overdue"), moment, overdue=True),
        _queue(compound, _l("Due today"), moment, due_today=True),
        _queue(compound, _l("Resolved, awaiting feedback"), moment, state=AWAITING_FEEDBACK.value),
        Waiting(
            _l("Consultations still open"),
            open_consultations or 0,
            "consultation.index",
            {"code": compound.code, "state": "open"},
        ),
        Waiting(
            _l("Recurring problems to take on"),
            topics.open_count([compound.id]),
            "recurring.compound_topics",
            {"code": compound.code, "state": "open"},
        ),
    ]


# How many open recurring problems a desk lists (its count links to all of them).
DESK_TOPICS = 5


def open_topics(person, role: Role, compounds) -> list:
    """The open recurring problems a secretary's or a community overseer's desk shows, those
    sent to the community and on an agenda first (recurring.queries.listing)."""
    if role is Role.SECRETARY:
        return topics.listing([c.id for c in compounds], open_only=True, limit=DESK_TOPICS)
    if role is Role.COMMUNITY_OVERSEER:
        communities = [m.community_id for m in person.memberships if m.role is role]
        return topics.listing(community_ids=communities, open_only=True, limit=DESK_TOPICS)
    return []


def property_manager(compound, moment) -> list[Waiting]:
    lead = PartyKind.PROPERTY.value
    return [
        _queue(compound, _l("Open, led by the property company"), moment, lead=lead),
        _queue(compound, _l("Of those, nobody assigned"), moment, lead=lead, assignee="none"),
        _queue(compound, _l("Of those, overdue"), moment, lead=lead, overdue=True),
        _queue(compound, _l("Of those, due today"), moment, lead=lead, due_today=True),
    ]


def grid_worker(compound, moment) -> list[Waiting]:
    return [
        _queue(
            compound, _l("Return visits to make (resolved)"), moment, state=AWAITING_FEEDBACK.value
        )
    ]


def representative(person) -> list[Waiting]:
    """The agenda items waiting for the representative's opinion or signature."""
    return [
        Waiting(
            _l("Agenda items waiting for my opinion or signature"),
            len(consultations.waiting_on(person)),
            "consultation.waiting",
        )
    ]


def staff(person, moment) -> list[Waiting]:
    """The person's own open cases, the overdue ones first."""
    return [
        Waiting(
            _l("My cases overdue"),
            cases.count(cases.assigned_to(person, overdue_at=moment)),
            "cases.mine",
            {"overdue": "1"},
        ),
        Waiting(_l("My open cases"), cases.count(cases.assigned_to(person)), "cases.mine", {}),
    ]


@dataclass(frozen=True)
class Oversight:
    escalated: Waiting
    # (compound, overdue now), the most overdue first; compounds with none left out.
    overdue: list
    # This month's three rates over the whole scope, as they read: [(label, text)].
    rates: list
    period: periods.Period
    # A community overseer's recurring problems open in each community: [Waiting].
    topics: list


def overseer(person, compounds, moment) -> Oversight:
    """What waits for an overseer; a community overseer's desk also counts the recurring
    problems open in each of their communities."""
    overseen = {m.community_id for m in person.memberships if m.role is Role.COMMUNITY_OVERSEER}
    escalated = Waiting(
        _l("Escalated to you, still open"),
        feedback.escalated_count(person, feedback.EscalatedFilters(), moment),
        "feedback.escalated",
    )
    ids = figures.compound_ids_overseen(person)
    overdue = figures.overdue_by_compound(ids, moment)
    ranked = sorted(
        ((c, overdue[c.id]) for c in compounds if overdue.get(c.id)), key=lambda r: -r[1]
    )
    month = periods.this_month()
    whole = total(figures.monthly(ids, [month]))
    rates = [(RATE[key].label, formats.rate_or_counts(whole, key)) for key in THREE_RATES]
    communities = sorted(
        {c.community for c in compounds if c.community_id in overseen}, key=lambda c: c.name
    )
    open_topics = [
        Waiting(
            community.name,
            topics.open_count(community_ids=[community.id]),
            "recurring.community_topics",
            {"code": community.code, "state": "open"},
        )
        for community in communities
    ]
    return Oversight(escalated, ranked, rates, month, open_topics)
