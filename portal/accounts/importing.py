"""`flask portal import-people`: people with their roles and scopes from a CSV file.

Columns: name, phone, role, scope (the code of the compound, community or sub-district the
role applies to; empty for an administrator), building and room (residents), password (new
people only, on one of their lines: an existing person's password is never reset by an
import), language, email (where e-mail notifications go: the administrator's register vouches
for it, so no confirmation link is sent).
Residents imported from the housing register are verified. All or nothing; idempotent.
"""

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import labels, signals
from portal.accounts import service
from portal.accounts.models import Home, HomeState, Person
from portal.accounts.roles import SCOPE, Role, Scope
from portal.clock import now
from portal.csvimport import ImportRejected, read_rows
from portal.extensions import db
from portal.organisation import queries as org
from portal.organisation.models import Building
from portal.settings import LANGUAGES

REQUIRED = ("name", "phone", "role", "scope")
OPTIONAL = ("building", "room", "password", "language", "email")
PHONE = re.compile(r"^1[3-9][0-9]{9}$")  # ASCII digits: "\d" takes any script's
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
RESIDENT = "resident"


def _check_row(line, row, people):
    """The line's problems, and what it refers to. `people`: phone → what its lines say so far."""
    problems = []
    phone, role_name = row.get("phone", ""), row.get("role", "")
    if not row.get("name"):
        problems.append(_l("name is empty"))
    elif len(row["name"]) > 50:
        problems.append(_l("name is longer than 50 characters"))
    existing = None
    if not PHONE.match(phone):
        problems.append(_l("phone %(value)s is not an 11-digit mobile number", value=phone))
    else:
        if phone not in people:
            people[phone] = {
                "line": line,
                "name": row.get("name"),
                "language": "",
                "email": "",
                "password": None,
                "existing": service.find_by_phone(phone),
            }
        person = people[phone]
        existing = person["existing"]
        if person["name"] != row.get("name"):
            problems.append(_l("phone %(value)s appears earlier with another name", value=phone))
        # Two different languages for one person would flip it on every run.
        if row.get("language") in LANGUAGES:
            if person["language"] and person["language"] != row["language"]:
                problems.append(
                    _l("phone %(value)s appears earlier with another language", value=phone)
                )
            person["language"] = person["language"] or row["language"]
        if row.get("email"):
            if person["email"] and person["email"] != row["email"]:
                problems.append(
                    _l("phone %(value)s appears earlier with another e-mail address", value=phone)
                )
            person["email"] = person["email"] or row["email"]
        if row.get("password") and person["password"] is None:
            person["password"] = (line, row["password"])
    if row.get("email") and (len(row["email"]) > 200 or not EMAIL.match(row["email"])):
        problems.append(_l("email %(value)s is not an e-mail address", value=row["email"][:200]))
    if row.get("language") and row["language"] not in LANGUAGES:
        problems.append(
            _l("language must be one of %(choices)s", choices=labels.listing(LANGUAGES, "or"))
        )

    resolved = {"person": existing}
    if role_name == RESIDENT:
        compound = org.compound_by_code(row.get("scope", ""))
        building = None
        if compound is None:
            problems.append(_l("no compound with code %(code)s", code=row.get("scope", "")))
        else:
            building = next((b for b in compound.buildings if b.code == row.get("building")), None)
            if building is None:
                problems.append(
                    _l(
                        "compound %(compound)s has no building %(code)s",
                        compound=compound.code,
                        code=row.get("building", ""),
                    )
                )
        if not row.get("room"):
            problems.append(_l("a resident needs a room"))
        elif len(row["room"]) > 20:
            problems.append(_l("room is longer than 20 characters"))
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
            problems.append(
                _l("no %(level)s with code %(code)s", level=level.value, code=row.get("scope", ""))
            )
    resolved.update(role=role, scope=scope)
    return problems, resolved


def _check_passwords(people):
    """A new person's password is the first one their lines give; it is needed on one line."""
    problems = []
    for person in people.values():
        if person["existing"] is None:
            line, password = person["password"] or (person["line"], "")
            if len(password) < 8:
                problems.append(
                    (line, _l("a new person needs a password of at least 8 characters"))
                )
    return problems


def import_people(raw: bytes) -> dict[str, int]:
    rows, problems = read_rows(raw, REQUIRED, OPTIONAL)
    plans: list[tuple[dict, dict]] = []
    people: dict[str, dict] = {}
    for line, row in rows:
        row_problems, resolved = _check_row(line, row, people)
        problems += [(line, p) for p in row_problems]
        plans.append((row, resolved))
    problems += _check_passwords(people)
    if problems:
        raise ImportRejected(problems)

    changes = {"created": 0, "updated": 0}
    try:
        for row, plan in plans:
            person = plan["person"] or service.find_by_phone(row["phone"])
            if person is None:
                # Created from the first line, with what any of the person's lines say.
                given = people[row["phone"]]
                person = service.create_person(
                    row["name"], row["phone"], given["password"][1], given["language"] or "zh_CN"
                )
                person.email = given["email"] or None
                db.session.flush()
                changes["created"] += 1
            else:
                if row.get("email") and person.email != row["email"]:
                    person.email = row["email"]
                    changes["updated"] += 1
                if person.name != row["name"]:
                    person.name = row["name"]
                    changes["updated"] += 1
                if row.get("language") and person.locale != row["language"]:
                    person.locale = row["language"]
                    changes["updated"] += 1
            if plan["role"] == RESIDENT:
                created, updated = _ensure_home(person, plan["building"], row["room"])
                changes["created"] += created
                changes["updated"] += updated
            elif service.find_membership(person, plan["role"], plan["scope"]) is None:
                service.grant_role(person, plan["role"], plan["scope"])
                db.session.flush()
                changes["created"] += 1
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changes


def _ensure_home(person: Person, building: Building, room: str) -> tuple[int, int]:
    """Records the home as verified: (created, updated)."""
    home = db.session.scalar(
        select(Home).where(
            Home.person_id == person.id, Home.building_id == building.id, Home.room == room
        )
    )
    if home is None:
        db.session.add(
            Home(
                person=person,
                compound_id=building.compound_id,
                building_id=building.id,
                room=room,
                state=HomeState.VERIFIED,
            )
        )
        db.session.flush()
        signals.home_verified.send(person, compound_id=building.compound_id)
        return 1, 0
    if home.state == HomeState.PENDING:
        # The housing register confirms what the person's sign-up claimed. A declined home
        # stays declined: that was the secretary's decision.
        home.state, home.decided_at = HomeState.VERIFIED, now()
        signals.home_verified.send(person, compound_id=building.compound_id)
        return 0, 1
    return 0, 0
