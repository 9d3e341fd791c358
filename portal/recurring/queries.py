"""Look-ups of recurring problems for the desks, the topic lists and the monthly report."""

from sqlalchemy import case as when
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from portal.cases.models import Case
from portal.extensions import db
from portal.recurring.models import OPEN_TOPIC_STATES, Topic, TopicState, topic_case

# A topic's place, loaded with it in one statement (each is one row).
PLACE = (joinedload(Topic.compound), joinedload(Topic.building), joinedload(Topic.community))
# How many of a topic's newest case numbers a list shows.
NEWEST = 5


def counted(topics) -> list[Topic]:
    """The topics, each with its count of cases and its newest case numbers: two statements
    for the whole list (a compound's topic can hold a hundred cases)."""
    topics = list(topics)
    ids = [t.id for t in topics]
    if not ids:
        return topics
    counts: dict[int, int] = dict(
        db.session.execute(
            select(topic_case.c.topic_id, func.count())
            .where(topic_case.c.topic_id.in_(ids))
            .group_by(topic_case.c.topic_id)
        ).all()
    )
    rank = (
        func.row_number()
        .over(partition_by=topic_case.c.topic_id, order_by=(Case.created_at.desc(), Case.id.desc()))
        .label("rank")
    )
    ranked = (
        select(topic_case.c.topic_id, Case.number, rank)
        .join(Case, Case.id == topic_case.c.case_id)
        .where(topic_case.c.topic_id.in_(ids))
        .subquery()
    )
    newest: dict[int, list[str]] = {}
    for topic_id, number in db.session.execute(
        select(ranked.c.topic_id, ranked.c.number)
        .where(ranked.c.rank <= NEWEST)
        .order_by(ranked.c.topic_id, ranked.c.rank)
    ):
        newest.setdefault(topic_id, []).append(number)
    for t in topics:
        t.case_count = counts.get(t.id, 0)
        t.newest_numbers = tuple(newest.get(t.id, ()))
    return topics


def _of(compound_ids=None, community_ids=None):
    """A compound's topics, or a community's: its own and its compounds'."""
    query = select(Topic)
    if compound_ids is not None:
        query = query.where(Topic.compound_id.in_(list(compound_ids)))
    if community_ids is not None:
        query = query.where(Topic.community_id.in_(list(community_ids)))
    return query


def open_count(compound_ids=None, community_ids=None) -> int:
    query = _of(compound_ids, community_ids).where(Topic.state.in_(OPEN_TOPIC_STATES))
    return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0


def listing(compound_ids=None, community_ids=None, *, open_only=False, limit=200) -> list[Topic]:
    """Open topics first (those sent to the community, then on an agenda, then the newest
    raised), then the closed ones, most recently closed first."""
    query = _of(compound_ids, community_ids)
    if open_only:
        query = query.where(Topic.state.in_(OPEN_TOPIC_STATES))
    order = when(
        (Topic.state == TopicState.SENT, 0),
        (Topic.state == TopicState.ON_AGENDA, 1),
        (Topic.state == TopicState.RAISED, 2),
        else_=3,
    )
    return counted(
        db.session.scalars(
            query.order_by(order, Topic.closed_at.desc(), Topic.raised_at.desc(), Topic.id.desc())
            .limit(limit)
            .options(*PLACE)
        )
    )


def raised_in(period, compound_ids=None, community_ids=None) -> list[Topic]:
    """The topics of a unit raised in a period, or raised before it and still open at its end
    (the monthly report's recurring problems)."""
    query = (
        _of(compound_ids, community_ids)
        .where(
            Topic.raised_at < period.end,
            or_(
                Topic.raised_at >= period.start,
                Topic.closed_at.is_(None),
                Topic.closed_at >= period.start,
            ),
        )
        .order_by(Topic.raised_at, Topic.id)
        .options(*PLACE)
    )
    return counted(db.session.scalars(query))


def topic(topic_id: int) -> Topic | None:
    """A topic with every case of it (its page lists them)."""
    found = db.session.scalar(
        select(Topic)
        .where(Topic.id == topic_id)
        .options(
            selectinload(Topic.cases).selectinload(Case.building),
            selectinload(Topic.compound),
            selectinload(Topic.community),
            selectinload(Topic.building),
            selectinload(Topic.consultation),
            selectinload(Topic.closed_by),
        )
    )
    if found is not None:
        found.case_count = len(found.cases)
        found.newest_numbers = tuple(c.number for c in found.cases[:NEWEST])
    return found


def on_agenda_of(consultation_id: int) -> list[Topic]:
    return counted(
        db.session.scalars(
            select(Topic)
            .where(Topic.consultation_id == consultation_id)
            .order_by(Topic.id)
            .options(*PLACE)
        )
    )
