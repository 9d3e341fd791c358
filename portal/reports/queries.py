"""The figures of a set of compounds over a period, read from the cases' facts by compound or
by category, and the units a person may see the figures of."""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import Select, case, func, or_, select, text

from portal.accounts.roles import Role
from portal.cases.models import Case
from portal.cases.workflow import CLOCK_RUNS
from portal.clock import LOCAL_ZONE, now
from portal.consultation.models import (
    ActionItem,
    AgendaItem,
    Consultation,
    ConsultationState,
    Resolution,
)
from portal.extensions import db
from portal.organisation.models import Community, Compound, PartyKind, PropertyCompany, SubDistrict
from portal.reports.definitions import (
    COUNTS,
    DURATIONS,
    RATE,
    THREE_RATES,
    Basis,
    Figures,
    in_period,
)
from portal.reports.models import CaseFact as F
from portal.reports.periods import Period

BY = {"compound": (F.compound_id, Case.compound_id), "category": (F.category, Case.category)}


# The compounds a figure is counted over: their ids, or a sub-query that selects them (one
# parameter for the database, however many compounds a sub-district has).
Compounds = list[int] | Select


def _empty(compound_ids: Compounds) -> bool:
    return isinstance(compound_ids, list) and not compound_ids


def compound_ids_of(unit) -> Compounds:
    """The ids of the unit's compounds: a compound's own, or a sub-query for a community or a
    sub-district."""
    if isinstance(unit, Compound):
        return [unit.id]
    chosen = select(Compound.id)
    if isinstance(unit, Community):
        return chosen.where(Compound.community_id == unit.id)
    return chosen.join(Community, Community.id == Compound.community_id).where(
        Community.sub_district_id == unit.id
    )


def compound_ids_overseen(person) -> Compounds:
    """The ids of the compounds of the communities and sub-districts the person oversees, as a
    sub-query."""
    communities = _held(person, Role.COMMUNITY_OVERSEER, "community_id")
    sub_districts = _held(person, Role.SUBDISTRICT_OVERSEER, "sub_district_id")
    return (
        select(Compound.id)
        .join(Community, Community.id == Compound.community_id)
        .where(or_(Community.id.in_(communities), Community.sub_district_id.in_(sub_districts)))
    )


def figures(
    compound_ids: Compounds,
    period: Period,
    by: str = "compound",
    lead: PartyKind | None = None,
    overdue_now: bool = True,
) -> dict:
    """{compound id or category: Figures} for the compounds over the period; with `lead`, of
    the cases that party leads only (and no consultations' counts). The consultations' counts
    are by compound only: by category they are left out. "Overdue now" is today's, whatever the
    period: `overdue_now=False` leaves it out (for the period a page compares with)."""
    fact_group, case_group = BY[by]
    found: dict = defaultdict(Figures)
    if _empty(compound_ids):
        return found
    led = [F.lead_party == lead] if lead is not None else []
    for basis in Basis:
        counts = [c for c in COUNTS if c.basis is basis]
        columns = [func.sum(case((c.where, 1), else_=0)).label(c.key) for c in counts]
        rows = db.session.execute(
            select(fact_group, *columns)
            .where(*in_period(basis, compound_ids, period), *led)
            .group_by(fact_group)
        )
        for row in rows:
            found[row[0]].counts.update({c.key: int(row._mapping[c.key] or 0) for c in counts})
    for duration in DURATIONS:
        rows = db.session.execute(
            select(fact_group, duration.column).where(
                *in_period(duration.basis, compound_ids, period),
                duration.column.is_not(None),
                *led,
            )
        )
        for group, seconds in rows:
            found[group].times.setdefault(duration.key, []).append(seconds)
    overdue: Iterable = ()
    if overdue_now and by == "compound":
        overdue = overdue_by_compound(compound_ids, now(), lead).items()
    elif overdue_now:
        overdue = db.session.execute(
            select(case_group, func.count())
            .where(
                Case.compound_id.in_(compound_ids),
                Case.state.in_(CLOCK_RUNS),
                Case.due_at < now(),
                *([Case.lead_party == lead] if lead is not None else []),
            )
            .group_by(case_group)
        )
    for group, count in overdue:
        found[group].other["overdue"] = count
    if by == "compound" and lead is None:
        for key, count in _consultation_counts(compound_ids, period):
            found[key[0]].other[key[1]] = count
    return found


def overdue_by_compound(compound_ids: Compounds, moment, lead=None) -> dict[int, int]:
    """{compound id: its open cases past their deadline while their clock runs} (none left
    out), counted compound by compound along the queue's index (compound, state, deadline): a
    few index entries each, however many cases the rest of the city has overdue."""
    per_compound = (
        select(func.count())
        .select_from(Case)
        .where(
            Case.compound_id == Compound.id,
            Case.state.in_(CLOCK_RUNS),
            Case.due_at < moment,
            *([Case.lead_party == lead] if lead is not None else []),
        )
        .correlate(Compound)
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Compound.id, per_compound).where(Compound.id.in_(compound_ids))
    )
    return {compound_id: count for compound_id, count in rows if count}


def monthly(compound_ids: Compounds, months: list[Period]) -> list[Figures]:
    """The counts of the three rates of the compounds in each of the consecutive months, in
    one look-up: each closed case goes to the month its closing falls in."""
    found = [Figures() for _month in months]
    if _empty(compound_ids) or not months:
        return found
    # The counts the three rates read, no more: the months are for the rates' chart.
    needed = {RATE[k].denominator for k in THREE_RATES} | {
        key for k in THREE_RATES for key, _weight in RATE[k].numerator
    }
    counts = [c for c in COUNTS if c.key in needed]
    bucket = case(*((F.closed_at < m.end, index) for index, m in enumerate(months))).label("bucket")
    rows = db.session.execute(
        select(bucket, *(func.sum(case((c.where, 1), else_=0)).label(c.key) for c in counts))
        .where(
            F.compound_id.in_(compound_ids),
            F.closed_at >= months[0].start,
            F.closed_at < months[-1].end,
        )
        .group_by(text("bucket"))
    )
    for row in rows:
        found[row.bucket].counts.update({c.key: int(row._mapping[c.key] or 0) for c in counts})
    return found


def filed_by_category(compound_ids: Compounds, period: Period) -> dict:
    """{category: cases filed in the period}, for the compounds."""
    if _empty(compound_ids):
        return {}
    rows = db.session.execute(
        select(F.category, func.count())
        .where(*in_period(Basis.FILED, compound_ids, period))
        .group_by(F.category)
    )
    return {row[0]: row[1] for row in rows}


def _consultation_counts(compound_ids, period: Period):
    held = db.session.execute(
        select(Consultation.compound_id, func.count())
        .where(
            Consultation.compound_id.in_(compound_ids),
            Consultation.state == ConsultationState.CONCLUDED,
            Consultation.concluded_at >= period.start,
            Consultation.concluded_at < period.end,
        )
        .group_by(Consultation.compound_id)
    )
    for compound_id, count in held:
        yield (compound_id, "consultations"), count
    effective = db.session.execute(
        select(Consultation.compound_id, func.count())
        .join(AgendaItem, AgendaItem.consultation_id == Consultation.id)
        .join(Resolution, Resolution.item_id == AgendaItem.id)
        .where(
            Consultation.compound_id.in_(compound_ids),
            Resolution.effective_at >= period.start,
            Resolution.effective_at < period.end,
        )
        .group_by(Consultation.compound_id)
    )
    for compound_id, count in effective:
        yield (compound_id, "resolutions"), count
    done = db.session.execute(
        select(Case.compound_id, ActionItem.done_at, ActionItem.due_on)
        .join(Case, Case.id == ActionItem.case_id)
        .where(
            Case.compound_id.in_(compound_ids),
            ActionItem.done_at >= period.start,
            ActionItem.done_at < period.end,
        )
    )
    tally: dict = defaultdict(int)
    for compound_id, done_at, due_on in done:
        assert done_at is not None  # the look-up asked for the items done
        tally[compound_id, "actions_done"] += 1
        # Done by the end of its due day, in Shanghai.
        tally[compound_id, "actions_on_time"] += done_at.astimezone(LOCAL_ZONE).date() <= due_on
    yield from tally.items()


# -- scope ---------------------------------------------------------------------------------


def _held(person, role: Role, column: str) -> set[int]:
    return {getattr(m, column) for m in person.memberships if m.role is role}


def may_see(person, unit) -> bool:
    """Whether the person sees the figures of the sub-district, community or compound: its
    overseers and those above them; a compound's secretary, their compound's."""
    sub_districts = _held(person, Role.SUBDISTRICT_OVERSEER, "sub_district_id")
    communities = _held(person, Role.COMMUNITY_OVERSEER, "community_id")
    if isinstance(unit, SubDistrict):
        return unit.id in sub_districts
    if isinstance(unit, Community):
        return unit.id in communities or unit.sub_district_id in sub_districts
    return (
        unit.id in _held(person, Role.SECRETARY, "compound_id")
        or unit.community_id in communities
        or unit.community.sub_district_id in sub_districts
    )


def own_units(person) -> list:
    """The highest units the person sees the figures of, for their way in."""
    return [
        *(m.sub_district for m in person.memberships if m.role is Role.SUBDISTRICT_OVERSEER),
        *(m.community for m in person.memberships if m.role is Role.COMMUNITY_OVERSEER),
        *(m.compound for m in person.memberships if m.role is Role.SECRETARY),
    ]


def compounds_under(unit) -> list[Compound]:
    """The compounds of a sub-district, a community, or the compound itself."""
    if isinstance(unit, Compound):
        return [unit]
    communities = unit.communities if isinstance(unit, SubDistrict) else [unit]
    return [c for community in communities for c in community.compounds]


def company_by_code(code: str) -> PropertyCompany | None:
    return db.session.scalar(select(PropertyCompany).where(PropertyCompany.code == code))


def ledger(compounds: list[Compound], period: Period) -> list[tuple]:
    """The property company ledger over the compounds: for each company serving some of them,
    its figures over the cases the property party leads there, and each compound's:
    [(company, Figures, [(compound, Figures)])]. Compounds no company is named for are left
    out."""
    served = [c for c in compounds if c.property_company_id is not None]
    by_compound = figures([c.id for c in served], period, lead=PartyKind.PROPERTY)
    companies = {
        company.id: company
        for company in db.session.scalars(
            select(PropertyCompany).where(
                PropertyCompany.id.in_({c.property_company_id for c in served})
            )
        )
    }
    rows = []
    for company_id, company in companies.items():
        mine = [(c, by_compound[c.id]) for c in served if c.property_company_id == company_id]
        whole = Figures()
        for _compound, one in mine:
            whole.add(one)
        rows.append((company, whole, mine))
    return rows
