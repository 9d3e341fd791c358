"""What the API reads of cases: a few columns in a handful of statements per page, whatever
the number of cases, and only what a resident may see (public events, public photos)."""

import functools
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy import case as when

from portal.cases.categories import Category
from portal.cases.events import REPORTER_ROLES
from portal.cases.models import Case, CaseEvent, Photo
from portal.cases.workflow import State
from portal.extensions import db
from portal.open311 import keys
from portal.organisation.models import Building, Compound, Party, PartyKind


@dataclass
class Filters:
    numbers: list[str] = field(default_factory=list)
    compound_id: int | None = None
    categories: list[Category] = field(default_factory=list)
    states: frozenset[State] | None = None
    start: datetime | None = None
    end: datetime | None = None
    offset: int = 0
    limit: int = 1000


@dataclass
class Row:
    id: int
    number: str
    state: State
    category: Category
    description: str
    created_at: datetime
    updated_at: datetime
    due_at: datetime | None
    contact_name: str  # read only to keep it out of what is shown
    contact_phone: str
    compound_code: str
    compound_name: str
    latitude: float | None
    longitude: float | None
    building_name: str
    compound_id: int
    lead_party: PartyKind | None
    merged_into_id: int | None
    # Set when the branch hid the description from the public: what the API says instead.
    description_hidden_reason: str | None
    agency: str | None = None
    merged_into: str | None = None
    note: str | None = None
    noted_at: datetime | None = None
    photo_id: int | None = None


@functools.cache
def _select():
    """Built once per process: composing the statement costs more than running it."""
    return (
        select(
            Case.id,
            Case.number,
            Case.state,
            Case.category,
            Case.description,
            Case.created_at,
            Case.updated_at,
            Case.due_at,
            Case.contact_name,
            Case.contact_phone,
            Compound.code,
            Compound.name,
            Compound.latitude,
            Compound.longitude,
            Building.name,
            Case.compound_id,
            Case.lead_party,
            Case.merged_into_id,
            Case.description_hidden_reason,
        )
        .join(Compound, Compound.id == Case.compound_id)
        .join(Building, Building.id == Case.building_id)
    )


def requests(key: keys.Caller, filters: Filters) -> list[Row]:
    """The cases in the key's scope that match, newest first.

    The page's ids are chosen first, from the index on (compound, filing time, id) alone, and
    only those cases are read and joined: a sub-district's 90 days hold ten thousand cases."""
    query = select(Case.id).where(Case.compound_id.in_(keys.compound_ids(key)))
    if filters.numbers:
        query = query.where(Case.number.in_(filters.numbers))
    else:
        if filters.compound_id is not None:
            query = query.where(Case.compound_id == filters.compound_id)
        if filters.categories:
            query = query.where(Case.category.in_(filters.categories))
        if filters.states is not None:
            query = query.where(Case.state.in_(filters.states))
        if filters.start is not None:
            query = query.where(Case.created_at >= filters.start)
        if filters.end is not None:
            query = query.where(Case.created_at <= filters.end)
    newest_first = (Case.created_at.desc(), Case.id.desc())
    page = query.order_by(*newest_first).offset(filters.offset).limit(filters.limit)
    chosen = _select().where(Case.id.in_(page.scalar_subquery())).order_by(*newest_first)
    rows = [Row(*values) for values in db.session.execute(chosen)]
    _add_parties_and_targets(rows)
    _add_public_record(rows)
    return rows


def _add_parties_and_targets(rows: list[Row]) -> None:
    """The lead party's name, and the number of the case a merged case went into: looked up
    for the page's rows by key, which costs less than joining them into the page's query."""
    compounds = {row.compound_id for row in rows if row.lead_party is not None}
    if compounds:
        names: dict[tuple[int, PartyKind | None], str] = {
            (compound_id, kind): name
            for compound_id, kind, name in db.session.execute(
                select(Party.compound_id, Party.kind, Party.name).where(
                    Party.compound_id.in_(compounds)
                )
            )
        }
        for row in rows:
            row.agency = names.get((row.compound_id, row.lead_party))
    targets = {row.merged_into_id for row in rows if row.merged_into_id is not None}
    if targets:
        found = db.session.execute(select(Case.id, Case.number).where(Case.id.in_(targets)))
        numbers = {case_id: number for case_id, number in found}  # noqa: C416  (Rows)
        for row in rows:
            if row.merged_into_id is not None:
                row.merged_into = numbers.get(row.merged_into_id)


def _add_public_record(rows: list[Row]) -> None:
    """The latest public word from the people working on each case, when the case last changed
    in public, and its first public photo: three statements for the whole page."""
    if not rows:
        return
    by_id = {row.id: row for row in rows}
    # Events the resident wrote themself are never a status note (they may carry their own
    # details).
    # nor one the branch hid from the public.
    staff_word = and_(
        CaseEvent.body.is_not(None),
        CaseEvent.actor_role.not_in(REPORTER_ROLES),
        CaseEvent.hidden_at.is_(None),
    )
    latest = db.session.execute(
        select(
            CaseEvent.case_id,
            func.max(CaseEvent.at),
            func.max(when((staff_word, CaseEvent.id))),
        )
        .where(CaseEvent.case_id.in_(by_id), CaseEvent.public.is_(True))
        .group_by(CaseEvent.case_id)
    ).all()
    note_ids = {}
    for case_id, at, note_id in latest:
        by_id[case_id].noted_at = at
        if note_id is not None:
            note_ids[note_id] = case_id
    if note_ids:
        for event_id, body in db.session.execute(
            select(CaseEvent.id, CaseEvent.body).where(CaseEvent.id.in_(note_ids))
        ):
            by_id[note_ids[event_id]].note = body
    photos = db.session.execute(
        select(Photo.case_id, func.min(Photo.id))
        .outerjoin(CaseEvent, CaseEvent.id == Photo.event_id)
        .where(
            Photo.case_id.in_(by_id),
            Photo.hidden_at.is_(None),
            or_(Photo.event_id.is_(None), CaseEvent.public.is_(True)),
        )
        .group_by(Photo.case_id)
    )
    for case_id, photo_id in photos:
        by_id[case_id].photo_id = photo_id


def public_photo(photo_id: int) -> tuple[Photo, Case] | None:
    """A photo the API may show: on a public event (or on none), not hidden by the branch,
    with its case."""
    found = db.session.execute(
        select(Photo, Case)
        .join(Case, Case.id == Photo.case_id)
        .outerjoin(CaseEvent, CaseEvent.id == Photo.event_id)
        .where(
            Photo.id == photo_id,
            Photo.hidden_at.is_(None),
            or_(Photo.event_id.is_(None), CaseEvent.public.is_(True)),
        )
    ).first()
    return (found[0], found[1]) if found else None
