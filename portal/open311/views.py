"""/open311/…: the GeoReport v2 surface (docs/open311.md). Discovery and services are open to
all; every call about cases needs an api_key and sees only the cases in the key's scope."""

import re
from datetime import datetime, timedelta

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal import labels
from portal.cases import photos
from portal.cases.categories import Category
from portal.cases.routing import community_rules
from portal.cases.workflow import WORK_DONE, State
from portal.clock import LOCAL_ZONE, now
from portal.extensions import csrf
from portal.open311 import filing, formats, keys, queries, records
from portal.organisation import queries as org
from portal.organisation.models import Compound
from portal.permissions import guarded_by_api_key, public
from portal.settings import public_base_url

bp = Blueprint("open311", __name__, url_prefix="/open311")
# Clients authenticate with an api_key, never with a cookie: no session, so nothing to forge.
csrf.exempt(bp)

FMT = "<any(xml, json):fmt>"
WINDOW = timedelta(days=90)  # the specification's default range, and the widest it allows
MAX_PAGE_SIZE = 1000  # the specification's "first 1000 requests"
MAX_PAGE = 100_000
MAX_IDS = 1000
NOT_DONE = frozenset(State) - WORK_DONE  # what the specification calls open
OPEN_TO_ALL = {"open311.discovery", "open311.services", "open311.service_definition"}


class ApiError(Exception):
    """Answered as the specification's <errors> document, in the format asked for."""

    def __init__(self, status: int, *descriptions, retry_after: int | None = None):
        super().__init__(status)
        self.status = status
        self.descriptions = descriptions
        self.retry_after = retry_after


def _fmt() -> str:
    return (request.view_args or {}).get("fmt") or formats.format_of(request.path)


@bp.errorhandler(ApiError)
def _answer_error(error: ApiError):
    response = formats.errors(_fmt(), error.status, error.descriptions)
    if error.retry_after:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.after_request
def _caching(response):
    # Cases are nobody's to cache; the services may be, briefly, per language.
    if request.endpoint == "open311.media" and response.status_code == 200:
        return response  # a photo: private, as the case page serves it
    if request.endpoint in OPEN_TO_ALL and response.status_code == 200:
        response.headers["Cache-Control"] = "public, max-age=300"
    else:
        response.headers["Cache-Control"] = "no-store"
    response.vary.add("Accept-Language")
    return response


def _value(name: str) -> str:
    """A parameter: an empty one is the same as none (the specification's rule)."""
    return formats.clean(request.values.get(name) or "")


def _api_key() -> str:
    """The key from the X-Api-Key header (kept out of access logs), or the specification's
    api_key parameter."""
    return formats.clean(request.headers.get("X-Api-Key", "")) or _value("api_key")


def _key(*, files: bool = False) -> keys.Caller:
    key = keys.caller(_api_key())
    if key is None:
        raise ApiError(403, _("api_key is missing or not valid."))
    if files and not key.may_file:
        raise ApiError(403, _("This api_key may not file requests."))
    if not files and not key.may_read:
        raise ApiError(403, _("This api_key may not read requests."))
    wait = keys.spend(key)
    if wait is not None:
        raise ApiError(
            429,
            _("Too many calls with this api_key: try again in %(seconds)d seconds.", seconds=wait),
            retry_after=wait,
        )
    return key


def _compound(code: str) -> Compound:
    compound = org.scope_by_code("compound", formats.clean(code))
    if compound is None:
        raise ApiError(404, _("jurisdiction_id %(code)s was not found.", code=code))
    return compound


def _jurisdiction(key: keys.Caller) -> Compound | None:
    """The compound jurisdiction_id names within the key's scope (404 outside it), or None."""
    code = _value("jurisdiction_id")
    if not code:
        return None
    compound = _compound(code)
    if not keys.covers(key, compound):
        raise ApiError(404, _("jurisdiction_id %(code)s was not found.", code=code))
    return compound


def _category(code: str) -> Category:
    try:
        return Category(code)
    except ValueError:
        raise ApiError(404, _("service_code %(code)s was not found.", code=code)) from None


def _listed(name: str) -> list[str]:
    """Comma-separated values, in one parameter or in several of the same name."""
    given = ",".join(formats.clean(v) for v in request.values.getlist(name))
    return [part.strip() for part in given.split(",") if part.strip()]


# -- discovery and services: open to all -------------------------------------------------


@bp.get(f"/discovery.{FMT}")
@bp.get(f"/v2/discovery.{FMT}")
@public
def discovery(fmt):
    return formats.respond(fmt, "discovery", records.discovery())


@bp.get(f"/v2/services.{FMT}")
@public
def services(fmt):
    code = _value("jurisdiction_id")
    rules = community_rules(_compound(code).community_id) if code else None
    return formats.respond(fmt, "services", records.services(rules))


@bp.get(f"/v2/services/<service_code>.{FMT}")
@public
def service_definition(service_code, fmt):
    code = _value("jurisdiction_id")
    if not code:
        raise ApiError(
            400, _("jurisdiction_id is required: each compound has buildings of its own.")
        )
    compound = _compound(code)
    category = _category(formats.clean(service_code))
    return formats.respond(
        fmt, "service_definition", records.service_definition(category, compound)
    )


# -- service requests: by api_key ----------------------------------------------------------


def _moment(name: str) -> datetime | None:
    text = _value(name)
    if not text:
        return None
    # A "+" left unescaped in a query string arrives as a space.
    text = text.replace(" ", "+")
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ApiError(
                400, _("%(name)s needs a time zone, e.g. 2026-01-01T00:00:00+08:00.", name=name)
            )
        return moment.astimezone(LOCAL_ZONE)
    except (ValueError, OverflowError):
        raise ApiError(
            400,
            _("%(name)s must be a W3C date and time, e.g. 2026-01-01T00:00:00+08:00.", name=name),
        ) from None


def _number(name: str, default: int, largest: int) -> int:
    text = _value(name)
    if not text:
        return default
    if not re.fullmatch(r"[0-9]{1,7}", text) or not 1 <= int(text) <= largest:
        raise ApiError(
            400,
            _("%(name)s must be a whole number from 1 to %(largest)d.", name=name, largest=largest),
        )
    return int(text)


def _window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The range asked for; 90 days from the one end given, or the last 90 days."""
    if start is not None and end is not None:
        return start, end
    if start is not None:
        return start, start + WINDOW
    end = end or now()
    return end - WINDOW, end


def _filters(key: keys.Caller) -> queries.Filters:
    numbers = _listed("service_request_id")
    if numbers:
        # The specification: service_request_id overrides all other arguments.
        if len(numbers) > MAX_IDS:
            raise ApiError(400, _("Ask for at most 1000 service_request_id at once."))
        return queries.Filters(numbers=numbers)
    problems = []
    compound = _jurisdiction(key)
    categories = []
    for code in _listed("service_code"):
        try:
            categories.append(Category(code))
        except ValueError:
            problems.append(_("service_code %(code)s was not found.", code=code))
    states: set[State] = set()
    for status in _listed("status"):
        if status == "open":
            states |= NOT_DONE
        elif status == "closed":
            states |= WORK_DONE
        else:
            problems.append(_("status must be open or closed, not %(status)s.", status=status))
    try:
        start, end = _window(_moment("start_date"), _moment("end_date"))
    except OverflowError:  # 90 days beyond the calendar's first or last day
        raise ApiError(400, _("start_date or end_date is out of range.")) from None
    if end < start:
        problems.append(_("end_date is before start_date."))
    elif end - start > WINDOW:
        problems.append(_("start_date and end_date may not span more than 90 days."))
    size = _number("page_size", MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    page = _number("page", 1, MAX_PAGE)
    if problems:
        raise ApiError(400, *problems)
    return queries.Filters(
        compound_id=compound.id if compound else None,
        categories=categories,
        states=frozenset(states) if states else None,
        start=start,
        end=end,
        offset=(page - 1) * size,
        limit=size,
    )


def _documents(key: keys.Caller, rows):
    named = records.names()
    return [records.service_request(row, key, named) for row in rows]


@bp.get(f"/v2/requests.{FMT}")
@guarded_by_api_key
def requests_list(fmt):
    key = _key()
    rows = queries.requests(key, _filters(key))
    return formats.respond(fmt, "service_requests", _documents(key, rows))


@bp.get(f"/v2/requests/<service_request_id>.{FMT}")
@guarded_by_api_key
def request_one(service_request_id, fmt):
    key = _key()
    compound = _jurisdiction(key)
    rows = queries.requests(key, queries.Filters(numbers=[formats.clean(service_request_id)]))
    if compound is not None:
        rows = [row for row in rows if row.compound_code == compound.code]
    if not rows:
        raise ApiError(404, _("service_request_id %(id)s was not found.", id=service_request_id))
    return formats.respond(fmt, "service_requests", _documents(key, rows))


@bp.get(f"/v2/tokens/<token>.{FMT}")
@guarded_by_api_key
def token(token, fmt):
    """Requests get their id at once (services are "realtime"); a client that polls for a token
    anyway may use the id as its token."""
    key = _key()
    rows = queries.requests(key, queries.Filters(numbers=[formats.clean(token)]))
    if not rows:
        raise ApiError(404, _("token %(token)s was not found.", token=token))
    return formats.respond(
        fmt, "service_requests", [{"service_request_id": rows[0].number, "token": token}]
    )


@bp.post(f"/v2/requests.{FMT}")
@guarded_by_api_key
def file_request(fmt):
    key = _key(files=True)
    compound = _jurisdiction(key)
    if compound is None:
        if key.compound_id is None:
            raise ApiError(
                400, _("jurisdiction_id is required: this api_key covers several compounds.")
            )
        [compound] = org.compounds_by_ids([key.compound_id])
    code = _value("service_code")
    if not code:
        raise ApiError(400, _("service_code is required."))
    fields, problems = filing.check(request.form, compound, _category(code))
    if problems:
        raise ApiError(400, *[str(p) for p in problems])
    filed = filing.file(compound, fields, channel=key.name)
    case = filed.case
    # Built from BASE_URL, as the receipt's link is: it is handed on to the resident. While
    # BASE_URL would lead nowhere the answer leaves the extension out, as the receipt does.
    base_url = public_base_url(current_app.config)
    follow = None
    if filed.follow_key and base_url is not None:
        follow = base_url + url_for("cases.detail", number=case.number, key=filed.follow_key)
    notice = (
        _(
            "Filed as %(number)s. The compound's party-branch secretary answers by %(due)s.",
            number=case.number,
            due=labels.moment(case.due_at),
        )
        if case.due_at
        else _("Filed as %(number)s.", number=case.number)
    )
    return formats.respond(
        fmt,
        "service_requests",
        [
            {
                "service_request_id": case.number,
                "service_notice": notice,
                "account_id": None,
                # Extension: the resident's private link to follow the case (pass it on once).
                **({"follow_url": follow} if base_url is not None else {}),
            }
        ],
    )


# -- photos ---------------------------------------------------------------------------------


@bp.get("/v2/media/<token>.jpg")
@public
def media(token):
    """A public photo of a case, at the address a key's reading gave (the signature is the
    permission; revoking the key ends it)."""
    found = records.read_media_token(token)
    key = keys.by_id(found[1]) if found else None
    photo = queries.public_photo(found[0]) if found and key and key.active else None
    if key is None or photo is None or not keys.covers(key, photo[1].compound):
        raise ApiError(404, _l("No such photo."))
    served = photos.response(photo[0].path)
    if served is None:
        raise ApiError(404, _l("No such photo."))
    return served
