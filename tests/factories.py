"""Small builders for the organisation and its people, through the same services the app uses."""

import itertools

from portal.accounts import service
from portal.accounts.models import Home, HomeState
from portal.accounts.roles import Role
from portal.extensions import db
from portal.organisation.models import Building, Community, Compound, Party, PartyKind, SubDistrict

PASSWORD = "password123"
_phones = itertools.count(1)


def next_phone() -> str:
    return f"1390000{next(_phones):04d}"


def sub_district(code="sd", name="Harbour sub-district") -> SubDistrict:
    thing = SubDistrict(code=code, name=name)
    db.session.add(thing)
    db.session.flush()
    return thing


def community(sub=None, code="cm", name="Lakeside community") -> Community:
    thing = Community(code=code, name=name, sub_district=sub or sub_district())
    db.session.add(thing)
    db.session.flush()
    return thing


def compound(comm=None, code="ymn", name="Plum Garden", buildings=("1", "2", "3")) -> Compound:
    thing = Compound(code=code, name=name, community=comm or community())
    db.session.add(thing)
    db.session.flush()
    for b in buildings:
        db.session.add(
            Building(
                compound=thing, code=b, name=f"Building {b}", sort_key=Building.sort_key_for(b)
            )
        )
    for kind in PartyKind:
        db.session.add(Party(compound=thing, kind=kind, name=f"{name} {kind.value}"))
    db.session.commit()
    return thing


def person(name="Wang Fang", phone=None, password=PASSWORD, locale="zh_CN"):
    someone = service.create_person(name, phone or next_phone(), password, locale)
    db.session.commit()
    return someone


def member(role: Role, scope=None, **kwargs):
    someone = person(**kwargs)
    service.grant_role(someone, role, scope)
    db.session.commit()
    return someone


def resident(compound_, building_code="1", room="1-101", state=HomeState.VERIFIED, **kwargs):
    someone = person(**kwargs)
    building = next(b for b in compound_.buildings if b.code == building_code)
    db.session.add(
        Home(person=someone, compound_id=compound_.id, building=building, room=room, state=state)
    )
    db.session.commit()
    return someone
