"""`flask portal import-people`: people with their roles and scopes from a CSV file.

Columns: name, phone, role, scope (the code of the compound, community or sub-district the
role applies to; empty for an administrator), building and room (residents), password (new
people only: an existing person's password is never reset by an import), language.
Residents imported from the housing register are verified. All or nothing; idempotent.
"""

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.accounts import service
from portal.accounts.models import Home, HomeState, Person
from portal.accounts.roles import SCOPE, Role, Scope
from portal.csvimport import ImportRejected, read_rows
from portal.extensions import db
from portal.organisation import queries as org
from portal.organisation.models import Building
from portal.settings import LANGUAGES

REQUIRED = ("name", "phone", "role", "scope")
OPTIONAL = ("building", "room", "password", "language")
PHONE = re.compile(r"^1[3-9]\d{9}$")
RESIDENT = "resident"


def _check_row(line, row, names_by_phone):
    problems = []
    phone, role_name = row.get("phone", ""), row.get("role", "")
    if not row.get("name"):
        problems.append(_l("name is empty"))
    elif len(row["name"]) > 50:
        problems.append(_l("name is longer than 50 characters"))
    if not PHONE.match(phone):
        problems.append(_l("phone %(value)s is not an 11-digit mobile number", value=phone))
    elif phone in names_by_phone and names_by_phone[phone] != row.get("name"):
        problems.append(_l("phone %(value)s appears earlier with another name", value=phone))
    names_by_phone.setdefault(phone, row.get("name"))
    if row.get("language") and row["language"] not in LANGUAGES:
        problems.append(_l("language must be one of %(choices)s", choices=", ".join(LANGUAGES)))
    existing = service.find_by_phone(phone) if PHONE.match(phone) else None
    password = row.get("password", "")
    if existing is None and len(password) < 8:
        problems.append(_l("a new person needs a password of at least 8 characters"))

    resolved = {"person": existing}
    if role_name == RESIDENT:
        compound = org.compound_by_code(row.get("scope", ""))
        building = None
        if compound is None:
            problems.append(_l("no compound with code %(code)s", code=row.get("scope", "")))
        else:
            building = next((b for b in compound.buildings if b.code == row.get("building")), None)
            if building is None:
                problems.append(_l("compound %(compound)s has no building %(code)s",
                                   compound=compound.code, code=row.get("building", "")))
        if not row.get("room"):
            problems.append(_l("a resident needs a room"))
        resolved.update(role=RESIDENT, building=building)
        return problems, resolved
    try:
        role = Role(role_name)
    except ValueError:
        problems.append(_l("unknown role %(value)s", value=role_name))
        return problems, resolved
    level = SCOPE[role]
    scope = None
    if level is not Scope.GLOBAL:
        scope = org.scope_by_code(level.value, row.get("scope", ""))
        if scope is None:
            problems.append(_l("no %(level)s with code %(code)s", level=level.value,
                               code=row.get("scope", "")))
    resolved.update(role=role, scope=scope)
    return problems, resolved


def import_people(raw: bytes) -> dict[str, int]:
    rows = read_rows(raw, REQUIRED, OPTIONAL)
    problems, plans, names_by_phone = [], [], {}
    for line, row in rows:
        row_problems, resolved = _check_row(line, row, names_by_phone)
        problems += [(line, p) for p in row_problems]
        plans.append((row, resolved))
    if problems:
        raise ImportRejected(problems)

    changes = {"created": 0, "updated": 0}
    try:
        for row, plan in plans:
            person = plan["person"] or service.find_by_phone(row["phone"])
            if person is None:
                person = service.create_person(row["name"], row["phone"], row["password"],
                                               row.get("language") or "zh_CN")
                db.session.flush()
                changes["created"] += 1
            else:
                if person.name != row["name"]:
                    person.name = row["name"]
                    changes["updated"] += 1
                if row.get("language") and person.locale != row["language"]:
                    person.locale = row["language"]
                    changes["updated"] += 1
            if plan["role"] == RESIDENT:
                changes["created"] += _ensure_home(person, plan["building"], row["room"])
            elif service.find_membership(person, plan["role"], plan["scope"]) is None:
                service.grant_role(person, plan["role"], plan["scope"])
                db.session.flush()
                changes["created"] += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changes


def _ensure_home(person: Person, building: Building, room: str) -> int:
    home = db.session.scalar(select(Home).where(Home.person_id == person.id,
                                                Home.building_id == building.id, Home.room == room))
    if home is not None:
        return 0
    db.session.add(Home(person=person, compound_id=building.compound_id, building_id=building.id,
                        room=room, state=HomeState.VERIFIED))
    db.session.flush()
    return 1
