"""Look-ups about consultations that several pages and services share: what a person is
invited to or has to do, what a case went through, what can go on an agenda."""

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.accounts.models import Membership, Person
from portal.accounts.roles import HEAD, PARTY
from portal.cases.models import Case
from portal.cases.workflow import Action, states_allowing
from portal.consultation.models import (
    ActionItem,
    AgendaItem,
    Consultation,
    ConsultationState,
    Invitation,
    Mode,
    Resolution,
    ResolutionState,
)
from portal.extensions import db
from portal.organisation.models import PartyKind
from portal.permissions import parties_of, signing_parties


def open_agenda_of(case) -> Consultation | None:
    """The open consultation a case is on, if any."""
    return db.session.scalar(
        select(Consultation)
        .join(AgendaItem)
        .where(AgendaItem.case_id == case.id, Consultation.state == ConsultationState.OPEN)
    )


def default_invitees(compound) -> list[tuple[Person, PartyKind]]:
    """Each party's head, and every resident representative."""
    rows = db.session.execute(
        select(Person, Membership.role)
        .join(Membership, Membership.person_id == Person.id)
        .where(
            Membership.compound_id == compound.id,
            Membership.role.in_(list(HEAD.values())),
            Person.active.is_(True),
        )
        .order_by(Person.name, Person.id)
    ).all()
    seen, invitees = set(), []
    for person, role in rows:
        if (person.id, PARTY[role]) not in seen:
            seen.add((person.id, PARTY[role]))
            invitees.append((person, PARTY[role]))
    return invitees


def agenda_candidates(compound, limit=200) -> list[Case]:
    """Cases that can go on an agenda: those marked for consultation first."""
    return list(
        db.session.scalars(
            select(Case)
            .where(
                Case.compound_id == compound.id,
                Case.state.in_([s.value for s in states_allowing(Action.CONVENE)]),
            )
            .order_by(Case.needs_consultation.desc(), Case.created_at)
            .limit(limit)
        )
    )


def open_action_count(case) -> int:
    """Action items of the case's consultations that are not done yet."""
    return (
        db.session.scalar(
            select(func.count(ActionItem.id)).where(
                ActionItem.case_id == case.id, ActionItem.done_at.is_(None)
            )
        )
        or 0
    )


def invitations_for(person) -> list[Consultation]:
    """Open consultations the person is invited to, for their desk."""
    return list(
        db.session.scalars(
            select(Consultation)
            .join(Invitation)
            .where(Invitation.person_id == person.id, Consultation.state == ConsultationState.OPEN)
            .order_by(Consultation.created_at.desc())
            .options(selectinload(Consultation.compound))
        ).unique()
    )


def open_actions_for(person) -> list[ActionItem]:
    """The person's action items of resolutions in effect that are not done yet."""
    return list(
        db.session.scalars(
            select(ActionItem)
            .join(Resolution)
            .where(
                ActionItem.assignee_id == person.id,
                ActionItem.done_at.is_(None),
                Resolution.state == ResolutionState.EFFECTIVE,
            )
            .order_by(ActionItem.due_on, ActionItem.id)
            .options(selectinload(ActionItem.case))
        )
    )


def agenda_of_case(case) -> list[AgendaItem]:
    """Every consultation the case was on, with opinions, resolution and action items."""
    return list(
        db.session.scalars(
            select(AgendaItem)
            .where(AgendaItem.case_id == case.id)
            .order_by(AgendaItem.id)
            .options(
                selectinload(AgendaItem.consultation),
                selectinload(AgendaItem.opinions),
                selectinload(AgendaItem.resolution).selectinload(Resolution.signatures),
                selectinload(AgendaItem.resolution)
                .selectinload(Resolution.action_items)
                .selectinload(ActionItem.assignee),
            )
        )
    )


def waiting_on(person) -> list[tuple[AgendaItem, str]]:
    """The agenda items of open consultations the person is invited to that wait for them:
    ("opinion", while opinions are taken) their party has not given its opinion and no
    resolution is drafted yet, or ("signature") a resolution their party signs through them
    has not been signed or dissented from. Oldest consultation first."""
    consultations = db.session.scalars(
        select(Consultation)
        .join(Invitation)
        .where(Invitation.person_id == person.id, Consultation.state == ConsultationState.OPEN)
        .order_by(Consultation.created_at, Consultation.id)
        .options(
            selectinload(Consultation.invitations),
            selectinload(Consultation.items).selectinload(AgendaItem.case),
            selectinload(Consultation.items).selectinload(AgendaItem.opinions),
            selectinload(Consultation.items)
            .selectinload(AgendaItem.resolution)
            .selectinload(Resolution.signatures),
        )
    ).unique()
    waiting = []
    for consultation in consultations:
        invited = {i.party for i in consultation.invitations if i.person_id == person.id}
        speaks = invited & parties_of(person, consultation.compound_id)
        signs = invited & signing_parties(person, consultation.compound_id)
        taking = consultation.mode is Mode.IN_PERSON or consultation.window_open
        for item in consultation.items:
            resolution = item.resolution
            if resolution is None:
                if taking and any(item.current_opinion(p) is None for p in speaks):
                    waiting.append((item, "opinion"))
            elif resolution.state is ResolutionState.SIGNING and any(
                resolution.signature(p) is None for p in signs
            ):
                waiting.append((item, "signature"))
    return waiting
