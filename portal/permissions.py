"""Who may do what, in one place.

Every view is declared either public or guarded; the before-request gate lets only the
public ones through without sign-in (default deny), and a test walks the URL map to make
sure no view is left undeclared.
"""

from functools import wraps

from flask import abort
from flask_login import current_user

from portal.accounts.roles import COMPOUND_ROLES, Role


def public(view):
    """Anyone, signed in or not, may use this view."""
    view.access = "public"
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

        wrapped.access = check.__name__
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


# -- can(person, action, thing) ---------------------------------------------------------


def _compound_roles(person, compound) -> set[Role]:
    return {m.role for m in person.memberships if m.compound_id == compound.id}


def _oversees(person, compound) -> bool:
    for m in person.memberships:
        if (
            m.role in (Role.COMMUNITY_OVERSEER, Role.GRID_WORKER)
            and m.community_id == compound.community_id
        ):
            return True
        if (
            m.role is Role.SUBDISTRICT_OVERSEER
            and m.sub_district_id == compound.community.sub_district_id
        ):
            return True
    return False


def can(person, action: str, thing=None) -> bool:
    if person is None or not getattr(person, "is_authenticated", False):
        return False
    match action:
        case "manage_organisation":
            return is_admin(person)
        case "verify_residents":
            return Role.SECRETARY in _compound_roles(person, thing)
        case "see_compound":
            # Administrators keep the organisation, not the cases: they do not see queues.
            return bool(_compound_roles(person, thing) & set(COMPOUND_ROLES)) or _oversees(
                person, thing
            )
    raise ValueError(f"unknown action {action!r}")
