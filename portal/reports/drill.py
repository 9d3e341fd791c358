"""The cases behind a figure: the same definition as the count on the figures page, so that
the list is exactly as long as the number it was reached from."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import Person
from portal.cases.models import Case
from portal.cases.workflow import CLOCK_RUNS
from portal.clock import now
from portal.extensions import as_id, db
from portal.organisation.models import Building, Compound
from portal.reports.definitions import COUNT, OTHER, RATE, in_period
from portal.reports.models import CaseFact as F

PAGE = 50
# A figure's list: each count's own; a rate's is its denominator's (the cases it is over);
# overdue now's is the open cases past their deadline.
FIGURES = {*COUNT, *RATE, "overdue"}


def label(figure: str) -> str:
    if figure in COUNT:
        return COUNT[figure].label
    if figure in RATE:
        return RATE[figure].label
    return OTHER[figure].label


def _where(compound_ids, period, figure: str, category, lead=None):
    if figure == "overdue":
        where = [
            Case.compound_id.in_(compound_ids),
            Case.state.in_(CLOCK_RUNS),
            Case.due_at < now(),
        ]
    else:
        count = COUNT[RATE[figure].denominator] if figure in RATE else COUNT[figure]
        where = [*in_period(count.basis, compound_ids, period), count.where]
    if category is not None:
        where.append((Case.category if figure == "overdue" else F.category) == category)
    if lead is not None:
        where.append((Case.lead_party if figure == "overdue" else F.lead_party) == lead)
    return where


def _from(figure: str, *columns):
    chosen = select(*columns).select_from(Case)
    return chosen if figure == "overdue" else chosen.join(F, F.case_id == Case.id)


def cases(compound_ids, period, figure: str, category=None, after: str | None = None, lead=None):
    """(how many, a page of them newest first, the cursor of the next page or None)."""
    where = _where(compound_ids, period, figure, category, lead)
    count = db.session.scalar(_from(figure, func.count()).where(*where)) or 0
    cursor = as_id(after)
    if cursor is not None:
        where.append(Case.id < cursor)
    page = list(
        db.session.scalars(
            _from(figure, Case)
            .where(*where)
            .options(
                selectinload(Case.compound),
                selectinload(Case.building),
                selectinload(Case.assignee),
            )
            .order_by(Case.id.desc())
            .limit(PAGE + 1)
        )
    )
    more = len(page) > PAGE
    page = page[:PAGE]
    return count, page, str(page[-1].id) if more else None


def export_rows(compound_ids, period, figure: str, category=None, lead=None, batch=1000):
    """All the cases behind the figure, oldest first, as plain rows read a batch at a time
    (keyset pages of `batch`, each its own look-up, so that a commit elsewhere in the request
    cannot close a cursor under the export): what an export writes, at any length, in flat
    memory. No reporter's name or phone."""
    where = _where(compound_ids, period, figure, category, lead)
    chosen = (
        select(
            Case.id,
            Case.number,
            Compound.name.label("compound"),
            Building.name.label("building"),
            Case.category,
            Case.state,
            Case.created_at,
            F.triaged_at,
            F.resolved_at,
            F.closed_at,
            F.visited,
            F.solved,
            F.satisfaction,
            F.responded_on_time,
            F.resolved_on_time,
            F.reopened,
            Person.name.label("assignee"),
        )
        .select_from(Case)
        .join(F, F.case_id == Case.id, isouter=figure == "overdue")
        .join(Compound, Compound.id == Case.compound_id)
        .join(Building, Building.id == Case.building_id)
        .join(Person, Person.id == Case.assignee_id, isouter=True)
        .where(*where)
        .order_by(Case.id)
        .limit(batch)
    )
    after = 0
    while True:
        rows = db.session.execute(chosen.where(Case.id > after)).all()
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id
