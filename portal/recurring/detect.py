"""Finding recurring problems: the same category of case in one building or one compound in
several of the last months, or in several compounds of one community in one month. A nightly
command (`flask portal recurring`) runs this; it raises a topic for a cluster it finds for the
first time, the strongest first and a few per compound, and adds the newer cases to a topic
still open. The thresholds are settings (docs/recurring.md)."""

from collections import Counter, defaultdict
from datetime import datetime
from typing import NamedTuple

from flask import current_app
from sqlalchemy import case as when
from sqlalchemy import exists, select

from portal.cases.categories import Category
from portal.cases.models import Case
from portal.cases.workflow import STANDS
from portal.clock import local_date, now
from portal.extensions import db
from portal.organisation.models import Compound
from portal.recurring.models import OPEN_TOPIC_STATES, Reach, Topic, TopicState, topic_case
from portal.reports import periods


class Place(NamedTuple):
    """Where a cluster is: its reach, category and place, and for a community's cluster the
    month it is in (each month's spread is a topic of its own). A tuple: a city's window holds
    a few hundred thousand cases, each at three places."""

    reach: Reach
    category: Category
    community_id: int
    compound_id: int | None = None
    building_id: int | None = None
    month: str | None = None


def _places(rows, months: list[str]) -> dict[Place, list[tuple[int, int]]]:
    """The (case id, month index) of the cases at each place: each case is at its building,
    its compound and, for its month, its community."""
    at: dict[Place, list[tuple[int, int]]] = defaultdict(list)
    for case_id, compound_id, community_id, building_id, category, index in rows:
        here = (case_id, index)
        at[Place(Reach.BUILDING, category, community_id, compound_id, building_id)].append(here)
        at[Place(Reach.COMPOUND, category, community_id, compound_id)].append(here)
        at[Place(Reach.COMMUNITY, category, community_id, month=months[index])].append(here)
    return at


def _place_of(topic: Topic) -> Place:
    return Place(
        topic.reach,
        topic.category,
        topic.community_id,
        topic.compound_id,
        topic.building_id,
        topic.months if topic.reach is Reach.COMMUNITY else None,
    )


def window(moment: datetime | None = None) -> list[periods.Period]:
    """The months looked at, oldest first, this one last."""
    today = local_date(moment)
    count = current_app.config["RECURRING_WINDOW_MONTHS"]
    return periods.last_months(periods.month(today.year, today.month), count)


def _cases(months: list[periods.Period], moment: datetime):
    """(id, compound, community, building, category, month index) of each case filed in the
    window that stands for a problem of its own and is not on a topic already closed: once a
    topic is closed, only new cases raise it again."""
    index = when(
        *[(Case.created_at >= m.start, i) for i, m in reversed(list(enumerate(months)))],
        else_=0,
    )
    settled = exists().where(
        topic_case.c.case_id == Case.id,
        topic_case.c.topic_id == Topic.id,
        Topic.state == TopicState.CLOSED,
    )
    return db.session.execute(
        select(
            Case.id,
            Case.compound_id,
            Compound.community_id,
            Case.building_id,
            Case.category,
            index,
        )
        .join(Compound, Compound.id == Case.compound_id)
        .where(
            Case.created_at >= months[0].start,
            Case.created_at < moment,
            Case.state.in_(sorted(STANDS)),
            ~settled,
        )
    ).all()


def months_hit(cases: list[tuple[int, int]], least: int) -> int:
    """In how many months of the window the place had at least `least` of these cases."""
    per_month = Counter(index for _id, index in cases)
    return sum(1 for n in per_month.values() if n >= least)


def clusters(at: dict[Place, list[tuple[int, int]]], months: list[str]) -> set[Place]:
    """The places whose cases make a cluster by the settings' thresholds."""
    config = current_app.config
    least_months, a_month = config["RECURRING_MONTHS"], config["RECURRING_CASES_A_MONTH"]
    least_compounds, least_each = config["RECURRING_COMPOUNDS"], config["RECURRING_CASES_EACH"]
    found = {
        p
        for p, cases in at.items()
        if p.reach is Reach.BUILDING and months_hit(cases, a_month) >= least_months
    }
    # A compound's cluster that one building explains is that building's.
    explained = {(p.compound_id, p.category) for p in found}
    found |= {
        p
        for p, cases in at.items()
        if p.reach is Reach.COMPOUND
        and (p.compound_id, p.category) not in explained
        and months_hit(cases, a_month) >= least_months
    }
    # Several compounds of a community in one month: this month or the last, so that a new
    # setting does not raise the spreads of months long past.
    compounds_hit: Counter[Place] = Counter()
    recent = {len(months) - 2, len(months) - 1}
    for place, cases in at.items():
        if place.reach is Reach.COMPOUND:
            per_month = Counter(index for _id, index in cases)
            for index, n in per_month.items():
                if index in recent and n >= least_each:
                    spread = Place(
                        Reach.COMMUNITY, place.category, place.community_id, month=months[index]
                    )
                    compounds_hit[spread] += 1
    found |= {p for p, n in compounds_hit.items() if n >= least_compounds}
    return found


def strength(place: Place, cases: list[tuple[int, int]]) -> tuple:
    """Which clusters are raised first: a building's before a compound's (the narrower place
    says more about what is wrong), then the one seen in more months, then with more cases."""
    narrow = {Reach.BUILDING: 0, Reach.COMPOUND: 1, Reach.COMMUNITY: 0}[place.reach]
    months = len({index for _id, index in cases})
    return (narrow, -months, -len(cases))


def _owner(place: Place) -> tuple[str, int]:
    """Who a topic is for: its compound's secretary, or its community's overseers."""
    if place.compound_id is None:
        return ("community", place.community_id)
    return ("compound", place.compound_id)


def detect(moment: datetime | None = None) -> dict[str, int]:
    """Raise the new clusters as topics and bring the open topics' cases up to date; returns
    how many topics were raised and how many cases were added to topics."""
    moment = moment or now()
    months = window(moment)
    codes = [m.code for m in months]
    at = _places(_cases(months, moment), codes)
    found = clusters(at, codes)
    open_topics = {
        _place_of(t): t
        for t in db.session.scalars(
            select(Topic).where(Topic.state.in_(OPEN_TOPIC_STATES)).order_by(Topic.id)
        )
    }
    # A compound's cluster stays with the building topic already open for it.
    explained = {(p.compound_id, p.category) for p in open_topics if p.reach is Reach.BUILDING}
    # A compound (and a community) has at most RECURRING_OPEN_TOPICS open at once, the
    # strongest first. The next is raised when one is closed.
    most = current_app.config["RECURRING_OPEN_TOPICS"]
    held = Counter(_owner(p) for p in open_topics)
    waiting = [
        p
        for p in found - set(open_topics)
        if not (p.reach is Reach.COMPOUND and (p.compound_id, p.category) in explained)
    ]
    waiting.sort(
        key=lambda p: (
            *strength(p, at[p]),
            p.category.value,
            p.compound_id or 0,
            p.building_id or 0,
            p.month or "",
        )
    )
    raised = added = 0
    for place in waiting:
        if held[_owner(place)] >= most:
            continue
        held[_owner(place)] += 1
        topic = Topic(
            reach=place.reach,
            category=place.category,
            community_id=place.community_id,
            compound_id=place.compound_id,
            building_id=place.building_id,
            months=place.month or "",
            raised_at=moment,
            updated_at=moment,
        )
        db.session.add(topic)
        open_topics[place] = topic
        raised += 1
    if not open_topics:
        db.session.commit()
        return {"topics_raised": 0, "topic_cases_added": 0}
    db.session.flush()
    linked = {
        (topic_id, case_id)
        for topic_id, case_id in db.session.execute(
            select(topic_case.c.topic_id, topic_case.c.case_id).where(
                topic_case.c.topic_id.in_([t.id for t in open_topics.values()])
            )
        )
    }
    new_links = []
    for place, topic in open_topics.items():
        mine = at.get(place, [])
        fresh = [case_id for case_id, _index in mine if (topic.id, case_id) not in linked]
        if not fresh:
            continue
        new_links += [{"topic_id": topic.id, "case_id": case_id} for case_id in fresh]
        topic.updated_at = moment
        if place.reach is not Reach.COMMUNITY:
            seen = set(topic.month_list) | {codes[index] for _id, index in mine}
            topic.months = ",".join(sorted(seen))
    if new_links:
        db.session.execute(topic_case.insert(), new_links)
        added = len(new_links)
    db.session.commit()
    return {"topics_raised": raised, "topic_cases_added": added}
