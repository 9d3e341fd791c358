"""The roles table: every role has a scope, a landing order, and party roles a party."""

from portal.accounts.roles import HEAD, LANDING_ORDER, PARTY, SCOPE, Role, Scope
from portal.organisation.models import PartyKind


def test_every_role_has_a_scope_and_a_place_in_the_landing_order():
    assert set(SCOPE) == set(Role)
    assert set(LANDING_ORDER) == set(Role)


def test_compound_roles_are_exactly_the_party_roles():
    compound_roles = {r for r, s in SCOPE.items() if s is Scope.COMPOUND}
    assert compound_roles == set(PARTY)


def test_each_party_has_a_head_inside_it():
    for kind in PartyKind:
        assert PARTY[HEAD[kind]] is kind
