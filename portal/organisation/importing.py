"""`flask portal import-org`: sub-districts, communities, compounds and buildings from a CSV file.

One row per building. Checked whole before anything is written; a good file imported twice
changes nothing the second time.
"""

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal import labels
from portal.csvimport import ImportRejected, read_rows
from portal.extensions import db
from portal.organisation.models import (
    CODE_PATTERN,
    Building,
    Community,
    Compound,
    Party,
    PartyKind,
    PropertyCompany,
    SubDistrict,
)

REQUIRED = (
    "sub_district_code",
    "sub_district_name",
    "community_code",
    "community_name",
    "compound_code",
    "compound_name",
    "building_code",
)
OPTIONAL = (
    "building_name",
    "branch_name",
    "property_name",
    "residents_name",
    # Where the compound is, in WGS84 degrees: both or neither, the same on all its lines.
    "latitude",
    "longitude",
    # The property company that manages it (serving several compounds): both or neither, the
    # same on all its lines; a company's code names it the same way on every line.
    "property_company_code",
    "property_company_name",
)
CODE = re.compile(CODE_PATTERN)
BUILDING_CODE = re.compile(r"^[A-Za-z0-9-]{1,32}$")

PARTY_COLUMNS = {
    PartyKind.BRANCH: "branch_name",
    PartyKind.PROPERTY: "property_name",
    PartyKind.RESIDENTS: "residents_name",
}
DEFAULT_PARTY_NAMES = {
    PartyKind.BRANCH: _l("%(compound)s party branch"),
    PartyKind.PROPERTY: _l("%(compound)s property management"),
    PartyKind.RESIDENTS: _l("%(compound)s resident representatives"),
}


def _party_names(rows) -> dict[tuple[str, str], str]:
    """(compound code, party column) → the first name the file gives; an empty cell gives none."""
    names: dict[tuple[str, str], str] = {}
    for _line, row in rows:
        for column in PARTY_COLUMNS.values():
            if row.get(column):
                names.setdefault((row.get("compound_code"), column), row[column])
    return names


def _coordinates(row) -> tuple[float, float] | None:
    """The compound's position a line gives, or None; raises ValueError when it is not one."""
    lat, long = row.get("latitude"), row.get("longitude")
    if not lat and not long:
        return None
    position = float(lat or "x"), float(long or "x")
    if not (-90 <= position[0] <= 90 and -180 <= position[1] <= 180):
        raise ValueError(position)
    return position


def _check(rows, party_names):
    problems = []
    positions: dict[str, tuple[float, float]] = {}
    companies: dict[str, str] = {}  # compound code → its company's code ("" for none)
    seen: dict[tuple[str, str], tuple[str, str | None]] = {}  # (level, code) → (name, parent code)

    def same_as_before(line, level, code, name, parent):
        key = (level, code)
        if key in seen and seen[key] != (name, parent):
            problems.append(
                (
                    line,
                    _l(
                        "%(level)s %(code)s is described differently on an earlier line",
                        level=level,
                        code=code,
                    ),
                )
            )
        seen.setdefault(key, (name, parent))

    for line, row in rows:
        empty = [c for c in REQUIRED if not row.get(c)]
        if empty:
            problems.append((line, _l("empty: %(columns)s", columns=labels.listing(empty))))
            continue
        for column in ("sub_district_code", "community_code", "compound_code"):
            if not CODE.match(row[column]):
                problems.append(
                    (
                        line,
                        _l(
                            "%(column)s %(value)s: use lower-case letters, digits "
                            "and hyphens (up to 32)",
                            column=column,
                            value=row[column],
                        ),
                    )
                )
        if not BUILDING_CODE.match(row["building_code"]):
            problems.append(
                (
                    line,
                    _l(
                        "building_code %(value)s: use letters, digits and hyphens (up to 32)",
                        value=row["building_code"],
                    ),
                )
            )
        for column in REQUIRED + OPTIONAL:
            if len(row.get(column, "")) > 100:
                problems.append(
                    (line, _l("%(column)s is longer than 100 characters", column=column))
                )
        same_as_before(
            line, "sub_district", row["sub_district_code"], row["sub_district_name"], None
        )
        same_as_before(
            line,
            "community",
            row["community_code"],
            row["community_name"],
            row["sub_district_code"],
        )
        same_as_before(
            line, "compound", row["compound_code"], row["compound_name"], row["community_code"]
        )
        try:
            position = _coordinates(row)
        except ValueError:
            problems.append(
                (line, _l("latitude and longitude: give both, in degrees (WGS84), or neither"))
            )
        else:
            if position and positions.setdefault(row["compound_code"], position) != position:
                problems.append(
                    (
                        line,
                        _l(
                            "compound %(code)s: latitude and longitude differ from an earlier line",
                            code=row["compound_code"],
                        ),
                    )
                )
        company = row.get("property_company_code", ""), row.get("property_company_name", "")
        if any(company):
            if not all(company) or not CODE.match(company[0]):
                problems.append(
                    (
                        line,
                        _l(
                            "property_company_code and property_company_name: give both, the "
                            "code in lower-case letters, digits and hyphens, or neither"
                        ),
                    )
                )
            else:
                same_as_before(line, "property_company", company[0], company[1], None)
        if companies.setdefault(row["compound_code"], company[0]) != company[0]:
            problems.append(
                (
                    line,
                    _l(
                        "compound %(code)s: %(column)s differs from an earlier line",
                        code=row["compound_code"],
                        column="property_company_code",
                    ),
                )
            )
        if ("building", f"{row['compound_code']}/{row['building_code']}") in seen:
            problems.append(
                (
                    line,
                    _l(
                        "building %(code)s of %(compound)s appears twice",
                        code=row["building_code"],
                        compound=row["compound_code"],
                    ),
                )
            )
        seen[("building", f"{row['compound_code']}/{row['building_code']}")] = ("", None)
        # Two different names for one party would flip it on every run.
        for column in PARTY_COLUMNS.values():
            if row.get(column) and row[column] != party_names[(row["compound_code"], column)]:
                problems.append(
                    (
                        line,
                        _l(
                            "compound %(code)s: %(column)s differs from an earlier line",
                            code=row["compound_code"],
                            column=column,
                        ),
                    )
                )
    # A code already in the database must stay under the same parent.
    for line, row in rows:
        community = db.session.scalar(
            select(Community).where(Community.code == row.get("community_code"))
        )
        if community and community.sub_district.code != row.get("sub_district_code"):
            problems.append(
                (
                    line,
                    _l(
                        "community %(code)s already belongs to another sub-district",
                        code=community.code,
                    ),
                )
            )
        compound = db.session.scalar(
            select(Compound).where(Compound.code == row.get("compound_code"))
        )
        if compound and compound.community.code != row.get("community_code"):
            problems.append(
                (
                    line,
                    _l(
                        "compound %(code)s already belongs to another community", code=compound.code
                    ),
                )
            )
    return problems


def _upsert(model, code, changes, **values):
    thing = db.session.scalar(select(model).where(model.code == code))
    if thing is None:
        thing = model(code=code, **values)
        db.session.add(thing)
        changes["created"] += 1
        return thing
    for key, value in values.items():
        if getattr(thing, key) != value:
            setattr(thing, key, value)
            changes["updated"] += 1
    return thing


def import_org(raw: bytes) -> dict[str, int]:
    """Apply the file, all or nothing. Returns how many rows were created and updated."""
    rows, problems = read_rows(raw, REQUIRED, OPTIONAL)
    party_names = _party_names(rows)
    problems += _check(rows, party_names)
    if problems:
        raise ImportRejected(problems)
    changes = {"created": 0, "updated": 0}
    try:
        for _line, row in rows:
            sub = _upsert(
                SubDistrict, row["sub_district_code"], changes, name=row["sub_district_name"]
            )
            db.session.flush()
            community = _upsert(
                Community,
                row["community_code"],
                changes,
                name=row["community_name"],
                sub_district_id=sub.id,
            )
            db.session.flush()
            position = _coordinates(row)
            compound = _upsert(
                Compound,
                row["compound_code"],
                changes,
                name=row["compound_name"],
                community_id=community.id,
                **({"latitude": position[0], "longitude": position[1]} if position else {}),
            )
            db.session.flush()
            if row.get("property_company_code") and row.get("property_company_name"):
                company = _upsert(
                    PropertyCompany,
                    row["property_company_code"],
                    changes,
                    name=row["property_company_name"],
                )
                db.session.flush()
                if compound.property_company_id != company.id:
                    compound.property_company_id = company.id
                    changes["updated"] += 1
            _ensure_parties(compound, party_names, changes)
            _ensure_building(compound, row, changes)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return changes


def _ensure_parties(compound, party_names, changes):
    existing = {
        p.kind: p for p in db.session.scalars(select(Party).where(Party.compound_id == compound.id))
    }
    for kind, column in PARTY_COLUMNS.items():
        # The name from any of the compound's lines, so a party is not created with the default
        # on one line and renamed on the next.
        name, party = party_names.get((compound.code, column)), existing.get(kind)
        if party is None:
            db.session.add(
                Party(
                    compound_id=compound.id,
                    kind=kind,
                    name=name or str(DEFAULT_PARTY_NAMES[kind] % {"compound": compound.name}),
                )
            )
            changes["created"] += 1
        elif name and party.name != name:
            party.name = name
            changes["updated"] += 1


def _ensure_building(compound, row, changes):
    code, name = row["building_code"], row.get("building_name")
    building = db.session.scalar(
        select(Building).where(Building.compound_id == compound.id, Building.code == code)
    )
    if building is None:
        # The default is in the command's language, so it is given once and never compared.
        db.session.add(
            Building(
                compound_id=compound.id,
                code=code,
                name=name or str(_l("Building %(code)s", code=code)),
                sort_key=Building.sort_key_for(code),
            )
        )
        changes["created"] += 1
    elif name and building.name != name:
        building.name = name
        changes["updated"] += 1
