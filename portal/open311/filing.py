"""Filing through the API: the request's fields checked all at once (every problem reported,
nothing stored), then the same service function as the web form files the case."""

import math
import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from portal.accounts.importing import PHONE
from portal.cases import service
from portal.cases.categories import Category
from portal.cases.models import Case
from portal.open311.formats import clean
from portal.organisation.models import Compound

MAX_DESCRIPTION = 4000  # the specification's limit
MAX_LOCATION = 200
MAX_NAME = 50
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class Filed:
    case: Case
    follow_key: str | None


def _name(first: str, last: str) -> str:
    """A Chinese name is family name first, without a space; others "first last"."""
    if _CJK.search(first + last):
        return last + first
    return " ".join(part for part in (first, last) if part)


def _coordinate(value: str, limit: float) -> bool:
    try:
        number = float(value)
    except ValueError:
        return False
    return math.isfinite(number) and -limit <= number <= limit


def check(form, compound: Compound, category: Category) -> tuple[dict, list]:
    """The case's fields from the request, and every problem with them (translatable)."""
    problems: list = []
    get = lambda name: clean(form.get(name) or "")  # noqa: E731  (empty is absent)
    building_code = get("attribute[building]")
    building = next((b for b in compound.buildings if b.code == building_code), None)
    if not building_code:
        problems.append(_l("attribute[building] is required: the code of the building."))
    elif building is None:
        problems.append(
            _l(
                "attribute[building] %(code)s is not a building of this compound.",
                code=building_code,
            )
        )
    urgent = get("attribute[urgent]").lower() or "false"
    if urgent not in ("true", "false"):
        problems.append(_l("attribute[urgent] must be true or false."))
    location = get("attribute[location]") or get("address_string")
    if len(location) > MAX_LOCATION:
        problems.append(_l("attribute[location] must be at most 200 characters."))
    description = get("description")
    if not description:
        problems.append(_l("description is required: say what happened."))
    elif len(description) > MAX_DESCRIPTION:
        problems.append(_l("description must be at most 4000 characters."))
    name = _name(get("first_name"), get("last_name"))
    if not name:
        problems.append(_l("first_name or last_name is required: who to ask for."))
    elif len(name) > MAX_NAME:
        problems.append(_l("first_name and last_name together must be at most 50 characters."))
    phone = get("phone").replace(" ", "").replace("-", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not phone:
        problems.append(_l("phone is required: the compound calls the resident back."))
    elif not PHONE.match(phone):
        problems.append(_l("phone must be an 11-digit mainland mobile number."))
    lat, long = get("lat"), get("long")
    if (lat or long) and not (_coordinate(lat, 90) and _coordinate(long, 180)):
        problems.append(_l("lat and long must both be given, as WGS84 degrees."))
    fields = {
        "building": building,
        "category": category,
        "description": description,
        "location": location,
        "urgent": urgent == "true",
        "contact_name": name,
        "contact_phone": phone,
    }
    return fields, problems


def file(compound: Compound, fields: dict, channel: str) -> Filed:
    """The case, through the web form's own service function: a visitor's case (the resident
    follows it with the private link), recorded as sent through the client system."""
    case, key = service.file_case(
        compound,
        fields["building"],
        category=fields["category"],
        description=fields["description"],
        location=fields["location"],
        urgent=fields["urgent"],
        contact_name=fields["contact_name"],
        contact_phone=fields["contact_phone"],
        channel=channel,
    )
    return Filed(case, key)
