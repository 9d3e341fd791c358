"""The roles of DESIGN.md section 2: which level each is scoped to and which party it sits in."""

import enum

from portal.organisation.models import PartyKind


class Role(enum.StrEnum):
    SECRETARY = "secretary"
    BRANCH_MEMBER = "branch_member"
    PROPERTY_MANAGER = "property_manager"
    PROPERTY_STAFF = "property_staff"
    REPRESENTATIVE = "representative"
    GRID_WORKER = "grid_worker"
    COMMUNITY_OVERSEER = "community_overseer"
    SUBDISTRICT_OVERSEER = "subdistrict_overseer"
    ADMIN = "admin"


class Scope(enum.StrEnum):
    COMPOUND = "compound"
    COMMUNITY = "community"
    SUB_DISTRICT = "sub_district"
    GLOBAL = "global"


SCOPE = {
    Role.SECRETARY: Scope.COMPOUND,
    Role.BRANCH_MEMBER: Scope.COMPOUND,
    Role.PROPERTY_MANAGER: Scope.COMPOUND,
    Role.PROPERTY_STAFF: Scope.COMPOUND,
    Role.REPRESENTATIVE: Scope.COMPOUND,
    Role.GRID_WORKER: Scope.COMMUNITY,
    Role.COMMUNITY_OVERSEER: Scope.COMMUNITY,
    Role.SUBDISTRICT_OVERSEER: Scope.SUB_DISTRICT,
    Role.ADMIN: Scope.GLOBAL,
}

PARTY = {
    Role.SECRETARY: PartyKind.BRANCH,
    Role.BRANCH_MEMBER: PartyKind.BRANCH,
    Role.PROPERTY_MANAGER: PartyKind.PROPERTY,
    Role.PROPERTY_STAFF: PartyKind.PROPERTY,
    Role.REPRESENTATIVE: PartyKind.RESIDENTS,
}

# The head of each party speaks and signs for it.
HEAD = {
    PartyKind.BRANCH: Role.SECRETARY,
    PartyKind.PROPERTY: Role.PROPERTY_MANAGER,
    PartyKind.RESIDENTS: Role.REPRESENTATIVE,
}

# Where someone with several roles lands after signing in: the busiest desk first.
LANDING_ORDER = (
    Role.ADMIN,
    Role.SECRETARY,
    Role.PROPERTY_MANAGER,
    Role.SUBDISTRICT_OVERSEER,
    Role.COMMUNITY_OVERSEER,
    Role.GRID_WORKER,
    Role.REPRESENTATIVE,
    Role.BRANCH_MEMBER,
    Role.PROPERTY_STAFF,
)

COMPOUND_ROLES = tuple(r for r, s in SCOPE.items() if s is Scope.COMPOUND)
# The compound roles that see its queue and its cases: all but the resident representatives,
# who see the cases on their consultations' agendas and those assigned to them (DESIGN.md 5).
WORKING_ROLES = frozenset(COMPOUND_ROLES) - {Role.REPRESENTATIVE}
