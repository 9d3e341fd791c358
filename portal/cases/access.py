"""In which capacities a person stands towards a case, and so what they may see of it."""

from sqlalchemy import exists, select

from portal.accounts.roles import HEAD, PARTY, WORKING_ROLES, Role
from portal.cases.models import Case, Supporter
from portal.cases.workflow import Action, Capacity, allowed
from portal.consultation.models import AgendaItem, Invitation
from portal.extensions import db
from portal.organisation.models import PartyKind

# The follow key of a case merged into this one: its holder follows this case as a co-reporter.
MERGED_KEY = "merged"
# A visitor's key from saying "me too" on this case: its holder follows it as a supporter.
SUPPORTER_KEY = "supporter"
# Who sees the public side of a case only: no internal note, the reporter masked.
PUBLIC_SIDE = frozenset(
    {Capacity.REPORTER, Capacity.CO_REPORTER, Capacity.SUPPORTER, Capacity.REPRESENTATIVE}
)


def party_of(person, compound_id):
    """The party (kind) a person works in at a compound, or None."""
    if person is None:
        return None
    for membership in person.memberships:
        if membership.compound_id == compound_id and membership.role in PARTY:
            return PARTY[membership.role]
    return None


def on_agenda_for(person, case) -> bool:
    """Whether the case is on the agenda of a consultation the person is invited to."""
    return bool(
        db.session.scalar(
            select(
                exists()
                .where(AgendaItem.case_id == case.id)
                .where(Invitation.consultation_id == AgendaItem.consultation_id)
                .where(Invitation.person_id == person.id)
            )
        )
    )


def follows(person, case) -> tuple[bool, bool]:
    """Whether the person reported a case that was merged into this one, and whether they said
    "me too" on it: one look-up for both."""
    merged, supports = db.session.execute(
        select(
            exists().where(Case.merged_into_id == case.id).where(Case.reporter_id == person.id),
            exists().where(Supporter.case_id == case.id).where(Supporter.person_id == person.id),
        )
    ).one()
    return bool(merged), bool(supports)


def capacities(person, case, has_follow_key: bool | str = False) -> set[Capacity]:
    """`has_follow_key` is True for the case's own follow key, MERGED_KEY for the key of a case
    merged into it."""
    found: set[Capacity] = set()
    if has_follow_key == MERGED_KEY:
        found.add(Capacity.CO_REPORTER)
    elif has_follow_key == SUPPORTER_KEY:
        found.add(Capacity.SUPPORTER)
    elif has_follow_key:
        found.add(Capacity.REPORTER)
    if person is None or not getattr(person, "is_authenticated", False):
        return found
    if case.reporter_id == person.id:
        found.add(Capacity.REPORTER)
    roles = {m.role for m in person.memberships if m.compound_id == case.compound_id}
    if Role.SECRETARY in roles:
        found.add(Capacity.SECRETARY)
    if Role.PROPERTY_MANAGER in roles:
        found.add(Capacity.PROPERTY_MANAGER)
    if roles & WORKING_ROLES:
        found.add(Capacity.PARTY_MEMBER)
    elif Role.REPRESENTATIVE in roles:
        # A representative works a case assigned to them as any assignee does, and reads one
        # on the agenda of a consultation they are invited to; the rest of the compound's cases
        # are not theirs to see (DESIGN.md section 5).
        if case.assignee_id == person.id:
            found.add(Capacity.PARTY_MEMBER)
        elif on_agenda_for(person, case):
            found.add(Capacity.REPRESENTATIVE)
    if Capacity.PARTY_MEMBER not in found:
        roles -= {Role.REPRESENTATIVE}  # heads the residents' side only on a case they work
    if any(PARTY.get(r) is PartyKind.BRANCH for r in roles):
        found.add(Capacity.BRANCH_MEMBER)
    led_by = {case.lead_party, party_of(case.assignee, case.compound_id)} - {None}
    if any(HEAD[kind] in roles for kind in led_by):
        found.add(Capacity.PARTY_HEAD)
    community = case.compound.community
    for m in person.memberships:
        if m.role is Role.GRID_WORKER and m.community_id == community.id:
            found.add(Capacity.GRID_WORKER)
        if m.role is Role.COMMUNITY_OVERSEER and m.community_id == community.id:
            found.add(Capacity.OVERSEER)
            if case.escalation_level >= 1:
                found.add(Capacity.ESCALATED_TO)
        if m.role is Role.SUBDISTRICT_OVERSEER and m.sub_district_id == community.sub_district_id:
            found.add(Capacity.OVERSEER)
            if case.escalation_level >= 2:
                found.add(Capacity.ESCALATED_TO)
    # The assignee acts as such only while they still work there: someone whose role was
    # taken away loses the case with it.
    if (
        case.assignee_id is not None
        and case.assignee_id == person.id
        and (Capacity.PARTY_MEMBER in found or Capacity.OVERSEER in found)
    ):
        found.add(Capacity.ASSIGNEE)
    if not found - {Capacity.CO_REPORTER, Capacity.SUPPORTER}:
        merged, supports = follows(person, case)
        if merged:
            found.add(Capacity.CO_REPORTER)
        if supports:
            found.add(Capacity.SUPPORTER)
    return found


def at_its_level(person, case) -> bool:
    """An overseer at the level the case was escalated to: its community's (level 1) or its
    sub-district's (level 2). They acknowledge it (报到)."""
    if person is None or not getattr(person, "is_authenticated", False):
        return False
    community = case.compound.community
    for m in person.memberships:
        if case.escalation_level == 1 and (
            m.role is Role.COMMUNITY_OVERSEER and m.community_id == community.id
        ):
            return True
        if case.escalation_level == 2 and (
            m.role is Role.SUBDISTRICT_OVERSEER and m.sub_district_id == community.sub_district_id
        ):
            return True
    return False


def can_see(found: set[Capacity]) -> bool:
    return bool(found)


def sees_internal(found: set[Capacity]) -> bool:
    """Staff see internal notes; residents and invited representatives see the public side."""
    return bool(found - PUBLIC_SIDE)


def sees_full_phone(found: set[Capacity]) -> bool:
    """Without revealing: the reporter sees their own number in full."""
    return Capacity.REPORTER in found and not sees_internal(found)


def may_moderate(found: set[Capacity]) -> bool:
    """Who hides a public text or photo of a case from the public, and shows it again, in any
    state: the compound's secretary and the overseers of its community and sub-district."""
    return bool(found & {Capacity.SECRETARY, Capacity.OVERSEER})


def may_reveal_phone(case, found: set[Capacity]) -> bool:
    """Who may reveal the reporter's number is the workflow's to say (Action.REVEAL_PHONE)."""
    return allowed(case.state, Action.REVEAL_PHONE, found)


ROLE_FOR_CAPACITY = (
    # The role recorded on an event: the most specific capacity the person acted in.
    (Capacity.SECRETARY, Role.SECRETARY.value),
    (Capacity.ASSIGNEE, "assignee"),
    (Capacity.PROPERTY_MANAGER, Role.PROPERTY_MANAGER.value),
    (Capacity.PARTY_HEAD, "party_head"),
    (Capacity.ESCALATED_TO, "overseer"),
    (Capacity.OVERSEER, "overseer"),
    (Capacity.BRANCH_MEMBER, "branch_member"),
    (Capacity.GRID_WORKER, Role.GRID_WORKER.value),
    (Capacity.PARTY_MEMBER, "party_member"),
    (Capacity.REPRESENTATIVE, Role.REPRESENTATIVE.value),
    (Capacity.REPORTER, "reporter"),
    (Capacity.CO_REPORTER, "co_reporter"),
    (Capacity.SUPPORTER, "supporter"),
    (Capacity.SYSTEM, "system"),
)


def acting_role(found: set[Capacity], allowed_by=None) -> str:
    """The capacity to record, preferring one the step allows."""
    for capacity, name in ROLE_FOR_CAPACITY:
        if capacity in found and (allowed_by is None or capacity in allowed_by):
            return name
    return "visitor"
