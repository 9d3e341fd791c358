"""Who may do what, in one place.

Every view is declared either public or guarded; the before-request gate lets only the
public ones through without sign-in (default deny), and a test walks the URL map to make
sure no view is left undeclared.
"""

from functools import wraps

from flask import abort
from flask_login import current_user

from portal.accounts.models import HomeState
from portal.accounts.roles import PARTY, WORKING_ROLES, Role
from portal.organisation.models import Compound, PartyKind

PUBLIC = "public"
CASE = "case"
API_KEY = "api_key"
# The declarations the sign-in gate lets through without sign-in.
OPEN_WITHOUT_SIGN_IN = {PUBLIC, CASE, API_KEY}


def public(view):
    """Anyone, signed in or not, may use this view."""
    view.access = PUBLIC
    return view


def guarded_by_case(view):
    """The case the URL names decides who may use this view: the view loads the case and
    answers 404 to anyone who may not see it (a visitor sees it only with its private follow
    key), and the workflow refuses (409) a step the person's capacities do not allow. So a
    visitor with the key follows, adds to, withdraws and judges their own case without an
    account, and nobody else gets further than a 404."""
    view.access = CASE
    return view


def guarded_by_api_key(view):
    """The api_key the request carries decides, never a session: the view answers 403 without
    a valid key with the right, and 404 for any case or compound outside the key's scope (the
    Open311 API, portal.open311)."""
    view.access = API_KEY
    return view


def guard(check, *, refuse: int = 403):
    """Only a signed-in person for whom check(person) holds may use this view.

    Views whose subject comes from the URL (a compound, a case) use guard(signed_in)
    and ask can() about the loaded thing, answering 404 so a URL never confirms that
    something the person may not see exists.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if not check(current_user):
                abort(refuse)
            return view(*args, **kwargs)

        wrapped.access = check.__name__  # type: ignore[attr-defined]
        return wrapped

    return decorate


# -- checks about a person alone, for guard() -------------------------------------------


def signed_in(person) -> bool:
    return True


def is_admin(person) -> bool:
    return Role.ADMIN in person.roles


def holds_role(*roles: Role):
    def check(person) -> bool:
        return bool(person.roles & set(roles))

    check.__name__ = "holds_" + "_or_".join(r.value for r in roles)
    return check


# -- a person's standing in a compound ------------------------------------------------

# Who may sign a consultation's resolution for each party: its head; for the residents' side,
# a representative.
SIGNERS = {
    PartyKind.BRANCH: {Role.SECRETARY},
    PartyKind.PROPERTY: {Role.PROPERTY_MANAGER},
    PartyKind.RESIDENTS: {Role.REPRESENTATIVE},
}


def roles_in(person, compound_id) -> set[Role]:
    """The roles a person holds in a compound."""
    if person is None or not getattr(person, "is_authenticated", False):
        return set()
    return {m.role for m in person.memberships if m.compound_id == compound_id}


def is_representative(person, compound_id) -> bool:
    return Role.REPRESENTATIVE in roles_in(person, compound_id)


def is_secretary(person, compound_id) -> bool:
    return Role.SECRETARY in roles_in(person, compound_id)


def parties_of(person, compound_id) -> set[PartyKind]:
    """The parties a person speaks in at a compound (several if they hold several roles)."""
    return {PARTY[r] for r in roles_in(person, compound_id) if r in PARTY}


def signing_parties(person, compound_id) -> set[PartyKind]:
    roles = roles_in(person, compound_id)
    return {party for party, allowed in SIGNERS.items() if roles & allowed}


# -- can(person, action, thing) ---------------------------------------------------------


def _oversees(person, compound, *, grid_workers: bool = True) -> bool:
    in_community = (
        (Role.COMMUNITY_OVERSEER, Role.GRID_WORKER) if grid_workers else (Role.COMMUNITY_OVERSEER,)
    )
    for m in person.memberships:
        if m.role in in_community and m.community_id == compound.community_id:
            return True
        if (
            m.role is Role.SUBDISTRICT_OVERSEER
            and m.sub_district_id == compound.community.sub_district_id
        ):
            return True
    return False


def oversees_community(person, community) -> bool:
    return any(
        (m.role is Role.COMMUNITY_OVERSEER and m.community_id == community.id)
        or (m.role is Role.SUBDISTRICT_OVERSEER and m.sub_district_id == community.sub_district_id)
        for m in person.memberships
    )


def can(person, action: str, thing=None) -> bool:
    if person is None or not getattr(person, "is_authenticated", False):
        return False
    match action:
        case "manage_organisation":
            return is_admin(person)
        case "verify_residents":
            return Role.SECRETARY in roles_in(person, thing.id)
        case "see_compound":
            # Administrators keep the organisation, not the cases: they do not see queues; nor
            # do resident representatives, who see the cases of their consultations' agendas
            # and those assigned to them (DESIGN.md section 5).
            return bool(roles_in(person, thing.id) & WORKING_ROLES) or _oversees(person, thing)
        case "see_consultations":
            # The compound's consultations: its people, its overseers, and its representatives
            # (who see those they are invited to).
            return can(person, "see_compound", thing) or is_representative(person, thing.id)
        case "triage" | "convene" | "post_notice":
            return is_secretary(person, thing.id)
        case "read_notices":
            # The compound's people and overseers, and its verified residents.
            return can(person, "see_consultations", thing) or any(
                h.compound_id == thing.id and h.state == HomeState.VERIFIED for h in person.homes
            )
        case "print_poster":
            return can(person, "see_consultations", thing) or is_admin(person)
        case "delete_own_account":
            # Residents only: whoever holds a role asks an administrator, since others rely
            # on their work and their account (a desk, a signature) outlives it.
            return not person.roles
        case "moderate_notices":
            # `thing` is a compound: its secretary and the overseers of its community and
            # sub-district hide a notice from residents, and show it again.
            return is_secretary(person, thing.id) or _oversees(person, thing, grid_workers=False)
        case "keep_for_record":
            # `thing` is a case's compound: its community's or sub-district's overseers (not
            # grid workers) answer for what is kept once the reporter's details go.
            return _oversees(person, thing, grid_workers=False)
        case "keep_replies":
            # `thing` is a compound (its secretary) or a community (its overseers): who keeps
            # the reply templates (常用回复) its case work inserts into updates and rejections.
            if isinstance(thing, Compound):
                return is_secretary(person, thing.id)
            return any(
                m.role is Role.COMMUNITY_OVERSEER and m.community_id == thing.id
                for m in person.memberships
            )
        case "see_topic":
            # `thing` is a recurring problem (portal.recurring): a compound's is seen by whoever
            # sees the compound's cases, a community's by the community's overseers and those
            # above them.
            if thing.compound is not None:
                return can(person, "see_compound", thing.compound)
            return oversees_community(person, thing.community)
        case "raise_topic":
            # Taking a compound's recurring problem to a consultation or to the community.
            return thing.compound is not None and is_secretary(person, thing.compound_id)
        case "close_topic":
            # Its outcome: the compound's secretary, or the community's overseers, who answer for
            # a community's topics and for those the compounds send them.
            return can(person, "raise_topic", thing) or any(
                m.role is Role.COMMUNITY_OVERSEER and m.community_id == thing.community_id
                for m in person.memberships
            )
        case "edit_routing_rules":
            # `thing` is a community: its overseers, and administrators.
            return is_admin(person) or any(
                m.role is Role.COMMUNITY_OVERSEER and m.community_id == thing.id
                for m in person.memberships
            )
    raise ValueError(f"unknown action {action!r}")
