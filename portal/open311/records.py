"""The documents of the API, built from the portal's data in the reader's language: services,
service definitions, and service requests as a resident may see them (no reporter's name or
phone, no internal notes; free text redacted on the way out)."""

from flask import current_app, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal.cases.categories import Category, rule_for
from portal.cases.workflow import WORK_DONE, State
from portal.labels import label
from portal.open311.formats import w3c
from portal.open311.keys import Caller
from portal.open311.models import ApiKey
from portal.open311.queries import Row
from portal.organisation.models import Compound
from portal.privacy import redact

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# Bumped when services or their definitions change shape: clients refresh what they cached.
CHANGESET = "2026-12-02T00:00:00+08:00"
URGENT_KEYS = ("false", "true")


def discovery() -> dict:
    config = current_app.config
    return {
        "changeset": CHANGESET,
        "contact": config["OPEN311_CONTACT"] or _("Ask the portal's administrators."),
        "key_service": config["OPEN311_KEY_SERVICE"]
        or _(
            "The portal's administrators issue keys to client systems, each for a compound, "
            "a community or a sub-district, to read or to file cases."
        ),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": config["BASE_URL"] + "/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }


def _service_description(category: Category, rules) -> str:
    rule = rule_for(category, rules)
    if rule.resolution_hours:
        text = _(
            "Lead party: %(party)s. Usually resolved within %(hours)d hours.",
            party=label(rule.lead_party),
            hours=rule.resolution_hours,
        )
    else:
        text = _(
            "Lead party: %(party)s. Usually resolved within %(days)d working days.",
            party=label(rule.lead_party),
            days=rule.resolution_days,
        )
    if rule.needs_consultation:
        text += " " + _("Settled in a three-party consultation.")
    return text


def services(rules) -> list[dict]:
    return [
        {
            "service_code": category.value,
            "service_name": label(category),
            "description": _service_description(category, rules),
            "metadata": True,  # the building is asked for
            "type": "realtime",
            "keywords": category.value.replace("_", " "),
            "group": label(rule_for(category, rules).lead_party),
        }
        for category in Category
    ]


def service_definition(category: Category, compound: Compound) -> dict:
    return {
        "service_code": category.value,
        "attributes": [
            {
                "variable": True,
                "code": "building",
                "datatype": "singlevaluelist",
                "required": True,
                "datatype_description": _("The code of one of the compound's buildings."),
                "order": 1,
                "description": _("Building"),
                "values": [{"key": b.code, "name": b.name} for b in compound.buildings],
            },
            {
                "variable": True,
                "code": "urgent",
                "datatype": "singlevaluelist",
                "required": False,
                "datatype_description": _("Ordinary unless said otherwise."),
                "order": 2,
                "description": _(
                    "Urgent: a danger to people or property, or no water, power or heating."
                ),
                "values": [
                    {"key": "false", "name": _("Ordinary")},
                    {"key": "true", "name": _("Urgent")},
                ],
            },
            {
                "variable": True,
                "code": "location",
                "datatype": "string",
                "required": False,
                "datatype_description": _("Up to 200 characters."),
                "order": 3,
                "description": _("Where exactly (a stairwell, a floor, a spot)"),
            },
        ],
    }


MEDIA_HOURS = 24


def _media_signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="open311-media")


def media_token(photo_id: int, key: ApiKey | Caller) -> str:
    """A photo's address for one key: it works for a day, and not once the key is revoked."""
    return _media_signer().dumps([photo_id, key.id])


def read_media_token(token: str) -> tuple[int, int] | None:
    try:
        photo_id, key_id = _media_signer().loads(token, max_age=MEDIA_HOURS * 3600)
    except (BadSignature, ValueError, TypeError):
        return None
    if not all(isinstance(n, int) and 0 < n < 2**31 for n in (photo_id, key_id)):
        return None
    return photo_id, key_id


def names() -> dict:
    """Every state's and category's name in the reader's language, looked up once for a page
    of requests rather than twice a row (the profile's largest cost after the database)."""
    return {value: label(value) for value in (*State, *Category)}


def status_notes(row: Row, named: dict) -> str:
    state = named[row.state]
    if row.merged_into:
        state = _("%(state)s into %(number)s", state=state, number=row.merged_into)
    if not row.note:
        return state
    return _("%(state)s: %(note)s", state=state, note=row.note)


def service_request(row: Row, key: ApiKey | Caller, named: dict) -> dict:
    def clean(text):
        return redact(text, names=(row.contact_name,), phones=(row.contact_phone,))

    # What anyone may see changed last: an internal step (an escalation) moves no date.
    updated = max(filter(None, (row.created_at, row.noted_at)))
    media = None
    if row.photo_id is not None:
        media = current_app.config["BASE_URL"] + url_for(
            "open311.media", token=media_token(row.photo_id, key)
        )
    return {
        "service_request_id": row.number,
        "status": "closed" if row.state in WORK_DONE else "open",
        "status_notes": clean(status_notes(row, named)),
        "service_name": named[row.category],
        "service_code": row.category.value,
        "description": (
            _("Hidden by the branch: %(reason)s", reason=row.description_hidden_reason)
            if row.description_hidden_reason
            else clean(row.description)
        ),
        "agency_responsible": row.agency,
        "service_notice": None,
        "requested_datetime": w3c(row.created_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(row.due_at),
        "address": f"{row.compound_name} {row.building_name}",
        "address_id": None,
        "zipcode": None,
        "lat": row.latitude,
        "long": row.longitude,
        "media_url": media,
    }
